"""Subscribers in the database: lists, memberships, preferences, suppression.

A subscriber has one global status (``pending``, ``active``, ``unsubscribed``,
``bounced``, ``complained``) and one membership per list with its own status
(``pending``, ``active``, ``unsubscribed``) and preferences (sections, format,
language). Suppression is by address hash and holds for every list.

The audience of an Issue streams in keyset-paged batches, each read in its own
short transaction, so memory stays flat however many subscribers there are.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa

from publisher.audience.csvio import SubscriberFormat, SubscriberRow
from publisher.errors import ContentError, NotFoundError
from publisher.store.articles import as_utc
from publisher.store.tables import (
    lists,
    membership_sections,
    memberships,
    subscribers,
    suppressions,
)

__all__ = [
    "DEFAULT_LIST",
    "AudienceRepo",
    "ImportOutcome",
    "ListCount",
    "Membership",
    "Recipient",
    "Subscriber",
    "SubscriberStatus",
    "SuppressReason",
    "email_hash",
]

DEFAULT_LIST = "newsletter"
SubscriberStatus = Literal["pending", "active", "unsubscribed", "bounced", "complained"]
SuppressReason = Literal["hard_bounce", "complaint", "erased", "manual"]
_BATCH = 500


def email_hash(email: str) -> str:
    """SHA-256 of the lower-cased address: what suppression keeps."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    email: str
    name: str
    status: str
    consent_at: datetime | None
    consent_source: str | None
    consent_ip: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Membership:
    list_id: str
    status: str
    format: str
    language: str | None
    sections: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recipient:
    """One person to deliver an Issue to, as the channels need it."""

    subscriber_id: int
    email: str
    name: str
    format: str
    language: str | None


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import did; *kept_unsubscribed* were imported but had opted out."""

    added: int
    updated: int
    suppressed: tuple[str, ...]
    kept_unsubscribed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListCount:
    """A list, how many memberships it has, and how many of those would be mailed."""

    list_id: str
    name: str
    members: int
    active: int


def _subscriber(row: Any) -> Subscriber:
    m = row._mapping
    created, updated = as_utc(m["created_at"]), as_utc(m["updated_at"])
    assert created is not None and updated is not None
    return Subscriber(
        m["id"],
        m["email"],
        m["name"],
        m["status"],
        as_utc(m["consent_at"]),
        m["consent_source"],
        m["consent_ip"],
        created,
        updated,
    )


def _check_format(fmt: str) -> SubscriberFormat:
    if fmt not in ("html", "text", "pdf"):
        raise ContentError(f"unknown format '{fmt}' (html, text or pdf)", field="format")
    return fmt  # type: ignore[return-value]


class AudienceRepo:
    """Subscribers and lists; every method takes the connection it runs on."""

    # -- lists ---------------------------------------------------------------

    def ensure_list(self, conn: sa.Connection, list_id: str, name: str | None = None) -> None:
        exists = conn.execute(sa.select(lists.c.id).where(lists.c.id == list_id)).first()
        if exists is None:
            conn.execute(lists.insert().values(id=list_id, name=name or list_id, created_at=_now()))

    def list_ids(self, conn: sa.Connection) -> list[str]:
        return list(conn.execute(sa.select(lists.c.id).order_by(lists.c.id)).scalars())

    def list_counts(self, conn: sa.Connection) -> list[ListCount]:
        """Every list with its member count and how many members are mailable."""
        li, m, s = lists.c, memberships.c, subscribers.c
        mailable = sa.and_(m.status == "active", s.status == "active")
        active = sa.func.coalesce(sa.func.sum(sa.case((mailable, 1), else_=0)), 0)
        query = (
            sa.select(li.id, li.name, sa.func.count(m.subscriber_id), active)
            .select_from(
                lists.outerjoin(memberships, m.list_id == li.id).outerjoin(
                    subscribers, s.id == m.subscriber_id
                )
            )
            .group_by(li.id, li.name)
            .order_by(li.id)
        )
        return [ListCount(i, n, int(c), int(a)) for i, n, c, a in conn.execute(query)]

    def require_list(self, conn: sa.Connection, list_id: str) -> None:
        if conn.execute(sa.select(lists.c.id).where(lists.c.id == list_id)).first() is None:
            raise NotFoundError(f"no list '{list_id}'")

    # -- one subscriber --------------------------------------------------------

    def find(self, conn: sa.Connection, email: str) -> Subscriber:
        row = conn.execute(
            sa.select(subscribers).where(subscribers.c.email == email.strip().lower())
        ).first()
        if row is None:
            raise NotFoundError(f"no subscriber '{email}'")
        return _subscriber(row)

    def get(self, conn: sa.Connection, subscriber_id: int) -> Subscriber:
        row = conn.execute(sa.select(subscribers).where(subscribers.c.id == subscriber_id)).first()
        if row is None:
            raise NotFoundError(f"no subscriber with id {subscriber_id}")
        return _subscriber(row)

    def memberships(self, conn: sa.Connection, subscriber_id: int) -> list[Membership]:
        return self._memberships_of(conn, [subscriber_id]).get(subscriber_id, [])

    def membership(self, conn: sa.Connection, subscriber_id: int, list_id: str) -> Membership:
        for m in self.memberships(conn, subscriber_id):
            if m.list_id == list_id:
                return m
        raise NotFoundError(f"subscriber {subscriber_id} is not on list '{list_id}'")

    @staticmethod
    def _memberships_of(
        conn: sa.Connection, subscriber_ids: Sequence[int], list_id: str | None = None
    ) -> dict[int, list[Membership]]:
        """Memberships (by list id) of many subscribers in two queries, not two per person."""
        m, ms = memberships.c, membership_sections.c
        query = sa.select(memberships).where(m.subscriber_id.in_(subscriber_ids))
        wanted = sa.select(ms.subscriber_id, ms.list_id, ms.section).where(
            ms.subscriber_id.in_(subscriber_ids)
        )
        if list_id is not None:
            query, wanted = query.where(m.list_id == list_id), wanted.where(ms.list_id == list_id)
        sections: defaultdict[tuple[int, str], list[str]] = defaultdict(list)
        for sub_id, sec_list, section in conn.execute(wanted.order_by(ms.section)):
            sections[(sub_id, sec_list)].append(section)
        found: defaultdict[int, list[Membership]] = defaultdict(list)
        for r in conn.execute(query.order_by(m.subscriber_id, m.list_id)):
            key = (r.subscriber_id, r.list_id)
            found[r.subscriber_id].append(
                Membership(r.list_id, r.status, r.format, r.language, tuple(sections[key]))
            )
        return found

    def add(
        self,
        conn: sa.Connection,
        email: str,
        *,
        list_id: str,
        name: str = "",
        status: Literal["pending", "active"] = "active",
        sections: Sequence[str] = (),
        format: str = "html",
        language: str | None = None,
        consent_source: str,
        consent_ip: str | None = None,
    ) -> Subscriber:
        """Add or update one subscriber on *list_id*; refuses suppressed addresses."""
        email = email.strip().lower()
        if self.is_suppressed(conn, email):
            raise ContentError(f"'{email}' is suppressed and cannot be added", field="email")
        self.ensure_list(conn, list_id)
        sub_id = self._upsert_subscriber(conn, email, name, status, consent_source, consent_ip)
        self._upsert_membership(
            conn, sub_id, list_id, status, _check_format(format), language, sections
        )
        return self.get(conn, sub_id)

    def _upsert_subscriber(
        self, conn: sa.Connection, email: str, name: str, status: str, source: str, ip: str | None
    ) -> int:
        now = _now()
        row = conn.execute(
            sa.select(subscribers.c.id, subscribers.c.status).where(subscribers.c.email == email)
        ).first()
        consent = {
            "consent_at": now if status == "active" else None,
            "consent_source": source,
            "consent_ip": ip,
        }
        if row is None:
            result = conn.execute(
                subscribers.insert().values(
                    email=email, name=name, status=status, created_at=now, updated_at=now, **consent
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])
        values: dict[str, Any] = {"updated_at": now}
        if name:
            values["name"] = name
        if row.status in ("pending", "unsubscribed") and status == "active":
            values.update(status="active", **consent)
        conn.execute(subscribers.update().where(subscribers.c.id == row.id).values(**values))
        return int(row.id)

    def _upsert_membership(
        self,
        conn: sa.Connection,
        sub_id: int,
        list_id: str,
        status: str,
        fmt: str,
        language: str | None,
        sections: Sequence[str],
    ) -> None:
        c = memberships.c
        key = (c.subscriber_id == sub_id) & (c.list_id == list_id)
        old = conn.execute(sa.select(c.status).where(key)).scalar_one_or_none()
        values = {"format": fmt, "language": language, "updated_at": _now()}
        if old is None:
            conn.execute(
                memberships.insert().values(
                    subscriber_id=sub_id, list_id=list_id, status=status, **values
                )
            )
        else:
            keep = old if status == "pending" and old == "active" else status
            conn.execute(memberships.update().where(key).values(status=keep, **values))
        self._replace_sections(conn, sub_id, list_id, sections)

    @staticmethod
    def _replace_sections(
        conn: sa.Connection, sub_id: int, list_id: str, sections: Iterable[str]
    ) -> None:
        c = membership_sections.c
        conn.execute(
            membership_sections.delete().where(c.subscriber_id == sub_id, c.list_id == list_id)
        )
        rows = [
            {"subscriber_id": sub_id, "list_id": list_id, "section": s}
            for s in dict.fromkeys(sections)
        ]
        if rows:
            conn.execute(membership_sections.insert(), rows)

    def confirm(
        self, conn: sa.Connection, subscriber_id: int, list_id: str, ip: str | None = None
    ) -> Subscriber:
        """Double opt-in done: the membership and the subscriber become active."""
        sub = self.get(conn, subscriber_id)
        self.membership(conn, subscriber_id, list_id)
        if sub.status in ("bounced", "complained"):
            raise ContentError(f"'{sub.email}' is suppressed", field="email")
        now = _now()
        conn.execute(
            memberships.update()
            .where(memberships.c.subscriber_id == subscriber_id, memberships.c.list_id == list_id)
            .values(status="active", updated_at=now)
        )
        if sub.status != "active":
            conn.execute(
                subscribers.update()
                .where(subscribers.c.id == subscriber_id)
                .values(
                    status="active", consent_at=now, consent_ip=ip or sub.consent_ip, updated_at=now
                )
            )
        return self.get(conn, subscriber_id)

    def unsubscribe(self, conn: sa.Connection, subscriber_id: int, list_id: str) -> None:
        """Leave one list; the subscriber is ``unsubscribed`` when no list is left."""
        self.membership(conn, subscriber_id, list_id)
        now = _now()
        conn.execute(
            memberships.update()
            .where(memberships.c.subscriber_id == subscriber_id, memberships.c.list_id == list_id)
            .values(status="unsubscribed", updated_at=now)
        )
        still = conn.execute(
            sa.select(memberships.c.list_id).where(
                memberships.c.subscriber_id == subscriber_id, memberships.c.status != "unsubscribed"
            )
        ).first()
        if still is None:
            conn.execute(
                subscribers.update()
                .where(
                    subscribers.c.id == subscriber_id,
                    subscribers.c.status.in_(("active", "pending")),
                )
                .values(status="unsubscribed", updated_at=now)
            )

    def set_preferences(
        self,
        conn: sa.Connection,
        subscriber_id: int,
        list_id: str,
        *,
        sections: Sequence[str],
        format: str,
        language: str | None = None,
    ) -> Membership:
        """Change sections of interest (empty = all), format and language."""
        old = self.membership(conn, subscriber_id, list_id)
        conn.execute(
            memberships.update()
            .where(memberships.c.subscriber_id == subscriber_id, memberships.c.list_id == list_id)
            .values(
                format=_check_format(format), language=language or old.language, updated_at=_now()
            )
        )
        self._replace_sections(conn, subscriber_id, list_id, sections)
        return self.membership(conn, subscriber_id, list_id)

    def remove(self, conn: sa.Connection, email: str, list_id: str | None = None) -> int:
        """Delete the subscriber from one list, or entirely; returns rows removed."""
        sub = self.find(conn, email)
        if list_id is None:
            conn.execute(subscribers.delete().where(subscribers.c.id == sub.id))
            return 1
        self.membership(conn, sub.id, list_id)
        c = memberships.c
        conn.execute(
            membership_sections.delete().where(
                membership_sections.c.subscriber_id == sub.id,
                membership_sections.c.list_id == list_id,
            )
        )
        conn.execute(memberships.delete().where(c.subscriber_id == sub.id, c.list_id == list_id))
        return 1

    # -- suppression -----------------------------------------------------------

    def is_suppressed(self, conn: sa.Connection, email: str) -> bool:
        query = sa.select(suppressions.c.email_hash).where(
            suppressions.c.email_hash == email_hash(email)
        )
        return conn.execute(query).first() is not None

    def suppress(
        self, conn: sa.Connection, email: str, reason: SuppressReason, detail: str = ""
    ) -> bool:
        """Never mail *email* again, on any list; False if it already was."""
        digest = email_hash(email)
        if self.is_suppressed(conn, email):
            return False
        conn.execute(
            suppressions.insert().values(
                email_hash=digest, reason=reason, detail=detail[:500], created_at=_now()
            )
        )
        status = {"hard_bounce": "bounced", "complaint": "complained"}.get(reason, "unsubscribed")
        conn.execute(
            subscribers.update()
            .where(subscribers.c.email == email.strip().lower())
            .values(status=status, updated_at=_now())
        )
        return True

    # -- bulk -----------------------------------------------------------------

    def import_rows(
        self, conn: sa.Connection, rows: Sequence[SubscriberRow], *, list_id: str, source: str
    ) -> ImportOutcome:
        """Store valid CSV rows as active members of *list_id*, in batches.

        Suppressed addresses are skipped. A person who unsubscribed (from this
        list, or from everything) stays unsubscribed: a bulk file is no proof
        they asked to come back, so only ``add`` re-subscribes them.
        """
        self.ensure_list(conn, list_id)
        added = updated = 0
        suppressed: list[str] = []
        opted_out: list[str] = []
        for start in range(0, len(rows), _BATCH):
            a, u, s, o = self._import_batch(conn, rows[start : start + _BATCH], list_id, source)
            added, updated = added + a, updated + u
            suppressed.extend(s)
            opted_out.extend(o)
        return ImportOutcome(added, updated, tuple(suppressed), tuple(opted_out))

    def _import_batch(
        self, conn: sa.Connection, batch: Sequence[SubscriberRow], list_id: str, source: str
    ) -> tuple[int, int, list[str], list[str]]:
        """(added, updated, suppressed addresses, addresses kept unsubscribed)."""
        hashes = {email_hash(r.email): r.email for r in batch}
        blocked = set(
            conn.execute(
                sa.select(suppressions.c.email_hash).where(suppressions.c.email_hash.in_(hashes))
            ).scalars()
        )
        keep = [r for r in batch if email_hash(r.email) not in blocked]
        known = self._known(conn, [r.email for r in keep])
        new = [r for r in keep if r.email not in known]
        now = _now()
        consent = {"consent_at": now, "consent_source": f"import:{source}", "consent_ip": None}
        if new:
            conn.execute(
                subscribers.insert(),
                [
                    {
                        "email": r.email,
                        "name": r.name,
                        "status": "active",
                        "created_at": now,
                        "updated_at": now,
                        **consent,
                    }
                    for r in new
                ],
            )
        self._refresh_known(conn, [r for r in keep if r.email in known], known, now, consent)
        stored = known | self._known(conn, [r.email for r in new])
        ids = {email: sub_id for email, (sub_id, _) in stored.items()}
        left = {email for email, (_, status) in known.items() if status == "unsubscribed"}
        opted_out = self._import_memberships(conn, keep, ids, left, list_id, now)
        return len(new), len(keep) - len(new), [hashes[h] for h in blocked], opted_out

    @staticmethod
    def _known(conn: sa.Connection, emails: list[str]) -> dict[str, tuple[int, str]]:
        """address -> (id, status) of those already stored."""
        if not emails:
            return {}
        s = subscribers.c
        query = sa.select(s.email, s.id, s.status).where(s.email.in_(emails))
        return {e: (i, st) for e, i, st in conn.execute(query)}

    @staticmethod
    def _refresh_known(
        conn: sa.Connection,
        rows: Sequence[SubscriberRow],
        known: dict[str, tuple[int, str]],
        now: datetime,
        consent: dict[str, Any],
    ) -> None:
        """Like ``add``: a given name replaces the old one, and pending becomes active
        (the file is the operator's record of consent); unsubscribed stays as it is.

        One executemany per change, not one UPDATE per row: re-importing a large
        list must cost about what the first import did."""
        by_id = subscribers.c.id == sa.bindparam("sub_id")
        named = [{"sub_id": known[r.email][0], "new_name": r.name} for r in rows if r.name]
        if named:
            update = subscribers.update().where(by_id)
            conn.execute(update.values(name=sa.bindparam("new_name"), updated_at=now), named)
        waking = [{"sub_id": known[r.email][0]} for r in rows if known[r.email][1] == "pending"]
        if waking:
            update = subscribers.update().where(by_id)
            conn.execute(update.values(status="active", updated_at=now, **consent), waking)

    def _import_memberships(
        self,
        conn: sa.Connection,
        rows: Sequence[SubscriberRow],
        ids: dict[str, int],
        unsubscribed: set[str],
        list_id: str,
        now: datetime,
    ) -> list[str]:
        """Replace the rows' memberships of *list_id*; returns the addresses that
        stay unsubscribed. The language is kept, as the CSV has no column for it."""
        if not rows:
            return []
        sub_ids = [ids[r.email] for r in rows]
        c = memberships.c
        mine = (c.list_id == list_id) & c.subscriber_id.in_(sub_ids)
        old = {
            sub_id: (status, language)
            for sub_id, status, language in conn.execute(
                sa.select(c.subscriber_id, c.status, c.language).where(mine)
            )
        }
        left = {sub_id for sub_id, (status, _) in old.items() if status == "unsubscribed"}
        opted_out = [r.email for r in rows if r.email in unsubscribed or ids[r.email] in left]
        conn.execute(
            membership_sections.delete().where(
                membership_sections.c.list_id == list_id,
                membership_sections.c.subscriber_id.in_(sub_ids),
            )
        )
        conn.execute(memberships.delete().where(mine))
        out = set(opted_out)
        conn.execute(
            memberships.insert(),
            [
                {
                    "subscriber_id": ids[r.email],
                    "list_id": list_id,
                    "status": "unsubscribed" if r.email in out else "active",
                    "format": r.format,
                    "language": old[ids[r.email]][1] if ids[r.email] in old else None,
                    "updated_at": now,
                }
                for r in rows
            ],
        )
        sections = [
            {"subscriber_id": ids[r.email], "list_id": list_id, "section": s}
            for r in rows
            for s in dict.fromkeys(r.sections)
        ]
        if sections:
            conn.execute(membership_sections.insert(), sections)
        return opted_out

    def members(
        self, conn: sa.Connection, list_id: str | None = None, *, batch_size: int = 1000
    ) -> Iterator[tuple[Subscriber, Membership | None]]:
        """Every subscriber (on *list_id* when given) with that membership, by id.

        Read in keyset pages with each page's memberships fetched at once, so
        memory stays flat and a large list costs a few queries per page.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        s = subscribers.c
        query = sa.select(subscribers).order_by(s.id).limit(batch_size)
        if list_id is not None:
            query = query.join(memberships, memberships.c.subscriber_id == s.id).where(
                memberships.c.list_id == list_id
            )
        last = 0
        while True:
            page = [_subscriber(row) for row in conn.execute(query.where(s.id > last)).all()]
            found = self._memberships_of(conn, [sub.id for sub in page], list_id) if page else {}
            for sub in page:
                chosen = found.get(sub.id)
                yield sub, (chosen[0] if chosen else None)
            if len(page) < batch_size:
                return
            last = page[-1].id

    # -- the audience of an Issue ----------------------------------------------

    @staticmethod
    def _audience_query(list_id: str, sections: Sequence[str], fmt: str | None) -> sa.Select[Any]:
        s, m, ms = subscribers.c, memberships.c, membership_sections.c
        any_pref = sa.exists().where(ms.subscriber_id == m.subscriber_id, ms.list_id == list_id)
        wanted = sa.exists().where(
            ms.subscriber_id == m.subscriber_id,
            ms.list_id == list_id,
            ms.section.in_(list(sections)),
        )
        # No hash check here: suppress() moves the subscriber out of 'active'
        # and erased subscribers no longer exist, so the status is enough.
        query = (
            sa.select(s.id, s.email, s.name, m.format, m.language)
            .join(memberships, m.subscriber_id == s.id)
            .where(
                m.list_id == list_id,
                m.status == "active",
                s.status == "active",
                sa.or_(~any_pref, wanted),
            )
        )
        return query if fmt is None else query.where(m.format == fmt)

    def audience(
        self,
        engine: sa.Engine,
        list_id: str,
        sections: Sequence[str],
        *,
        fmt: str | None = None,
        batch_size: int = 1000,
    ) -> Iterator[Recipient]:
        """Active, unsuppressed members whose sections meet *sections*, streamed by id."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        base = self._audience_query(list_id, sections, fmt)
        last = 0
        while True:
            with engine.connect() as conn:
                rows = conn.execute(
                    base.where(subscribers.c.id > last).order_by(subscribers.c.id).limit(batch_size)
                ).all()
            for r in rows:
                yield Recipient(r.id, r.email, r.name, r.format, r.language)
            if len(rows) < batch_size:
                return
            last = rows[-1].id

    def audience_counts(
        self, conn: sa.Connection, list_id: str, sections: Sequence[str]
    ) -> dict[str, int]:
        """How many recipients of each format the audience holds."""
        sub = self._audience_query(list_id, sections, None).subquery()
        query = sa.select(sub.c.format, sa.func.count()).group_by(sub.c.format)
        return {f: n for f, n in conn.execute(query)}

    # -- GDPR -------------------------------------------------------------------

    def export_data(self, conn: sa.Connection, email: str) -> dict[str, Any]:
        """Everything held about *email*, JSON-ready."""
        sub = self.find(conn, email)

        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "email": sub.email,
            "name": sub.name,
            "status": sub.status,
            "consent": {
                "at": iso(sub.consent_at),
                "source": sub.consent_source,
                "ip": sub.consent_ip,
            },
            "created_at": iso(sub.created_at),
            "updated_at": iso(sub.updated_at),
            "lists": [
                {
                    "list": m.list_id,
                    "status": m.status,
                    "format": m.format,
                    "language": m.language,
                    "sections": list(m.sections),
                }
                for m in self.memberships(conn, sub.id)
            ],
            "suppressed": self.is_suppressed(conn, sub.email),
        }

    def erase(self, conn: sa.Connection, email: str) -> None:
        """Delete every personal datum; keep only the address hash, suppressed.

        Also works when only a suppression is left (the subscriber was removed
        earlier). A bounce detail often quotes the address ("550 <a@b>: user
        unknown"), so an existing suppression keeps its reason but not its detail.
        """
        address = email.strip().lower()
        row = conn.execute(
            sa.select(subscribers.c.id).where(subscribers.c.email == address)
        ).first()
        suppressed = self.is_suppressed(conn, address)
        if row is None and not suppressed:
            raise NotFoundError(f"no subscriber '{email}'")
        if row is not None:
            # Explicit deletes rather than relying on ON DELETE CASCADE, which
            # SQLite only honours with PRAGMA foreign_keys on.
            c = membership_sections.c
            conn.execute(membership_sections.delete().where(c.subscriber_id == row.id))
            conn.execute(memberships.delete().where(memberships.c.subscriber_id == row.id))
            conn.execute(subscribers.delete().where(subscribers.c.id == row.id))
        digest = email_hash(address)
        if suppressed:
            conn.execute(
                suppressions.update().where(suppressions.c.email_hash == digest).values(detail="")
            )
        else:
            conn.execute(
                suppressions.insert().values(
                    email_hash=digest, reason="erased", detail="", created_at=_now()
                )
            )
