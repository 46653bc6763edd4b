"""Writes of the client book, one module per workflow (imports, demo data)."""
