"""The worker: holds the scheduler lease, runs due dispatches, resumes after a crash.

One scheduler per database: every worker ticks every ``poll`` seconds and
tries to take or renew the lease row; the holder mirrors the ``dispatches``
table into APScheduler jobs and runs them. Any worker, holder or not, joins a
``running`` dispatch whose channel can be shared (email): the ledger gives
each recipient to exactly one of them.

Recovery, on start and on every tick: a step left ``running`` whose
heartbeat is older than the lease (its worker died) is run again, resuming
from the ledger; a ``scheduled`` step whose time passed more than the misfire
grace ago is marked ``missed`` and reported, never silently dropped.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from publisher.content import Issue
from publisher.errors import PublisherError
from publisher.lifecycle import TRANSITIONS, Lifecycle
from publisher.scheduler import DispatchStep, Planner, job_id
from publisher.store import Store, StoredIssue
from publisher.store.db import insert_ignoring_conflicts
from publisher.store.tables import leases

__all__ = [
    "Delivered",
    "Deliverer",
    "Recurring",
    "Worker",
    "WorkerOptions",
    "run_dispatch",
    "run_recurring",
]

log = logging.getLogger("publisher.worker")
LEASE = "scheduler"
_ACTIVE: Worker | None = None


def run_dispatch(issue_number: int, channel: str) -> None:
    """APScheduler's job target: module-level, plain arguments (picklable)."""
    if _ACTIVE is None:
        raise RuntimeError("run_dispatch called outside a running worker")
    _ACTIVE.execute(issue_number, channel)


def run_recurring() -> None:
    """The recurring rule's job target: assemble the next Issue."""
    if _ACTIVE is None or _ACTIVE.recurring is None:
        raise RuntimeError("run_recurring called outside a worker with a recurring rule")
    _ACTIVE.recurring.run()


@dataclass(frozen=True, slots=True)
class Recurring:
    """A cron rule (in the publication's zone) and what to run at each firing."""

    day_of_week: str
    hour: int
    minute: int
    timezone: str
    run: Callable[[], object]


@dataclass(frozen=True, slots=True)
class Delivered:
    """How one channel's delivery of an Issue ended."""

    state: Literal["done", "partial", "failed", "stopped"]
    detail: str = ""


class Deliverer(Protocol):
    """Delivers one channel of an Issue; checks *should_stop* between batches."""

    shareable: bool

    def deliver(self, issue: Issue, stored: StoredIssue,
                should_stop: Callable[[], bool]) -> Delivered: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    misfire_grace: timedelta = timedelta(minutes=15)
    lease: timedelta = timedelta(seconds=30)
    poll: float = 1.0
    threads: int = 4


