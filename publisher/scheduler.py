"""Scheduling: dispatch plans in the store, APScheduler 3.x as the timer.

The ``dispatches`` table is the truth: one row per (Issue, channel) with the
instant it is due and its state (``scheduled``, ``paused``, ``running``,
``done``, ``partial``, ``failed``, ``missed``, ``cancelled``). Commands such
as ``publisher schedule`` only write rows; the worker that holds the
scheduler lease mirrors them into APScheduler jobs (SQLAlchemyJobStore in the
same database, ids ``issue:{number}:{channel}``, ``replace_existing=True``,
an explicit misfire grace) and runs them through the module-level
``run_dispatch(issue_number, channel)``.

Times: an editor gives a local wall time in the publication's zone. zoneinfo
turns it into an instant; a time that does not exist (the hour skipped when
clocks go forward) moves forward by the gap, and a time that happens twice
(clocks go back) means the first one. Both rules are Python's own ``fold=0``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from publisher.errors import ConfigError, ContentError
from publisher.lifecycle import Lifecycle
from publisher.store import Store
from publisher.store.articles import as_utc
from publisher.store.tables import dispatch_overrides, dispatches

__all__ = [
    "ACTIVE_STATES",
    "DispatchStep",
    "Planner",
    "job_id",
    "local_instant",
    "parse_offset",
]

# States in which a step may still run; the others are final.
ACTIVE_STATES = frozenset({"scheduled", "paused", "running"})
_OFFSET = re.compile(r"^([+-]?)\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$")


def job_id(issue_number: int, channel: str) -> str:
    """The APScheduler job id of one dispatch step."""
    return f"issue:{issue_number}:{channel}"


def parse_offset(text: str, field: str = "offset") -> timedelta:
    """``"-2h"``, ``"+15m"``, ``"1h30m"`` or ``"0"`` as a timedelta."""
    cleaned = text.strip().lower()
    if cleaned in ("0", "+0", "-0", ""):
        return timedelta(0)
    match = _OFFSET.match(cleaned)
    if not match or not (match.group(2) or match.group(3)):
        raise ConfigError(f"'{text}' is not an offset like -2h, +15m or 1h30m", field=field)
    delta = timedelta(hours=int(match.group(2) or 0), minutes=int(match.group(3) or 0))
    return -delta if match.group(1) == "-" else delta


def local_instant(text: str, tz_name: str) -> datetime:
    """The UTC instant of a local wall time ``YYYY-MM-DD HH:MM`` in *tz_name*."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ContentError(f"unknown time zone '{tz_name}'", field="tz") from None
    try:
        naive = datetime.fromisoformat(text.strip().replace("T", " "))
    except ValueError:
        raise ContentError(f"'{text}' is not a time like 2026-12-01 07:00", field="at") from None
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    # fold=0: a skipped time takes the offset before the change (so it lands
    # after the gap), a repeated time its first occurrence.
    return naive.replace(tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class DispatchStep:
    """One row of a dispatch plan."""

    issue_number: int
    channel: str
    run_at: datetime
    state: str
    content_hash: str
    detail: str
    updated_at: datetime


def _step(row: sa.Row[tuple[object, ...]]) -> DispatchStep:
    m = row._mapping
    run_at, updated = as_utc(m["run_at"]), as_utc(m["updated_at"])
    assert run_at is not None and updated is not None
    return DispatchStep(m["issue_number"], m["channel"], run_at, m["state"],
                        m["content_hash"], m["detail"], updated)


class Planner:
    """Writes and changes dispatch plans; the worker turns them into sends."""

    def __init__(self, store: Store, offsets: Mapping[str, timedelta]) -> None:
        self.store = store
        self.offsets = dict(offsets)
        self.lifecycle = Lifecycle(store)

    def steps(self, conn: sa.Connection, number: int | None = None) -> list[DispatchStep]:
        query = sa.select(dispatches).order_by(dispatches.c.run_at, dispatches.c.channel)
        if number is not None:
            query = query.where(dispatches.c.issue_number == number)
        return [_step(r) for r in conn.execute(query)]

    def set_overrides(self, conn: sa.Connection, number: int,
                      offsets: Iterable[tuple[str, str]]) -> None:
        """Keep a plan file's own [dispatch] offsets for Issue *number*."""
        c = dispatch_overrides.c
        conn.execute(dispatch_overrides.delete().where(c.issue_number == number))
        rows = [{"issue_number": number, "channel": ch, "offset": off} for ch, off in offsets]
        if rows:
            conn.execute(dispatch_overrides.insert(), rows)

    def offsets_for(self, conn: sa.Connection, number: int) -> dict[str, timedelta]:
        """The settings' steps with the Issue's own overrides on top."""
        c = dispatch_overrides.c
        rows = conn.execute(sa.select(c.channel, c.offset).where(c.issue_number == number))
        return {**self.offsets, **{ch: parse_offset(off) for ch, off in rows}}

    def schedule(self, conn: sa.Connection, number: int, at: datetime,
                 channels: Iterable[str] | None = None) -> list[DispatchStep]:
        """Plan every chosen channel of Issue *number* around instant *at*."""
        offsets = self.offsets_for(conn, number)
        chosen = list(channels) if channels is not None else list(offsets)
        unknown = [c for c in chosen if c not in offsets]
        if unknown:
            raise ContentError(f"no dispatch step for channel '{unknown[0]}'", field="channel")
        self.lifecycle.require_signoff(conn, number, chosen)
        current = self.store.issues.find(conn, number)
        now = datetime.now(UTC)
        for channel in chosen:
            self._upsert(conn, number, channel, at + offsets[channel],
                         current.content_hash, now)
        self.lifecycle.move(conn, number, "scheduled")
        return self.steps(conn, number)

    @staticmethod
    def _upsert(conn: sa.Connection, number: int, channel: str, run_at: datetime,
                digest: str, now: datetime) -> None:
        key = (dispatches.c.issue_number == number) & (dispatches.c.channel == channel)
        old = conn.execute(sa.select(dispatches.c.state).where(key)).scalar_one_or_none()
        if old in ("running", "done"):
            raise ContentError(f"Issue {number} {channel} is already {old}", field="channel")
        values = {"run_at": run_at, "state": "scheduled", "content_hash": digest,
                  "detail": "", "updated_at": now}
        if old is None:
            conn.execute(dispatches.insert().values(issue_number=number, channel=channel,
                                                    **values))
        else:
            conn.execute(dispatches.update().where(key).values(**values))

    def set_state(self, conn: sa.Connection, number: int, channel: str, state: str,
                  detail: str = "", *, only_from: Iterable[str] | None = None) -> bool:
        """Change one step's state; with *only_from*, only from those states."""
        c = dispatches.c
        query = dispatches.update().where(c.issue_number == number, c.channel == channel)
        if only_from is not None:
            query = query.where(c.state.in_(list(only_from)))
        result = conn.execute(query.values(state=state, detail=detail[:1000],
                                           updated_at=datetime.now(UTC)))
        return result.rowcount > 0

    def _change_all(self, conn: sa.Connection, number: int, to: str,
                    from_states: Iterable[str]) -> list[str]:
        changed = [s.channel for s in self.steps(conn, number) if s.state in set(from_states)]
        for channel in changed:
            self.set_state(conn, number, channel, to, only_from=from_states)
        return changed

    def unschedule(self, conn: sa.Connection, number: int) -> list[str]:
        """Take back steps not yet started; the Issue is approved again."""
        self.store.issues.find(conn, number)
        c = dispatches.c
        gone = [s.channel for s in self.steps(conn, number) if s.state in ("scheduled", "paused")]
        conn.execute(dispatches.delete().where(c.issue_number == number,
                                               c.state.in_(("scheduled", "paused"))))
        if not self.steps(conn, number):
            self.lifecycle.move(conn, number, "approved")
        return gone

    def pause(self, conn: sa.Connection, number: int) -> list[str]:
        """Hold every step; a running send stops after its current batch."""
        return self._change_all(conn, number, "paused", ("scheduled", "running"))

    def resume(self, conn: sa.Connection, number: int) -> list[str]:
        """Release paused steps; those already due run at once."""
        return self._change_all(conn, number, "scheduled", ("paused",))

    def cancel(self, conn: sa.Connection, number: int) -> list[str]:
        """Stop every channel of the Issue; the ledger keeps what already went."""
        changed = self._change_all(conn, number, "cancelled", ACTIVE_STATES)
        self.lifecycle.move(conn, number, "cancelled")
        return changed

    def state(self, conn: sa.Connection, number: int, channel: str) -> str | None:
        c = dispatches.c
        return conn.execute(sa.select(c.state).where(
            c.issue_number == number, c.channel == channel)).scalar_one_or_none()
