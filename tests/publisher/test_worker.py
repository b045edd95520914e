"""The worker runs each due step once, reports late ones, resumes after a crash."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from publisher.content import Article, Issue, IssueSection, Publication
from publisher.lifecycle import Lifecycle
from publisher.preflight import Report
from publisher.scheduler import Planner, local_instant, parse_offset
from publisher.store import Store, StoredIssue
from publisher.store.db import sqlite_url
from publisher.store.tables import dispatches
from publisher.worker import Delivered, Worker, WorkerOptions

ISSUE = Issue(publication=Publication(name="P"), number=1, title="T", date=date(2026, 12, 1),
              sections=(IssueSection(name="W", articles=(Article(id="a", headline="A"),)),))
FAST = WorkerOptions(poll=0.05, lease=timedelta(seconds=2))


class Fake:
    """A deliverer that counts its calls and can be told to work in batches."""

    shareable = False

    def __init__(self, batches: int = 1, pause: float = 0.0) -> None:
        self.calls = 0
        self.batches_done = 0
        self.batches, self.pause = batches, pause
        self.lock = threading.Lock()

    def deliver(self, issue: Issue, stored: StoredIssue,
                should_stop: Callable[[], bool]) -> Delivered:
        with self.lock:
            self.calls += 1
        for _ in range(self.batches):
            if should_stop():
                return Delivered("stopped")
            time.sleep(self.pause)
            with self.lock:
                self.batches_done += 1
        return Delivered("done")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(sqlite_url(tmp_path / "p.db"))
    with s.begin() as conn:
        s.issues.save(conn, ISSUE)
        Lifecycle(s).approve(conn, 1, "fake", "ed", Report(()))
    return s


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:
        w.stop()


def _planner(store: Store) -> Planner:
    return Planner(store, {"fake": timedelta(0)})


def _start(store: Store, fake: Fake, workers: list[Worker],
           options: WorkerOptions = FAST) -> Worker:
    worker = Worker(store, _planner(store), {"fake": fake}, options)
    workers.append(worker)
    worker.start()
    return worker


def _wait(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _state(store: Store) -> tuple[str | None, str]:
    with store.read() as conn:
        return _planner(store).state(conn, 1, "fake"), store.issues.find(conn, 1).status


def _schedule(store: Store, at: datetime) -> None:
    with store.begin() as conn:
        _planner(store).schedule(conn, 1, at)


def test_a_scheduled_step_runs_once_at_its_time(store: Store, workers: list[Worker]) -> None:
    fake = Fake()
    _schedule(store, datetime.now(UTC) + timedelta(seconds=1))
    _start(store, fake, workers)
    time.sleep(0.5)
    assert fake.calls == 0
    _wait(lambda: _state(store) == ("done", "sent"))
    time.sleep(0.3)
    assert fake.calls == 1


def test_late_within_the_grace_time_runs_late(store: Store, workers: list[Worker]) -> None:
    fake = Fake()
    _schedule(store, datetime.now(UTC) - timedelta(minutes=5))
    _start(store, fake, workers)
    _wait(lambda: _state(store)[0] == "done")
    assert fake.calls == 1


def test_past_the_grace_time_is_missed_and_reported(store: Store,
                                                    workers: list[Worker]) -> None:
    fake = Fake()
    _schedule(store, datetime.now(UTC) - timedelta(hours=2))
    worker = _start(store, fake, workers)
    _wait(lambda: _state(store) == ("missed", "failed"))
    assert worker.missed == [(1, "fake")] and fake.calls == 0
    with store.read() as conn:
        (step,) = _planner(store).steps(conn, 1)
    assert "past the grace time" in step.detail


def test_two_workers_on_one_database_dispatch_once(store: Store,
                                                   workers: list[Worker]) -> None:
    fake = Fake()
    _schedule(store, datetime.now(UTC) + timedelta(seconds=1))
    first, second = _start(store, fake, workers), _start(store, fake, workers)
    _wait(lambda: _state(store)[0] == "done")
    time.sleep(0.5)
    assert fake.calls == 1
    assert [first.is_scheduler, second.is_scheduler].count(True) == 1


def test_a_step_left_running_by_a_dead_worker_is_resumed(store: Store,
                                                         workers: list[Worker]) -> None:
    fake = Fake()
    _schedule(store, datetime.now(UTC))
    with store.begin() as conn:  # what a worker killed mid-send leaves behind
        conn.execute(dispatches.update().values(
            state="running", updated_at=datetime.now(UTC) - timedelta(minutes=1)))
    _start(store, fake, workers)
    _wait(lambda: _state(store)[0] == "done")
    assert fake.calls == 1


def test_pause_stops_between_batches_and_resume_goes_on(store: Store,
                                                        workers: list[Worker]) -> None:
    fake = Fake(batches=40, pause=0.05)
    _schedule(store, datetime.now(UTC))
    _start(store, fake, workers)
    _wait(lambda: fake.batches_done >= 3)
    with store.begin() as conn:
        _planner(store).pause(conn, 1)
    time.sleep(0.3)
    stopped_at = fake.batches_done
    time.sleep(0.3)
    assert fake.batches_done == stopped_at < 40
    assert _state(store)[0] == "paused"
    with store.begin() as conn:
        _planner(store).resume(conn, 1)
    _wait(lambda: _state(store)[0] == "done")
    assert fake.calls == 2


def test_cancel_stops_the_issue(store: Store, workers: list[Worker]) -> None:
    fake = Fake(batches=40, pause=0.05)
    _schedule(store, datetime.now(UTC))
    _start(store, fake, workers)
    _wait(lambda: fake.batches_done >= 2)
    with store.begin() as conn:
        _planner(store).cancel(conn, 1)
    time.sleep(0.3)
    done = fake.batches_done
    time.sleep(0.3)
    assert fake.batches_done == done and _state(store) == ("cancelled", "cancelled")


def test_apscheduler_jobs_mirror_the_plan(store: Store, workers: list[Worker]) -> None:
    _schedule(store, datetime.now(UTC) + timedelta(hours=1))
    worker = _start(store, Fake(), workers)
    _wait(lambda: worker.is_scheduler)
    with store.engine.connect() as conn:
        _wait(lambda: conn.execute(sa.text("SELECT id FROM apscheduler_jobs")).scalars().all()
              == ["issue:1:fake"])
    with store.begin() as conn:
        _planner(store).unschedule(conn, 1)
    with store.engine.connect() as conn:
        _wait(lambda: conn.execute(sa.text("SELECT id FROM apscheduler_jobs")).scalars().all()
              == [])
    assert _state(store) == (None, "approved")


@pytest.mark.parametrize(("local", "tz", "utc"), [
    ("2026-03-08 02:30", "America/New_York", "2026-03-08 07:30"),  # skipped hour: after it
    ("2026-11-01 01:30", "America/New_York", "2026-11-01 05:30"),  # repeated hour: the first
    ("2026-12-01 07:00", "Asia/Almaty", "2026-12-01 02:00"),
])
def test_local_times_across_daylight_saving(local: str, tz: str, utc: str) -> None:
    assert local_instant(local, tz) == datetime.fromisoformat(utc).replace(tzinfo=UTC)


def test_offsets() -> None:
    assert parse_offset("-2h") == -timedelta(hours=2)
    assert parse_offset("+15m") == timedelta(minutes=15)
    assert parse_offset("1h30m") == timedelta(minutes=90)
    assert parse_offset("0") == timedelta(0)


def test_a_step_at_0230_on_a_spring_forward_night_is_one_job_at_0730z(
        store: Store, workers: list[Worker]) -> None:
    """New York skips 02:00-03:00 on 14 March 2027: 02:30 means 03:30 EDT, once."""
    _schedule(store, local_instant("2027-03-14 02:30", "America/New_York"))
    worker = _start(store, Fake(), workers)
    _wait(lambda: worker.is_scheduler)
    with store.engine.connect() as conn:
        _wait(lambda: conn.execute(sa.text("SELECT count(*) FROM apscheduler_jobs")).scalar()
              == 1)
    job = worker._scheduler.get_job("issue:1:fake")  # type: ignore[union-attr]
    assert job.trigger.run_date == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
