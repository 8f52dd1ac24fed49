"""dataforge: MapReduce filtering jobs over JSON lines, and fuzzy de-duplication."""

__version__ = "0.1.0"
