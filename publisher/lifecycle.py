"""The life of an Issue: checked transitions and per-channel sign-off.

::

    draft -> ready -> approved -> scheduled -> sending -> sent
                                                       -> partially_sent
                                                       -> failed
    (any state before sent) -> cancelled

The status belongs to the newest stored version of an Issue; a changed
Issue is a new version, which starts as ``draft`` and has no sign-offs,
because a sign-off is recorded against the content hash it approved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from publisher.errors import ContentError
from publisher.preflight import Report
from publisher.store import Store, StoredIssue
from publisher.store.articles import as_utc
from publisher.store.tables import issues, signoffs

__all__ = ["TRANSITIONS", "Lifecycle", "SignOff"]

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"ready", "cancelled"}),
    "ready": frozenset({"approved", "draft", "cancelled"}),
    "approved": frozenset({"scheduled", "sending", "draft", "cancelled"}),
    "scheduled": frozenset({"sending", "approved", "failed", "cancelled"}),
    "sending": frozenset({"sent", "partially_sent", "failed", "cancelled"}),
    "partially_sent": frozenset({"sending", "cancelled"}),
    "failed": frozenset({"sending", "cancelled"}),
    "sent": frozenset(),
    "cancelled": frozenset(),
}


@dataclass(frozen=True, slots=True)
class SignOff:
    """An editor's approval of one channel of one Issue version."""

    channel: str
    signed_by: str
    signed_at: datetime


class Lifecycle:
    """Status changes and sign-offs of stored Issues."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def move(self, conn: sa.Connection, number: int, to: str) -> StoredIssue:
        """Move the newest version of Issue *number* to *to*, if the map allows it."""
        current = self.store.issues.find(conn, number)
        if to == current.status:
            return current
        if to not in TRANSITIONS.get(current.status, frozenset()):
            raise ContentError(f"Issue {number} is {current.status}; it cannot become {to}",
                               field="status")
        conn.execute(issues.update().where(issues.c.id == current.id).values(status=to))
        return self.store.issues.find(conn, number)

    def approve(self, conn: sa.Connection, number: int, channel: str, by: str,
                report: Report) -> SignOff:
        """Record *by*'s sign-off of *channel*; refused while preflight has errors."""
        if report.errors:
            first = report.errors[0]
            raise ContentError(f"Issue {number} cannot be approved for {channel}: "
                               f"{len(report.errors)} preflight error(s), first: {first}",
                               field="channel")
        current = self.store.issues.find(conn, number)
        if current.status in ("sent", "cancelled"):
            raise ContentError(f"Issue {number} is {current.status}", field="status")
        now = datetime.now(UTC)
        if self._signed(conn, current, channel) is None:
            conn.execute(signoffs.insert().values(
                issue_number=number, channel=channel, content_hash=current.content_hash,
                signed_by=by, signed_at=now))
        if current.status == "draft":
            self.move(conn, number, "ready")
        if current.status in ("draft", "ready"):
            self.move(conn, number, "approved")
        signed = self._signed(conn, current, channel)
        assert signed is not None
        return signed

    @staticmethod
    def _signed(conn: sa.Connection, issue: StoredIssue, channel: str) -> SignOff | None:
        c = signoffs.c
        row = conn.execute(sa.select(c.signed_by, c.signed_at).where(
            c.issue_number == issue.number, c.channel == channel,
            c.content_hash == issue.content_hash)).first()
        if row is None:
            return None
        when = as_utc(row.signed_at)
        assert when is not None
        return SignOff(channel, row.signed_by, when)

    def signoffs(self, conn: sa.Connection, number: int) -> dict[str, SignOff]:
        """The sign-offs of the newest version of Issue *number*, by channel."""
        current = self.store.issues.find(conn, number)
        c = signoffs.c
        rows = conn.execute(sa.select(c.channel).where(
            c.issue_number == number, c.content_hash == current.content_hash))
        found = {ch: self._signed(conn, current, ch) for ch in rows.scalars()}
        return {ch: s for ch, s in found.items() if s is not None}

    def require_signoff(self, conn: sa.Connection, number: int,
                        channels: Sequence[str]) -> None:
        """Refuse to go on unless every channel in *channels* is signed off."""
        missing = sorted(set(channels) - set(self.signoffs(conn, number)))
        if missing:
            raise ContentError(f"Issue {number} has no sign-off for {', '.join(missing)} "
                               f"(publisher approve {number} --channel {missing[0]})",
                               field="channel")
