"""Alembic migrations of pyjang's own tables (users, sessions, …)."""
