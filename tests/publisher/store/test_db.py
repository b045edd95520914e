"""Migrations build exactly the tables the code describes, with SQLite tuned."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from publisher.store import Store
from publisher.store.db import is_current, sqlite_url
from publisher.store.tables import metadata


def test_migrated_schema_matches_the_table_definitions(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "p.db"))
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert is_current(store.engine)


def test_sqlite_runs_in_wal_with_full_sync(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "p.db"))
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_opening_twice_migrates_once_and_keeps_data(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "nested" / "p.db")
    with Store(url).begin() as conn:
        conn.execute(sa.text("INSERT INTO issues (number, version, content_hash, title, "
                             "issue_date, status, created_at, data) VALUES "
                             "(1, 1, 'h', 't', '2026-01-01', 'draft', '2026-01-01', '{}')"))
    with Store(url).read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM issues")).scalar() == 1
