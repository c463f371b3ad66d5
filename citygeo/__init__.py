"""citygeo: neighbourhood mapping for city-led prevention of hate, extremism and polarisation."""

__version__ = "0.1.0"
