"""The send ledger: the truth of what went out, one row per delivery.

A delivery is one (Issue number, channel, target): a recipient address for
email, an account and post index for social, a destination for the PDF. The
unique constraint on that triple is what makes a dispatch exactly-once:

1. ``claim`` writes ``attempting`` rows *before* the network call and returns
   only the targets this caller now owns (new ones, ``deferred`` ones due a
   retry, and ``attempting`` ones left stale by a crashed worker);
2. the caller sends, then ``record`` writes ``sent``, ``failed`` (permanent),
   ``deferred`` (transient: retried later) or ``unknown`` (the outcome cannot
   be known, e.g. a timeout after SMTP DATA: never retried silently).

A restart resumes from here: nobody is skipped, and duplicates are at most the
deliveries in flight at the crash. Keep each claim/record transaction short:
the network call happens between them, never inside one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from publisher.store.articles import as_utc
from publisher.store.db import insert_ignoring_conflicts
from publisher.store.tables import deliveries

__all__ = ["Delivery", "DeliveryStatus", "Ledger", "Outcome"]

DeliveryStatus = Literal["attempting", "sent", "failed", "deferred", "unknown"]
_BATCH = 500


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one claimed target."""

    target: str
    status: DeliveryStatus
    remote_id: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One ledger row."""

    issue_number: int
    channel: str
    target: str
    status: str
    content_hash: str
    attempts: int
    remote_id: str | None
    detail: str
    updated_at: datetime


class Ledger:
    """Claims and outcomes of deliveries; every method takes its connection."""

    def __init__(self, stale_after: timedelta = timedelta(minutes=10)) -> None:
        # An 'attempting' row older than this belongs to a worker that died.
        self.stale_after = stale_after

    def claim(self, conn: sa.Connection, issue_number: int, channel: str, content_hash: str,
              targets: Sequence[str], *, now: datetime | None = None) -> list[str]:
        """Mark *targets* as being attempted; return those this caller now owns."""
        now = now or datetime.now(UTC)
        owned: list[str] = []
        for start in range(0, len(targets), _BATCH):
            chunk = list(dict.fromkeys(targets[start:start + _BATCH]))
            owned.extend(self._claim_chunk(conn, issue_number, channel, content_hash, chunk, now))
        return owned

    def _claim_chunk(self, conn: sa.Connection, number: int, channel: str, digest: str,
                     chunk: list[str], now: datetime) -> list[str]:
        c = deliveries.c
        rows = conn.execute(sa.select(c.target, c.status, c.updated_at).where(
            c.issue_number == number, c.channel == channel, c.target.in_(chunk))).all()
        known = {r.target: r for r in rows}
        new = self._insert_new(conn, number, channel, digest,
                               [t for t in chunk if t not in known], now)
        retry = [r for r in rows if self._retryable(r.status, as_utc(r.updated_at), now)]
        return new + [r.target for r in retry
                      if self._take_over(conn, number, channel, digest, r, now)]

    @staticmethod
    def _insert_new(conn: sa.Connection, number: int, channel: str, digest: str,
                    targets: list[str], now: datetime) -> list[str]:
        """Insert rows for *targets*; return those this call inserted (see db)."""
        rows = [{"issue_number": number, "channel": channel, "target": t,
                 "status": "attempting", "content_hash": digest, "attempts": 1,
                 "remote_id": None, "detail": "", "updated_at": now} for t in targets]
        return insert_ignoring_conflicts(conn, deliveries, rows, deliveries.c.target)

    def _retryable(self, status: str, updated: datetime | None, now: datetime) -> bool:
        if status == "deferred":
            return True
        return status == "attempting" and updated is not None and (
            now - updated > self.stale_after)

    @staticmethod
    def _take_over(conn: sa.Connection, number: int, channel: str, digest: str,
                   row: Any, now: datetime) -> bool:
        """Move one row back to 'attempting' unless another worker got there first."""
        c = deliveries.c
        result = conn.execute(deliveries.update().where(
            c.issue_number == number, c.channel == channel, c.target == row.target,
            c.status == row.status, c.updated_at == row.updated_at,
        ).values(status="attempting", content_hash=digest, attempts=c.attempts + 1,
                 updated_at=now))
        return result.rowcount == 1

    def record(self, conn: sa.Connection, issue_number: int, channel: str,
               outcomes: Iterable[Outcome], *, now: datetime | None = None) -> None:
        """Write what happened to each claimed target."""
        now = now or datetime.now(UTC)
        c = deliveries.c
        stmt = deliveries.update().where(
            c.issue_number == issue_number, c.channel == channel,
            c.target == sa.bindparam("t")
        ).values(status=sa.bindparam("s"), remote_id=sa.bindparam("r"),
                 detail=sa.bindparam("d"), updated_at=now)
        params = [{"t": o.target, "s": o.status, "r": o.remote_id, "d": o.detail[:1000]}
                  for o in outcomes]
        if params:
            conn.execute(stmt, params)

    def counts(self, conn: sa.Connection, issue_number: int,
               channel: str | None = None) -> dict[str, int]:
        """Deliveries of an Issue by status (on one channel when given)."""
        c = deliveries.c
        query = sa.select(c.status, sa.func.count()).where(c.issue_number == issue_number)
        if channel is not None:
            query = query.where(c.channel == channel)
        return {s: n for s, n in conn.execute(query.group_by(c.status))}

    def get(self, conn: sa.Connection, issue_number: int, channel: str,
            target: str) -> Delivery | None:
        c = deliveries.c
        row = conn.execute(sa.select(deliveries).where(
            c.issue_number == issue_number, c.channel == channel, c.target == target)).first()
        if row is None:
            return None
        updated = as_utc(row.updated_at)
        assert updated is not None
        return Delivery(row.issue_number, row.channel, row.target, row.status,
                        row.content_hash, row.attempts, row.remote_id, row.detail, updated)
