"""Use cases shared by the CLI and the dashboard (L3), one module per use case."""
