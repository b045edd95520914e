"""Per-platform counters, facets and ``publisher social count``'s JSON."""

from __future__ import annotations

import io
import json

import pytest

from channels.social.counters import count, mastodon_length, threads_length
from channels.social.escape import linkedin_escape
from channels.social.facets import detect_facets
from publisher.cli import main

FAMILY = "👨‍👩‍👧‍👦"


def test_mastodon_counts_urls_as_23_and_remote_mentions_by_local_part() -> None:
    assert mastodon_length("https://example.org/" + "a" * 100) == 23
    assert mastodon_length("hi @desk@mastodon.social") == len("hi @desk")
    assert mastodon_length(FAMILY) == 1
    assert mastodon_length("https://e.org/x", url_length=30) == 30


def test_bluesky_counts_graphemes_and_bytes() -> None:
    assert count("bluesky", FAMILY * 300).length == 300
    assert count("bluesky", FAMILY * 300).valid is False  # 7,500 bytes is over 3,000
    assert count("bluesky", "e\u0301" * 300).valid


def test_threads_counts_an_emoji_as_its_utf8_bytes() -> None:
    assert threads_length("ab😷") == 2 + 4


def test_linkedin_counts_the_escaped_commentary() -> None:
    assert linkedin_escape("a(b)#c @d") == "a\\(b\\)\\#c \\@d"
    assert count("linkedin", "(x)").length == 5


def test_telegram_counts_what_the_reader_sees() -> None:
    assert count("telegram", "a < b & c").length == len("a < b & c")
    assert count("telegram", "x" * 4097).valid is False


def test_bluesky_facets_use_utf8_byte_offsets() -> None:
    text = "Ünï ✨ (https://e.org/a_(b)). #Trade #2026"
    facets = detect_facets(text)
    raw = text.encode()
    got = [(raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(), f["features"][0])
           for f in facets]
    assert got == [
        ("https://e.org/a_(b)", {"$type": "app.bsky.richtext.facet#link",
                                 "uri": "https://e.org/a_(b)"}),
        ("#Trade", {"$type": "app.bsky.richtext.facet#tag", "tag": "Trade"})]


@pytest.mark.parametrize(("platform", "text", "expected"), [
    ("x", "Hi http://test.co\n", {"platform": "x", "length": 26, "limit": 280, "valid": True}),
    ("mastodon", "x" * 501, {"platform": "mastodon", "length": 501, "limit": 500,
                             "valid": False}),
    ("threads", "", {"platform": "threads", "length": 0, "limit": 500, "valid": False}),
    ("linkedin", "a#b", {"platform": "linkedin", "length": 4, "limit": 3000, "valid": True}),
    ("telegram", "<b>", {"platform": "telegram", "length": 3, "limit": 4096, "valid": True}),
])
def test_count_prints_the_json_the_issue_specifies(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], platform: str,
        text: str, expected: dict[str, object]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["social", "count", "--platform", platform]) == 0
    assert json.loads(capsys.readouterr().out) == expected


def test_count_adds_facets_for_bluesky(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("read https://e.org #news"))
    assert main(["social", "count", "--platform", "bluesky"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["platform", "length", "limit", "valid", "facets"]
    assert out["facets"][0] == {"index": {"byteStart": 5, "byteEnd": 18}, "features": [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://e.org"}]}
