"""Stored articles: idempotent saves, look-ups, listing by section and time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from publisher.content import Article
from publisher.errors import NotFoundError
from publisher.jsonform import article_from_dict, article_to_dict
from publisher.store.tables import articles

__all__ = ["ArticleRepo", "ArticleSummary", "ImportReport", "article_hash", "as_utc"]


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; every stored one is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def article_hash(article: Article) -> str:
    """SHA-256 of the article's content, its id excluded (copies differ only by id)."""
    data = article_to_dict(article)
    del data["id"]
    canon = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one import did: counts by outcome."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0

    def __add__(self, other: ImportReport) -> ImportReport:
        return ImportReport(self.added + other.added, self.updated + other.updated,
                            self.unchanged + other.unchanged, self.duplicates + other.duplicates)


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """One row of ``articles list``."""

    id: str
    section: str
    headline: str
    published_at: datetime | None
    imported_at: datetime


class ArticleRepo:
    """Articles in the store; every method takes the connection it runs on."""

    def save(self, conn: sa.Connection, items: Iterable[Article], origin: str) -> ImportReport:
        """Store *items*; the same content twice changes nothing."""
        report = ImportReport()
        now = datetime.now(UTC)
        for article in items:
            report = report + self._save_one(conn, article, origin, now)
        return report

    def _save_one(self, conn: sa.Connection, article: Article, origin: str,
                  now: datetime) -> ImportReport:
        digest = article_hash(article)
        old = conn.execute(sa.select(articles.c.content_hash).where(
            articles.c.id == article.id)).scalar_one_or_none()
        if old == digest:
            return ImportReport(unchanged=1)
        if self._hash_taken(conn, digest):
            return ImportReport(duplicates=1)
        values = self._values(article, digest, origin)
        if old is None:
            conn.execute(articles.insert().values(id=article.id, imported_at=now, **values))
            return ImportReport(added=1)
        # Same id, new content: a correction from the source replaces the old copy.
        conn.execute(articles.update().where(articles.c.id == article.id).values(**values))
        return ImportReport(updated=1)

    @staticmethod
    def _hash_taken(conn: sa.Connection, digest: str) -> bool:
        query = sa.select(articles.c.id).where(articles.c.content_hash == digest)
        return conn.execute(query).first() is not None

    @staticmethod
    def _values(article: Article, digest: str, origin: str) -> dict[str, object]:
        return {
            "section": article.section, "headline": article.headline,
            "content_hash": digest, "published_at": as_utc(article.published_at),
            "origin": origin,
            "data": json.dumps(article_to_dict(article), ensure_ascii=False),
        }

    def get(self, conn: sa.Connection, article_id: str) -> Article:
        data = conn.execute(sa.select(articles.c.data).where(
            articles.c.id == article_id)).scalar_one_or_none()
        if data is None:
            raise NotFoundError(f"no article with id '{article_id}'")
        return article_from_dict(json.loads(data))

    def list(self, conn: sa.Connection, *, section: str | None = None,
             since: datetime | None = None) -> Iterator[ArticleSummary]:
        """Summaries, newest first; *since* compares publication (else import) time."""
        c = articles.c
        when = sa.func.coalesce(c.published_at, c.imported_at)
        query = sa.select(c.id, c.section, c.headline, c.published_at, c.imported_at)
        if section is not None:
            query = query.where(c.section == section)
        if since is not None:
            query = query.where(when > since.astimezone(UTC).replace(tzinfo=None))
        for row in conn.execute(query.order_by(when.desc(), c.id)):
            imported = as_utc(row.imported_at)
            assert imported is not None
            yield ArticleSummary(row.id, row.section, row.headline,
                                 as_utc(row.published_at), imported)
