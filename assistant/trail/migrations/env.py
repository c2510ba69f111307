"""Alembic's entry: every pending migration in one transaction on the caller's engine."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        transaction_per_migration=False,
        transactional_ddl=True,  # SQLite rolls DDL back too (see db.py)
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Replicas starting together migrate one after the other.
            connection.execute(text("SELECT pg_advisory_xact_lock(7422601)"))
        context.run_migrations()
