"""Persistence: engine and sessions, SQLModel tables, keyword-only query functions, migrations."""
