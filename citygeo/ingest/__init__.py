"""Ingest a city: read and validate every source of a city config, then load the store
(:mod:`citygeo.ingest.city` orchestrates; one module per kind of source)."""

from citygeo.ingest.city import IngestReport, ingest_city

__all__ = ["IngestReport", "ingest_city"]
