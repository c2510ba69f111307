"""The database: an engine, its schema brought up to date by Alembic, sessions.

``open_database`` runs the migrations before anything else touches the database. They run
in one transaction: PostgreSQL and SQLite both roll back DDL, so a migration that fails
leaves the database exactly as it was, and the caller stops with ``MigrationError``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from assistant.errors import AssistantError, ConfigError
from assistant.settings import shipped

log = logging.getLogger(__name__)
MIGRATIONS = shipped("assistant.trail", "migrations")  # a package, so the wheel holds it


class MigrationError(AssistantError):
    """The database could not be brought to the app's schema; nothing was changed."""


class Database:
    """One engine and its session factory; ``close`` releases the connections."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self._sessions()

    def revision(self) -> str | None:
        """The schema revision the database is at (None: empty)."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def close(self) -> None:
        self.engine.dispose()


def create_database_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets a folder, foreign keys, WAL and real transactions."""
    try:
        parsed = make_url(url)
    except Exception:  # never echo the URL: it may hold a password
        raise ConfigError("db.url is not a valid database URL") from None
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    engine = create_engine(parsed, **kwargs)
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
    return engine


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, begin transactions, so DDL is transactional
    too (the sqlite3 module would commit before each CREATE or ALTER)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def alembic_config(engine: Engine, script_location: Path = MIGRATIONS) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, target: str = "head", script_location: Path = MIGRATIONS) -> None:
    """Bring the schema to ``target`` in one transaction, or raise ``MigrationError``."""
    config = alembic_config(engine, script_location)
    try:
        command.upgrade(config, target)
    except SQLAlchemyError as exc:
        raise MigrationError(
            f"The database could not be brought to the current schema ({failure_said(exc)}); "
            "nothing was changed. Check db.url and that the database is reachable and "
            "writable, then start again."
        ) from None
    except Exception as exc:
        raise MigrationError(
            f"A database migration failed ({type(exc).__name__}: {exc}); nothing was "
            "changed. Report it with this message."
        ) from None


def open_database(url: str) -> Database:
    """Connect to ``url`` and migrate it to the app's schema."""
    engine = create_database_engine(url)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)


def failure_said(exc: BaseException) -> str:
    """The driver's first line, without the statement and parameters SQLAlchemy appends
    (they hold questions and answers)."""
    original = getattr(exc, "orig", None) or exc
    first = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return f"{type(original).__name__}: {first}"[:300]
