"""Plans are checked strictly; rules pick articles from the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from publisher.assemble import assemble, read_plan, select_articles
from publisher.content import Article, Paragraph, Publication, Text
from publisher.errors import ContentError
from publisher.store import Store
from publisher.store.db import sqlite_url

PUB = Publication(name="P", timezone="Asia/Almaty")
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _plan(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _art(aid: str, section: str, days: int) -> Article:
    return Article(id=aid, headline=aid.upper(), section=section,
                   published_at=T0 + timedelta(days=days),
                   body=(Paragraph(inlines=(Text(text=f"text of {aid}"),)),))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(sqlite_url(tmp_path / "p.db"))
    with s.begin() as conn:
        s.articles.save(conn, [_art("w1", "World", 1), _art("w2", "World", 3),
                               _art("b1", "Business", 2), _art("b2", "Business", 5)], "t")
    return s


HEAD = 'number = 2\ntitle = "Two"\ndate = 2026-11-10\n'


def test_explicit_ids_keep_the_editors_order(tmp_path: Path, store: Store) -> None:
    plan = read_plan(_plan(tmp_path, HEAD + 'editor_note = "Hello **all**"\n'
                           '[[sections]]\nname = "World"\narticles = ["w2", "w1"]\n'))
    with store.read() as conn:
        issue = assemble(plan, PUB, select_articles(plan, store, conn, PUB))
    assert [a.id for a in issue.articles] == ["w2", "w1"]
    assert issue.editor_note and isinstance(issue.editor_note[0], Paragraph)
    assert issue.editor_note[0].text == "Hello all"


def test_rules_take_a_section_since_a_date_newest_first(tmp_path: Path, store: Store) -> None:
    plan = read_plan(_plan(tmp_path, HEAD + '[[sections]]\nname = "Money"\n'
                           'from_section = "Business"\nsince = 2026-11-01\nlimit = 1\n'))
    with store.read() as conn:
        issue = assemble(plan, PUB, select_articles(plan, store, conn, PUB))
    assert [(s.name, [a.id for a in s.articles]) for s in issue.sections] == [("Money", ["b2"])]


def test_since_last_issue_skips_what_came_before_it(tmp_path: Path, store: Store) -> None:
    first = read_plan(_plan(tmp_path, 'number = 1\ntitle = "One"\ndate = 2026-11-01\n'
                            '[[sections]]\nname = "World"\nfrom_section = "World"\n'))
    with store.begin() as conn:
        store.issues.save(conn, assemble(first, PUB, select_articles(first, store, conn, PUB)))
        later = replace(_art("w3", "World", 0), published_at=datetime.now(UTC) + timedelta(
            minutes=1))
        store.articles.save(conn, [later], "t")
    second = read_plan(_plan(tmp_path, HEAD + '[[sections]]\nname = "World"\n'
                             'from_section = "World"\nsince = "last_issue"\n'))
    with store.read() as conn:
        issue = assemble(second, PUB, select_articles(second, store, conn, PUB))
    assert [a.id for a in issue.articles] == ["w3"]


@pytest.mark.parametrize(("text", "where"), [
    (HEAD + 'colour = "red"\n[[sections]]\nname = "W"\narticles = ["w1"]\n', "field 'colour'"),
    ('title = "x"\ndate = 2026-11-10\n[[sections]]\nname="W"\narticles=["w1"]\n',
     "field 'number'"),
    (HEAD + '[[sections]]\nname = "W"\n', "field 'sections[0]'"),
    (HEAD + '[[sections]]\nname = "W"\narticles = ["w1"]\nsince = "yesterday"\n',
     "field 'sections[0].since'"),
    (HEAD + 'sections = []\n', "field 'sections'"),
    (HEAD + '[[sections]]\nname = "W"\narticles = ["w1"\n', ":6: "),
    ('number = 1\ntitle = "x"\ndate = 2026-11-10T10:00:00\n[[sections]]\nname="W"\n'
     'articles=["w1"]\n', "field 'date'"),
])
def test_bad_plans_name_the_file_and_field(tmp_path: Path, text: str, where: str) -> None:
    path = _plan(tmp_path, text)
    with pytest.raises(ContentError) as info:
        read_plan(path)
    assert str(info.value).startswith(str(path)) and where in str(info.value)


def test_a_plan_whose_rules_match_nothing_is_refused(tmp_path: Path, store: Store) -> None:
    plan = read_plan(_plan(tmp_path, HEAD + '[[sections]]\nname = "X"\n'
                           'from_section = "Sport"\n'))
    with store.read() as conn, pytest.raises(ContentError, match="no articles matched"):
        assemble(plan, PUB, select_articles(plan, store, conn, PUB))


def test_assemble_is_pure_and_deterministic(tmp_path: Path, store: Store) -> None:
    plan = read_plan(_plan(tmp_path, HEAD + '[[sections]]\nname = "W"\narticles = ["w1"]\n'))
    with store.read() as conn:
        chosen = select_articles(plan, store, conn, PUB)
    a, b = assemble(plan, PUB, chosen), assemble(plan, PUB, chosen)
    assert a == b and a.content_hash == b.content_hash and a.date == date(2026, 11, 10)
