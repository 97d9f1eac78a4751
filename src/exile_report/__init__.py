"""The reproducible report on political exile from Russia."""

__version__ = "0.1.0"
