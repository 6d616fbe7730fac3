"""Database floor: engine and session setup, the declarative base, shared column types."""
