"""Scheduling: time from a step's instant to its first delivery, and a crowded minute.

In one run, on a SQLite store in a temporary folder:

- latency: 20 Issues due half a second apart, each delivered by a deliverer
  that only records when it was called; the delay from the scheduled instant
  to that call (median, worst), against bare APScheduler running no-op date
  jobs at the same kind of instants (the floor any APScheduler timer pays);
- crowd: 1,000 Issues due in the same minute (at the same instant): how many
  were dispatched, how many missed, how long the last one waited; and, as the
  baseline the design warns about, bare APScheduler with its default 1 s
  misfire grace on 1,000 jobs due at once with the same pool of threads.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from publisher.content import Article, Issue, IssueSection, Publication
from publisher.lifecycle import Lifecycle
from publisher.preflight import Report
from publisher.scheduler import Planner
from publisher.store import Store, StoredIssue
from publisher.store.db import sqlite_url
from publisher.worker import Delivered, Worker, WorkerOptions

PUB = Publication(name="Bench")
THREADS = 4


class Clock:
    """A deliverer that writes down when each Issue was first delivered."""

    shareable = False

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: dict[int, datetime] = {}

    def deliver(self, issue: Issue, stored: StoredIssue,
                should_stop: Callable[[], bool]) -> Delivered:
        with self.lock:
            self.first.setdefault(issue.number, datetime.now(UTC))
        return Delivered("done")


def _store(folder: Path, count: int) -> Store:
    store = Store(sqlite_url(folder / "bench.db"))
    life = Lifecycle(store)
    with store.begin() as conn:
        for n in range(1, count + 1):
            art = Article(id=f"a{n}", headline=f"Story {n}")
            store.issues.save(conn, Issue(publication=PUB, number=n, title=f"Issue {n}",
                                          date=date(2026, 12, 1), sections=(
                                              IssueSection(name="S", articles=(art,)),)))
            life.approve(conn, n, "bench", "bench", Report(()))
    return store


def _run_worker(store: Store, instants: dict[int, datetime], grace: int) -> tuple[Clock, int]:
    planner = Planner(store, {"bench": timedelta(0)})
    with store.begin() as conn:
        for number, at in instants.items():
            planner.schedule(conn, number, at)
    clock = Clock()
    worker = Worker(store, planner, {"bench": clock}, WorkerOptions(
        misfire_grace=timedelta(seconds=grace), poll=0.2, threads=THREADS))
    worker.start()
    deadline = time.monotonic() + 600
    last = max(instants.values())
    while len(clock.first) + len(worker.missed) < len(instants) and time.monotonic() < deadline:
        time.sleep(0.05)
    if datetime.now(UTC) < last:
        time.sleep((last - datetime.now(UTC)).total_seconds())
    worker.stop()
    return clock, len(worker.missed)


def _bare_apscheduler(instants: list[datetime], grace: int | None) -> tuple[list[float], int]:
    """No-op date jobs on APScheduler alone: delays of the calls, and how many never ran."""
    ran: list[float] = []
    lock = threading.Lock()
    defaults = {} if grace is None else {"misfire_grace_time": grace}
    scheduler = BackgroundScheduler(job_defaults=defaults, timezone=UTC,
                                    executors={"default": {"type": "threadpool",
                                                           "max_workers": THREADS}})
    scheduler.start()

    def job(at: datetime) -> None:
        with lock:
            ran.append((datetime.now(UTC) - at).total_seconds())
        time.sleep(0.02)  # a dispatch does some work; keep the pool busy like ours

    for at in instants:
        scheduler.add_job(job, "date", run_date=at, args=[at])
    time.sleep(max(0.0, (max(instants) - datetime.now(UTC)).total_seconds()) + 5)
    scheduler.shutdown(wait=True)
    return ran, len(instants) - len(ran)


def _latency(tmp: Path) -> None:
    (tmp / "latency").mkdir()
    store = _store(tmp / "latency", 20)
    start = datetime.now(UTC) + timedelta(seconds=3)
    instants = {n: start + timedelta(seconds=0.5 * n) for n in range(1, 21)}
    clock, missed = _run_worker(store, instants, 900)
    ours = [(clock.first[n] - at).total_seconds() for n, at in instants.items()
            if n in clock.first]
    bare, _ = _bare_apscheduler([datetime.now(UTC) + timedelta(seconds=1 + 0.5 * i)
                                 for i in range(20)], None)
    print("scheduler: delay from a step's instant to its first delivery (20 Issues)")
    print(f"  bare APScheduler no-op job: median {statistics.median(bare) * 1000:7.1f} ms, "
          f"worst {max(bare) * 1000:7.1f} ms")
    print(f"  publisher worker:           median {statistics.median(ours) * 1000:7.1f} ms, "
          f"worst {max(ours) * 1000:7.1f} ms, missed {missed} (target: median <= 1 s)")


def _crowd(tmp: Path) -> None:
    (tmp / "crowd").mkdir()
    store = _store(tmp / "crowd", 1000)
    at = datetime.now(UTC) + timedelta(seconds=5)
    began = time.monotonic()
    clock, missed = _run_worker(store, dict.fromkeys(range(1, 1001), at), 900)
    drained = time.monotonic() - began - 5
    waits = sorted((t - at).total_seconds() for t in clock.first.values())
    bare, dropped = _bare_apscheduler([datetime.now(UTC) + timedelta(seconds=2)] * 1000, None)
    print("scheduler: 1,000 Issues due at the same instant")
    print(f"  bare APScheduler, default 1 s misfire grace: {len(bare)} ran, {dropped} "
          f"silently dropped")
    print(f"  publisher worker (grace 900 s):              {len(clock.first)} dispatched, "
          f"{missed} missed; median wait {statistics.median(waits):.2f} s, last "
          f"{waits[-1]:.2f} s, all done {drained:.1f} s after the instant")


def main() -> None:
    # APScheduler logs every job it drops; the count below says it once.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        _latency(tmp)
        _crowd(tmp)
