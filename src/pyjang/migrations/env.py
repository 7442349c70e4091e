"""Alembic environment: runs on the connection handed over by pyjang.migrate."""

from __future__ import annotations

from alembic import context

from pyjang.migrate import target_metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `pyjang migrate`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=target_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    transaction_per_migration=True,
    # SQLite and PostgreSQL both roll DDL back with the transaction, so a
    # revision interrupted half-way leaves nothing behind.
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
