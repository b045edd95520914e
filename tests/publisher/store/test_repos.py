"""Articles save idempotently; Issues keep every version with its hash."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from publisher.content import Article, Issue, IssueSection, Paragraph, Publication, Text
from publisher.errors import NotFoundError
from publisher.store import Store
from publisher.store.db import sqlite_url


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(sqlite_url(tmp_path / "p.db"))


def _article(aid: str, text: str = "body", section: str = "World",
             published: datetime | None = None) -> Article:
    return Article(id=aid, headline=f"Headline {aid}", section=section, published_at=published,
                   body=(Paragraph(inlines=(Text(text=text),)),))


def test_saving_the_same_articles_twice_changes_nothing(store: Store) -> None:
    items = [_article("a"), _article("b", "other")]
    with store.begin() as conn:
        first = store.articles.save(conn, items, "x")
    with store.begin() as conn:
        second = store.articles.save(conn, items, "x")
    assert (first.added, second.added, second.unchanged) == (2, 0, 2)
    with store.read() as conn:
        assert store.articles.get(conn, "a") == items[0]


def test_same_content_under_a_new_id_is_a_duplicate(store: Store) -> None:
    with store.begin() as conn:
        store.articles.save(conn, [_article("a")], "feed")
        report = store.articles.save(conn, [dataclasses.replace(_article("a"), id="a2")], "feed")
    assert report.duplicates == 1


def test_a_correction_under_the_same_id_updates(store: Store) -> None:
    with store.begin() as conn:
        store.articles.save(conn, [_article("a")], "x")
        report = store.articles.save(conn, [_article("a", "corrected")], "x")
        assert report.updated == 1
        assert store.articles.get(conn, "a").body == _article("a", "corrected").body


def test_a_failed_transaction_stores_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.begin() as conn:
        store.articles.save(conn, [_article("a")], "x")
        raise RuntimeError("boom")
    with store.read() as conn, pytest.raises(NotFoundError):
        store.articles.get(conn, "a")


def test_list_filters_by_section_and_time(store: Store) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with store.begin() as conn:
        store.articles.save(conn, [_article("old", "1", published=t0),
                                   _article("new", "2", published=t0 + timedelta(days=2)),
                                   _article("biz", "3", section="Business", published=t0)], "x")
        rows = list(store.articles.list(conn, section="World", since=t0 + timedelta(days=1)))
    assert [r.id for r in rows] == ["new"]


def test_issue_versions_follow_content(store: Store) -> None:
    issue = Issue(publication=Publication(name="P"), number=3, title="T", date=date(2026, 1, 1),
                  sections=(IssueSection(name="World", articles=(_article("a"),)),))
    with store.begin() as conn:
        v1, created1 = store.issues.save(conn, issue)
        again, created2 = store.issues.save(conn, issue)
        v2, _ = store.issues.save(conn, dataclasses.replace(issue, title="T2"))
    assert (created1, created2, again.version, v2.version) == (True, False, 1, 2)
    with store.read() as conn:
        assert store.issues.find(conn, 3).version == 2
        assert store.issues.load(conn, store.issues.find(conn, 3, 1).id) == issue
        assert [i.version for i in store.issues.list(conn)] == [2]
        assert v1.content_hash == issue.content_hash
        with pytest.raises(NotFoundError):
            store.issues.find(conn, 4)
