"""The JSON form round-trips exactly and reads strictly."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.content import Article, Issue
from publisher.errors import ContentError
from publisher.jsonform import (
    article_to_dict,
    document_from_json,
    dumps,
    issue_to_dict,
)
from tests.strategies import article, issues


@settings(max_examples=200, deadline=None)
@given(article)
def test_article_round_trips_exactly(value: Article) -> None:
    assert document_from_json(dumps("article", article_to_dict(value))) == [value]


@settings(max_examples=100, deadline=None)
@given(issues())
def test_issue_round_trips_exactly_with_the_same_hash(value: Issue) -> None:
    back = document_from_json(dumps("issue", issue_to_dict(value)))
    assert back == value
    assert isinstance(back, Issue) and back.content_hash == value.content_hash


def _doc(**changes: object) -> str:
    art = {"id": "a1", "headline": "H", "section": "", "dek": None, "authors": [],
           "dateline": None, "published_at": None, "updated_at": None, "source": None,
           "copyright": None, "canonical_url": None, "language": None, "tags": [],
           "lead_image": None, "summary": None,
           "body": [{"type": "paragraph", "text": "x", "inlines": [{"type": "text", "text": "x"}]}]}
    art.update(changes)
    return json.dumps({"schema": 1, "kind": "article", "article": art})


def test_every_block_carries_a_type_and_text() -> None:
    doc = json.loads(_doc())
    assert doc["article"]["body"][0] == {
        "type": "paragraph", "text": "x", "inlines": [{"type": "text", "text": "x"}]}


@pytest.mark.parametrize(("change", "field"), [
    ({"headlin": "x"}, "article.headlin"),
    ({"headline": 3}, "article.headline"),
    ({"body": [{"type": "video"}]}, "article.body[0].type"),
    ({"published_at": "yesterday"}, "article.published_at"),
    ({"published_at": "2026-01-01T10:00:00"}, "article.published_at"),
    ({"id": "has space"}, "article.id"),
    ({"body": [{"type": "heading", "level": 9, "text": "x"}]}, "article.body[0].level"),
])
def test_bad_documents_name_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ContentError) as info:
        document_from_json(_doc(**change), "in.json")
    assert info.value.field == field
    assert str(info.value).startswith("in.json: field")


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(ContentError, match=r"^in.json:3: "):
        document_from_json('{\n"schema": 1,\n"kind" "article"}', "in.json")


def test_unknown_schema_version_is_refused() -> None:
    with pytest.raises(ContentError, match="unsupported schema version 2"):
        document_from_json('{"schema": 2, "kind": "article", "article": {}}')


@settings(max_examples=300, deadline=None)
@given(st.text() | st.builds(json.dumps, st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids), max_leaves=20)))
def test_arbitrary_text_raises_only_content_error(text: str) -> None:
    with contextlib.suppress(ContentError):
        document_from_json(text, "fuzz.json")


_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                            lambda kids: st.lists(kids, max_size=3)
                            | st.dictionaries(st.sampled_from(["type", "text", "x"]), kids,
                                              max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(json.loads(_doc())["article"])), _json_values)
def test_any_field_set_to_any_value_raises_only_content_error(key: str, value: object) -> None:
    with contextlib.suppress(ContentError):
        document_from_json(_doc(**{key: value}), "fuzz.json")