class Worker:
    """Scheduler lease, job mirroring, execution and recovery for one process."""

    def __init__(self, store: Store, planner: Planner, deliverers: Mapping[str, Deliverer],
                 options: WorkerOptions, holder: str | None = None,
                 recurring: Recurring | None = None) -> None:
        self.store, self.planner, self.deliverers = store, planner, dict(deliverers)
        self.recurring = recurring
        self.options = options
        self.holder = holder or uuid.uuid4().hex
        self.lifecycle = Lifecycle(store)
        self._stop = threading.Event()
        self._running: set[tuple[int, str]] = set()
        self._helped: set[tuple[int, str]] = set()
        self._lock = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None
        self._thread: threading.Thread | None = None
        self.missed: list[tuple[int, str]] = []

    # -- the loop -------------------------------------------------------------------

    def start(self) -> None:
        global _ACTIVE
        _ACTIVE = self
        self._thread = threading.Thread(target=self._loop, name="publisher-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        self._release()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except (PublisherError, sa.exc.SQLAlchemyError):
                log.exception("worker tick failed; trying again")
            self._stop.wait(self.options.poll)

    def tick(self, now: datetime | None = None) -> None:
        """One round: lease, recovery, job mirroring, joining shared sends."""
        now = now or datetime.now(UTC)
        if self._hold_lease(now):
            scheduler = self._ensure_scheduler()
            self._recover(now)
            self._mirror(scheduler)
        self._join_shared(now)

    # -- the lease ------------------------------------------------------------------

    def _hold_lease(self, now: datetime) -> bool:
        expires = now + self.options.lease
        c = leases.c
        with self.store.begin() as conn:
            took = conn.execute(leases.update().where(
                c.name == LEASE, sa.or_(c.holder == self.holder, c.expires_at < now)
            ).values(holder=self.holder, expires_at=expires)).rowcount
            if took:
                return True
            rows = [{"name": LEASE, "holder": self.holder, "expires_at": expires}]
            return bool(insert_ignoring_conflicts(conn, leases, rows, leases.c.name))

    def _release(self) -> None:
        with self.store.begin() as conn:
            conn.execute(leases.delete().where(leases.c.name == LEASE,
                                               leases.c.holder == self.holder))

    @property
    def is_scheduler(self) -> bool:
        return self._scheduler is not None

    # -- APScheduler as the timer ----------------------------------------------------

    def _ensure_scheduler(self) -> BackgroundScheduler:
        if self._scheduler is None:
            grace = int(self.options.misfire_grace.total_seconds())
            self._scheduler = BackgroundScheduler(
                jobstores={"default": SQLAlchemyJobStore(engine=self.store.engine)},
                executors={"default": ThreadPoolExecutor(self.options.threads)},
                # Explicit: APScheduler's 1 s default silently drops late jobs.
                job_defaults={"misfire_grace_time": grace, "coalesce": True,
                              "max_instances": 1},
                timezone=UTC)
            self._scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
            self._scheduler.start()
            self._add_recurring(self._scheduler)
        return self._scheduler

    def _add_recurring(self, scheduler: BackgroundScheduler) -> None:
        rule = self.recurring
        if rule is None:
            # The rule was taken out of the settings: its stored job goes too.
            if scheduler.get_job("recurring") is not None:
                scheduler.remove_job("recurring")
            return
        trigger = CronTrigger(day_of_week=rule.day_of_week, hour=rule.hour,
                              minute=rule.minute, timezone=ZoneInfo(rule.timezone))
        scheduler.add_job(run_recurring, trigger, id="recurring", replace_existing=True)

    def _mirror(self, scheduler: BackgroundScheduler) -> None:
        """Make APScheduler's jobs match the scheduled steps in the store."""
        with self.store.read() as conn:
            steps = [s for s in self.planner.steps(conn) if s.state == "scheduled"]
        wanted = {job_id(s.issue_number, s.channel): s for s in steps}
        for job in scheduler.get_jobs():
            if job.id.startswith("issue:") and job.id not in wanted:
                job.remove()
        for jid, step in wanted.items():
            job = scheduler.get_job(jid)
            if job is None or job.trigger.run_date != step.run_at:
                scheduler.add_job(run_dispatch, "date", run_date=step.run_at, id=jid,
                                  args=[step.issue_number, step.channel],
                                  replace_existing=True)

    def _on_missed(self, event: JobExecutionEvent) -> None:
        number, channel = self._parse_job(event.job_id)
        if number is None:
            return
        with self.store.begin() as conn:
            late = datetime.now(UTC) - event.scheduled_run_time
            self._mark_missed(conn, number, channel, late)

    def _mark_missed(self, conn: sa.Connection, number: int, channel: str,
                     late: timedelta) -> None:
        detail = f"missed: worker was {int(late.total_seconds())} s late, past the grace time"
        if self.planner.set_state(conn, number, channel, "missed", detail,
                                  only_from=("scheduled",)):
            self.missed.append((number, channel))
            log.error("Issue %s %s %s", number, channel, detail)
            self._settle(conn, number)

    @staticmethod
    def _parse_job(jid: str) -> tuple[int | None, str]:
        parts = jid.split(":")
        if len(parts) != 3 or parts[0] != "issue" or not parts[1].isdigit():
            return None, ""
        return int(parts[1]), parts[2]

    # -- recovery -------------------------------------------------------------------

    def _recover(self, now: datetime) -> None:
        with self.store.begin() as conn:
            steps = self.planner.steps(conn)
            for step in steps:
                if step.state == "scheduled" and now - step.run_at > self.options.misfire_grace:
                    self._mark_missed(conn, step.issue_number, step.channel, now - step.run_at)
        for step in steps:
            if step.state == "running" and self._stale(step, now):
                self._submit(step.issue_number, step.channel)

    def _stale(self, step: DispatchStep, now: datetime) -> bool:
        key = (step.issue_number, step.channel)
        return key not in self._running and now - step.updated_at > self.options.lease

    def _submit(self, number: int, channel: str) -> None:
        scheduler = self._scheduler
        if scheduler is not None:
            # Not an "issue:" id: those mirror scheduled steps, and _mirror
            # removes any that no scheduled step wants.
            scheduler.add_job(run_dispatch, "date", run_date=datetime.now(UTC),
                              id=f"resume:{number}:{channel}",
                              args=[number, channel], replace_existing=True)

    def _join_shared(self, now: datetime) -> None:
        """Help with a send another worker is running (and beating), once each."""
        with self.store.read() as conn:
            steps = [s for s in self.planner.steps(conn) if s.state == "running"]
        running = {(s.issue_number, s.channel) for s in steps}
        self._helped &= running
        for step in steps:
            deliverer = self.deliverers.get(step.channel)
            key = (step.issue_number, step.channel)
            # A stale step is recovery's business (run by the lease holder as owner).
            if (deliverer is None or not deliverer.shareable or key in self._running
                    or key in self._helped or self._stale(step, now)):
                continue
            self._helped.add(key)
            threading.Thread(target=self._help, args=key, daemon=True).start()

    # -- execution ------------------------------------------------------------------

    def execute(self, number: int, channel: str) -> None:
        """Run one step (the job body); a no-op unless the step is due to run."""
        with self.store.begin() as conn:
            if not self.planner.set_state(conn, number, channel, "running",
                                          only_from=("scheduled", "running")):
                return
            self._move_issue(conn, number, "sending")
        self._run(number, channel, owner=True)

    def _help(self, number: int, channel: str) -> None:
        self._run(number, channel, owner=False)

    def _run(self, number: int, channel: str, *, owner: bool) -> None:
        key = (number, channel)
        while True:
            with self._lock:
                if key not in self._running:
                    self._running.add(key)
                    break
            if not owner:
                return
            # A helper of this process is on it: the owner goes on when it ends,
            # so that someone finishes the step.
            self._stop.wait(0.05)
        try:
            result = self._deliver(number, channel)
            if owner:
                self._finish(number, channel, result)
        finally:
            with self._lock:
                self._running.discard(key)

    def _deliver(self, number: int, channel: str) -> Delivered:
        deliverer = self.deliverers.get(channel)
        if deliverer is None:
            return Delivered("failed", f"no deliverer for channel '{channel}'")
        with self.store.read() as conn:
            stored = self.store.issues.find(conn, number)
            step_hash = self._step(conn, number, channel).content_hash
            issue = self.store.issues.load(conn, stored.id)
        if stored.content_hash != step_hash:
            return Delivered("failed", "the Issue changed after sign-off; approve it again")
        try:
            return deliverer.deliver(issue, stored, self._should_stop(number, channel))
        except PublisherError as exc:
            return Delivered("failed", str(exc))

    def _step(self, conn: sa.Connection, number: int, channel: str) -> DispatchStep:
        (step,) = [s for s in self.planner.steps(conn, number) if s.channel == channel]
        return step

    def _should_stop(self, number: int, channel: str) -> Callable[[], bool]:
        def check() -> bool:
            # Also the heartbeat: a running step that stops beating is resumed.
            with self.store.begin() as conn:
                if self._stop.is_set():
                    return True
                self.planner.set_state(conn, number, channel, "running",
                                       only_from=("running",))
                return self.planner.state(conn, number, channel) != "running"
        return check

    def _finish(self, number: int, channel: str, result: Delivered) -> None:
        final = {"done": "done", "partial": "partial", "failed": "failed"}.get(result.state)
        with self.store.begin() as conn:
            if final is not None:
                self.planner.set_state(conn, number, channel, final, result.detail,
                                       only_from=("running",))
            self._settle(conn, number)

    def _settle(self, conn: sa.Connection, number: int) -> None:
        """Set the Issue's status once none of its steps can still run."""
        states = [s.state for s in self.planner.steps(conn, number)]
        if any(s in ("scheduled", "paused", "running") for s in states) or not states:
            return
        if "cancelled" in states:
            return
        if all(s == "done" for s in states):
            self._move_issue(conn, number, "sent")
        elif any(s in ("done", "partial") for s in states):
            self._move_issue(conn, number, "partially_sent")
        else:
            self._move_issue(conn, number, "failed")

    def _move_issue(self, conn: sa.Connection, number: int, to: str) -> None:
        current = self.store.issues.find(conn, number).status
        if current == "approved" and to != "sending":
            self.lifecycle.move(conn, number, "sending")
        if current != to and to in TRANSITIONS.get(current, frozenset()):
            self.lifecycle.move(conn, number, to)
