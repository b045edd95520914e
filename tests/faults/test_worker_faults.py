"""Fault tests of issue dispatch: kill -9, downtime, two workers, cancel.

Each starts ``publisher worker`` as a real process against a real SMTP
server on 127.0.0.1 and checks the send ledger against what the server got.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.faults.conftest import Newsroom, wait_for

pytestmark = pytest.mark.slow

DEMO_EMAIL_READERS = 7  # the demo's eight readers, less the one who chose PDF
IN_FLIGHT_BOUND = 2 * 200  # two batches of batch_size may be handed over unrecorded


def _db(room: Newsroom) -> sqlite3.Connection:
    return sqlite3.connect(room.root / "data" / "publisher.db")


def _step(room: Newsroom) -> tuple[str, str]:
    with _db(room) as conn:
        row = conn.execute("SELECT state, detail FROM dispatches WHERE issue_number = 1 "
                           "AND channel = 'email'").fetchone()
    return (row[0], row[1]) if row else ("", "")


def _ledger(room: Newsroom) -> dict[str, int]:
    with _db(room) as conn:
        rows = conn.execute("SELECT status, count(*) FROM deliveries WHERE issue_number = 1 "
                            "AND channel = 'email' GROUP BY status").fetchall()
    return dict(rows)


def test_kill_9_mid_send_then_restart(newsroom_factory: Callable[..., Newsroom]) -> None:
    room = newsroom_factory()
    room.readers(20_000)
    audience = 20_000 + DEMO_EMAIL_READERS
    assert room.cli("schedule", "1", "--channel", "email") == 0
    first = room.worker()
    wait_for(lambda: room.sink.count() >= 3_000)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = room.sink.count()
    assert at_kill < audience, "the worker finished before it could be killed"

    room.worker()
    wait_for(lambda: _step(room)[0] == "done", timeout=240)
    copies = room.sink.copies()
    with _db(room) as conn:
        wanted = {r[0] for r in conn.execute("SELECT email FROM subscribers s JOIN memberships "
                                             "m ON m.subscriber_id = s.id WHERE m.format != "
                                             "'pdf'")}
    assert len(wanted) == audience
    assert set(copies) == wanted  # every reader has at least one copy, nobody else any
    duplicates = sum(copies.values()) - len(copies)
    assert duplicates <= IN_FLIGHT_BOUND
    assert _ledger(room) == {"sent": audience}  # the ledger matches what arrived


def test_down_across_the_time_within_grace_sends_once(
        newsroom_factory: Callable[..., Newsroom]) -> None:
    room = newsroom_factory(grace=900)
    assert room.cli("schedule", "1", "--channel", "email", "--at", _minutes_ago(5)) == 0
    room.worker()
    wait_for(lambda: _step(room)[0] == "done")
    assert sorted(room.sink.copies().values()) == [1] * DEMO_EMAIL_READERS


def test_down_past_the_grace_time_is_missed_and_reported(
        newsroom_factory: Callable[..., Newsroom], capsys: pytest.CaptureFixture[str]) -> None:
    room = newsroom_factory(grace=60)
    assert room.cli("schedule", "1", "--channel", "email", "--at", _minutes_ago(30)) == 0
    proc = room.worker()
    wait_for(lambda: _step(room)[0] == "missed")
    _, detail = _step(room)
    assert "past the grace time" in detail and room.sink.count() == 0
    capsys.readouterr()
    assert room.cli("status", "1") == 0
    out = capsys.readouterr().out
    assert "missed" in out and "[failed]" in out
    proc.terminate()
    _, err = proc.communicate(timeout=10)
    assert b"missed" in err  # the worker said so in its log too


def _two_workers(room: Newsroom, readers: int) -> None:
    room.readers(readers)
    room.worker()
    room.worker()
    assert room.cli("schedule", "1", "--channel", "email") == 0
    wait_for(lambda: _state_of(room) == "done", timeout=120)
    copies = room.sink.copies()
    assert len(copies) == readers + DEMO_EMAIL_READERS
    assert set(copies.values()) == {1}


def test_two_workers_on_one_database_send_once(
        newsroom_factory: Callable[..., Newsroom]) -> None:
    _two_workers(newsroom_factory(), 2_000)


def test_two_workers_share_a_postgresql_audience_and_send_once(
        newsroom_factory: Callable[..., Newsroom], pg_url: str) -> None:
    """On PostgreSQL too: every reader gets the Issue exactly once."""
    room = newsroom_factory(db=pg_url)
    _two_workers(room, 10_000)


def _state_of(room: Newsroom) -> str:
    if room.db is None:
        return _step(room)[0]
    import sqlalchemy as sa

    engine = sa.create_engine(room.db)
    with engine.connect() as conn:
        state = conn.execute(sa.text("SELECT state FROM dispatches WHERE issue_number = 1 "
                                     "AND channel = 'email'")).scalar_one_or_none()
    engine.dispose()
    return str(state or "")


def test_cancel_during_a_send_stops_after_the_batch(
        newsroom_factory: Callable[..., Newsroom]) -> None:
    room = newsroom_factory()
    room.readers(20_000)
    assert room.cli("schedule", "1", "--channel", "email") == 0
    room.worker()
    wait_for(lambda: room.sink.count() >= 1_000)
    assert room.cli("cancel", "1") == 0
    wait_for(lambda: _step(room)[0] == "cancelled")
    settled = room.sink.count()
    time.sleep(2)  # what was already handed to the SMTP pool may still arrive
    final = room.sink.count()
    assert final - settled <= IN_FLIGHT_BOUND and final < 20_000
    assert _ledger(room).get("sent", 0) == len(room.sink.copies())


def _minutes_ago(minutes: int) -> str:
    when = datetime.now(ZoneInfo("Asia/Almaty")) - timedelta(minutes=minutes)
    return when.strftime("%Y-%m-%d %H:%M")
