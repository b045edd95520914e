"""Engines and migrations: SQLite on disk by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from publisher.errors import ConfigError, StoreError

__all__ = [
    "create_engine",
    "insert_ignoring_conflicts",
    "is_current",
    "migrate",
    "sqlite_url",
]

_MIGRATIONS = Path(__file__).parent / "migrations"


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (web pages, status) run while a writer commits;
    # synchronous=FULL because the ledger must survive a power cut.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Erased subscribers must not linger in free pages of the file.
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def create_engine(url: str) -> sa.Engine:
    """An engine for *url*, with SQLite tuned for a durable send ledger."""
    try:
        engine = sa.create_engine(url, future=True)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigError(f"cannot use database URL: {exc}", field="store.url") from None
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _config(connection: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def is_current(engine: sa.Engine) -> bool:
    """Whether the database is at the newest migration."""
    head = ScriptDirectory(str(_MIGRATIONS)).get_current_head()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is current)."""
    try:
        if is_current(engine):
            return
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
    except sa.exc.OperationalError as exc:
        raise StoreError(f"cannot open the database: {exc.orig}") from None


def insert_ignoring_conflicts(conn: sa.Connection, table: sa.Table,
                              rows: list[dict[str, Any]], returning: sa.Column[Any]) -> list[Any]:
    """Insert *rows*, skipping any that break a unique constraint.

    Returns the *returning* column of the rows this call inserted: when two
    workers insert the same keys at once, each key goes to exactly one of
    them (ON CONFLICT DO NOTHING ... RETURNING, on SQLite and PostgreSQL).
    """
    if not rows:
        return []
    stmt: sa.Insert
    if conn.dialect.name == "postgresql":
        stmt = pg_insert(table).values(rows).on_conflict_do_nothing()
    else:
        stmt = sqlite_insert(table).values(rows).on_conflict_do_nothing()
    return list(conn.execute(stmt.returning(returning)).scalars())
