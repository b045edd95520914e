"""The store: SQLAlchemy Core tables and migrations; SQLite default, PostgreSQL by URL.

``Store`` holds the engine and one repository per kind of record. Callers
open a transaction with ``store.begin()`` and hand its connection to the
repositories, so a whole import or assembly commits or rolls back as one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from publisher.store.articles import ArticleRepo, ArticleSummary, ImportReport
from publisher.store.db import create_engine, migrate
from publisher.store.issues import IssueRepo, StoredIssue

__all__ = ["ArticleSummary", "ImportReport", "Store", "StoredIssue"]


class Store:
    """The database and its repositories; migrated to the newest schema on open."""

    def __init__(self, url: str, *, auto_migrate: bool = True) -> None:
        self.url = url
        self.engine = create_engine(url)
        if auto_migrate:
            migrate(self.engine)
        self.articles = ArticleRepo()
        self.issues = IssueRepo()
        # Imported here: audience.store imports publisher.store.tables, so a
        # top-level import would be circular when audience.store loads first.
        from publisher.audience.store import AudienceRepo

        self.audience = AudienceRepo()
        from publisher.ledger import Ledger

        self.ledger = Ledger()

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """One transaction: committed when the block ends, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reads only."""
        with self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()
