"""Geometry and map classification helpers (pure)."""
