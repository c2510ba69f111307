"""The audit trail: what the assistant told whom and on what grounds, and what they said back.

Kept in a relational database (SQLAlchemy 2, schema by Alembic migrations): a SQLite file
in the data folder by default, PostgreSQL when several app replicas share it. Only admins
read it; the app and the CLI write it.
"""

from assistant.trail.audit import AuditFilter, AuditRecord, AuditTrail, CitedPassage
from assistant.trail.db import Database, MigrationError, open_database
from assistant.trail.readable import Readable

__all__ = [
    "AuditFilter",
    "AuditRecord",
    "AuditTrail",
    "CitedPassage",
    "Database",
    "MigrationError",
    "Readable",
    "open_database",
]
