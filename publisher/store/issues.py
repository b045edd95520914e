"""Stored Issues: every version kept with its content hash."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from publisher.content import Issue
from publisher.errors import NotFoundError
from publisher.jsonform import issue_from_dict, issue_to_dict
from publisher.store.articles import as_utc
from publisher.store.tables import issues

__all__ = ["IssueRepo", "StoredIssue"]


@dataclass(frozen=True, slots=True)
class StoredIssue:
    """One stored version of an Issue."""

    id: int
    number: int
    version: int
    content_hash: str
    title: str
    issue_date: date
    status: str
    created_at: datetime


class IssueRepo:
    """Issues in the store; every method takes the connection it runs on."""

    def save(self, conn: sa.Connection, issue: Issue) -> tuple[StoredIssue, bool]:
        """Store *issue* as a new version unless the newest has the same hash.

        Returns the stored version and whether it was created now.
        """
        digest = issue.content_hash
        latest = self._latest(conn, issue.number)
        if latest is not None and latest.content_hash == digest:
            return latest, False
        version = 1 if latest is None else latest.version + 1
        now = datetime.now(UTC)
        result = conn.execute(issues.insert().values(
            number=issue.number, version=version, content_hash=digest, title=issue.title,
            issue_date=issue.date, status=issue.status, created_at=now,
            data=json.dumps(issue_to_dict(issue), ensure_ascii=False)))
        pk = result.inserted_primary_key
        assert pk is not None
        return StoredIssue(int(pk[0]), issue.number, version, digest, issue.title,
                           issue.date, issue.status, now), True

    def _latest(self, conn: sa.Connection, number: int) -> StoredIssue | None:
        query = self._select().where(issues.c.number == number)
        row = conn.execute(query.order_by(issues.c.version.desc()).limit(1)).first()
        return None if row is None else self._row(row)

    @staticmethod
    def _select() -> sa.Select[tuple[object, ...]]:
        c = issues.c
        return sa.select(c.id, c.number, c.version, c.content_hash, c.title, c.issue_date,
                         c.status, c.created_at)

    @staticmethod
    def _row(row: sa.Row[tuple[object, ...]]) -> StoredIssue:
        m = row._mapping
        created = as_utc(m["created_at"])
        assert created is not None
        return StoredIssue(m["id"], m["number"], m["version"], m["content_hash"], m["title"],
                           m["issue_date"], m["status"], created)

    def find(self, conn: sa.Connection, number: int, version: int | None = None) -> StoredIssue:
        """The given version of Issue *number*, the newest by default."""
        query = self._select().where(issues.c.number == number)
        if version is not None:
            query = query.where(issues.c.version == version)
        row = conn.execute(query.order_by(issues.c.version.desc()).limit(1)).first()
        if row is None:
            which = f"Issue {number}" + (f" version {version}" if version else "")
            raise NotFoundError(f"no {which}")
        return self._row(row)

    def load(self, conn: sa.Connection, issue_id: int) -> Issue:
        """The full Issue value of a stored version."""
        row = conn.execute(sa.select(issues.c.data, issues.c.status).where(
            issues.c.id == issue_id)).first()
        if row is None:
            raise NotFoundError(f"no stored Issue with id {issue_id}")
        # The column is the live status (the lifecycle moves it); the JSON
        # keeps the status the version was stored with.
        return dataclasses.replace(issue_from_dict(json.loads(row.data)), status=row.status)

    def list(self, conn: sa.Connection) -> Iterator[StoredIssue]:
        """The newest version of every Issue, newest number first."""
        newest = sa.select(issues.c.number, sa.func.max(issues.c.version).label("v")
                           ).group_by(issues.c.number).subquery()
        query = self._select().join(newest, sa.and_(
            issues.c.number == newest.c.number, issues.c.version == newest.c.v))
        for row in conn.execute(query.order_by(issues.c.number.desc())):
            yield self._row(row)

    def previous(self, conn: sa.Connection, number: int) -> StoredIssue | None:
        """The first version of the newest Issue numbered below *number*."""
        query = self._select().where(issues.c.number < number)
        order = (issues.c.number.desc(), issues.c.version.asc())
        row = conn.execute(query.order_by(*order).limit(1)).first()
        return None if row is None else self._row(row)
