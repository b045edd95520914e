"""The content model validates on construction and stays immutable."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from publisher.content import (
    Article,
    Author,
    Heading,
    Issue,
    IssueSection,
    Link,
    ListBlock,
    Paragraph,
    Publication,
    Quote,
    Strong,
    Text,
    plain_text,
)
from publisher.errors import ContentError


def test_values_are_frozen() -> None:
    art = Article(id="a", headline="H")
    with pytest.raises(dataclasses.FrozenInstanceError):
        art.headline = "other"  # type: ignore[misc]


@pytest.mark.parametrize(("build", "field"), [
    (lambda: Article(id="", headline="H"), "id"),
    (lambda: Article(id="a", headline="two\nlines"), "headline"),
    (lambda: Article(id="a", headline="H", published_at=datetime(2026, 1, 1)), "published_at"),
    (lambda: Heading(level=7, text="x"), "level"),
    (lambda: Paragraph(inlines=()), "inlines"),
    (lambda: Link(href="javascript:alert(1)", children=()), "href"),
    (lambda: Text(text="bell\x07"), "text"),
    (lambda: Publication(name="P", sender_address="a@b.c\r\nBcc: x@y.z"), "sender_address"),
])
def test_invalid_values_are_refused_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(ContentError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field


def test_an_article_cannot_appear_twice_in_an_issue() -> None:
    art = Article(id="a", headline="H")
    with pytest.raises(ContentError, match="twice"):
        Issue(publication=Publication(name="P"), number=1, title="T", date=date(2026, 1, 1),
              sections=(IssueSection(name="A", articles=(art,)),
                        IssueSection(name="B", articles=(art,))))


def test_byline_joins_names_as_a_newsroom_does() -> None:
    names = [Author(name=n) for n in ("A", "B", "C")]
    assert Article(id="a", headline="H").byline == ""
    assert Article(id="a", headline="H", authors=tuple(names[:1])).byline == "A"
    assert Article(id="a", headline="H", authors=tuple(names[:2])).byline == "A and B"
    assert Article(id="a", headline="H", authors=tuple(names)).byline == "A, B and C"


def test_plain_text_flattens_inline_markup() -> None:
    body = (Paragraph(inlines=(Text(text="a "), Strong(children=(Text(text="b"),)))),
            Quote(text="q"), ListBlock(items=((Text(text="i1"),), (Text(text="i2"),))))
    assert plain_text(body) == "a b\n\nq\n\ni1\n\ni2"


def test_content_hash_ignores_status_but_not_content() -> None:
    pub = Publication(name="P")
    base = Issue(publication=pub, number=1, title="T", date=date(2026, 1, 1))
    assert dataclasses.replace(base, status="sent").content_hash == base.content_hash
    assert dataclasses.replace(base, title="U").content_hash != base.content_hash
