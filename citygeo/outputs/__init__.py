"""Files for people and GIS tools: exports with their sidecar, the printable profile."""
