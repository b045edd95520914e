"""The ledger hands each target to one sender and resumes after a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from publisher.ledger import Outcome
from publisher.store import Store
from publisher.store.db import sqlite_url

T0 = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(sqlite_url(tmp_path / "p.db"))


def test_a_target_is_claimed_once(store: Store) -> None:
    with store.begin() as conn:
        first = store.ledger.claim(conn, 1, "email", "h", ["a", "b", "a"], now=T0)
        second = store.ledger.claim(conn, 1, "email", "h", ["a", "b", "c"], now=T0)
        other_channel = store.ledger.claim(conn, 1, "pdf", "h", ["a"], now=T0)
    assert (first, second, other_channel) == (["a", "b"], ["c"], ["a"])


def test_outcomes_are_recorded_and_counted(store: Store) -> None:
    with store.begin() as conn:
        store.ledger.claim(conn, 1, "email", "h", ["a", "b", "c", "d"], now=T0)
        store.ledger.record(conn, 1, "email", [
            Outcome("a", "sent", "id-1"), Outcome("b", "failed", detail="550 no such user"),
            Outcome("c", "unknown", detail="timeout after DATA")], now=T0)
        assert store.ledger.counts(conn, 1, "email") == {
            "sent": 1, "failed": 1, "unknown": 1, "attempting": 1}
        row = store.ledger.get(conn, 1, "email", "a")
        assert row is not None and row.remote_id == "id-1" and row.updated_at == T0


def test_deferred_and_stale_rows_are_retried_but_nothing_else(store: Store) -> None:
    with store.begin() as conn:
        store.ledger.claim(conn, 1, "email", "h", ["sent", "failed", "unknown", "deferred",
                                                   "fresh", "stale"], now=T0)
        store.ledger.record(conn, 1, "email", [
            Outcome("sent", "sent"), Outcome("failed", "failed"), Outcome("unknown", "unknown"),
            Outcome("deferred", "deferred")], now=T0)
        conn.execute(sa.text("UPDATE deliveries SET updated_at = :t WHERE target = 'fresh'"),
                     {"t": (T0 + timedelta(minutes=9)).replace(tzinfo=None)})
        later = T0 + timedelta(minutes=11)
        again = store.ledger.claim(conn, 1, "email", "h2", ["sent", "failed", "unknown",
                                                            "deferred", "fresh", "stale"],
                                   now=later)
        assert sorted(again) == ["deferred", "stale"]
        row = store.ledger.get(conn, 1, "email", "stale")
        assert row is not None and row.attempts == 2 and row.content_hash == "h2"


def test_a_second_claimer_cannot_take_what_the_first_retried(store: Store) -> None:
    with store.begin() as conn:
        store.ledger.claim(conn, 1, "email", "h", ["x"], now=T0)
        store.ledger.record(conn, 1, "email", [Outcome("x", "deferred")], now=T0)
        assert store.ledger.claim(conn, 1, "email", "h", ["x"], now=T0) == ["x"]
        assert store.ledger.claim(conn, 1, "email", "h", ["x"], now=T0) == []
