"""parse_feed / fetch_feed: RSS 2.0 and Atom entries become Articles."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.content import (
    Author,
    Emphasis,
    Heading,
    Image,
    Link,
    ListBlock,
    Paragraph,
    Quote,
    Strong,
    Text,
)
from publisher.errors import ContentError, FetchError
from publisher.fetch import FetchOptions, SafeFetcher
from publisher.sources.feed import entry_id, fetch_feed, parse_feed
from tests.publisher.test_fetch import LocalServer, Reply

SAMPLES = Path(__file__).parent / "feed_samples"


def load(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def t(text: str) -> Text:
    return Text(text=text)


def rss(
    items: str, channel: str = "<title>Desk</title><link>https://desk.example/</link>"
) -> bytes:
    head = '<?xml version="1.0"?><rss version="2.0">'
    return f"{head}<channel>{channel}{items}</channel></rss>".encode()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.close()


# -- RSS 2.0 -----------------------------------------------------------------------


def test_rss_entry_fields() -> None:
    first, second = parse_feed(load("rss2.xml"), source="rss2.xml")
    assert first.headline == "Tokayev in New York & Washington"
    assert first.id == entry_id("steppe-4711", "https://news.example.org/")
    assert first.canonical_url == "https://news.example.org/2024/05/tokayev-new-york"
    assert first.authors == (Author(name="Aigerim Sadykova"),)
    assert first.published_at == datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
    assert first.updated_at is None  # not invented from pubDate
    assert (first.section, first.tags) == ("Politics", ("Politics", "Diplomacy"))
    assert first.source == "Steppe Wire"
    assert first.copyright == "© 2024 Steppe Wire"
    assert first.language == "en-gb"
    assert first.summary == "The president arrives on Monday."
    assert first.lead_image == Image(src="https://cdn.example.org/tokayev-lead.jpg")
    assert second.lead_image == Image(src="https://cdn.example.org/grain.png")


def test_rss_body_comes_from_content_with_links_resolved() -> None:
    body = parse_feed(load("rss2.xml"), source="rss2.xml")[0].body
    assert body == (
        Paragraph(
            inlines=(
                t("The president "),
                Strong(children=(t("arrives"),)),
                t(" in New York on "),
                Emphasis(children=(t("Monday"),)),
                t(", officials "),
                Link(href="https://news.example.org/2024/04/announcement", children=(t("said"),)),
                t("."),
            )
        ),
        Heading(level=2, text="Agenda"),
        ListBlock(
            items=(
                (t("UN General Assembly"),),
                (
                    t("Talks in "),
                    Link(
                        href="https://news.example.org/2024/05/washington",
                        children=(t("Washington"),),
                    ),
                ),
            )
        ),
        Image(
            src="https://news.example.org/img/tokayev.jpg",
            alt="The president at the airport",
            caption="Arrival in Astana, 2023",
        ),
        Quote(text="We are ready for dialogue.", attribution="Kassym-Jomart Tokayev"),
        Paragraph(inlines=(t("Click for more."),)),
    )


def test_an_untitled_entry_is_named_by_its_first_words_and_a_blank_one_skipped() -> None:
    articles = parse_feed(load("rss2.xml"), source="rss2.xml")
    assert len(articles) == 2
    assert articles[1].headline == "Grain exports rose by a fifth in April as new rail links…"
    assert articles[1].body == (
        Paragraph(
            inlines=(
                t(
                    "Grain exports rose by a fifth in April as new rail links to China"
                    " opened, the ministry said on Thursday."
                ),
            )
        ),
    )


# -- Atom ---------------------------------------------------------------------------


def test_atom_entry_fields() -> None:
    oil, plain = parse_feed(load("atom.xml"), source="atom.xml")
    assert oil.headline == "Oil output steady"  # type="html" title: markup removed
    assert oil.id == entry_id("tag:atom.example.net,2024:oil-output")
    assert oil.canonical_url == "https://atom.example.net/2024/oil-output"  # via xml:base
    assert oil.authors == (
        Author(name="Daniyar Ospanov", email="daniyar@atom.example.net"),
        Author(name="Lena Kim", url="https://atom.example.net/lena"),
    )
    assert oil.published_at == datetime(2024, 5, 3, 5, 0, tzinfo=UTC)
    assert oil.updated_at == datetime(2024, 5, 3, 6, 15, tzinfo=UTC)
    assert (oil.section, oil.tags) == ("Energy", ("Energy", "oil"))
    assert (oil.source, oil.copyright, oil.language) == ("Caspian Notes", "CC BY 4.0", "ru")
    assert oil.lead_image == Image(src="https://atom.example.net/media/rig.jpg")
    assert oil.body == (
        Paragraph(
            inlines=(
                t("Output held at "),
                Strong(children=(t("1.8m"),)),
                t(" barrels a day, see "),
                Link(href="https://atom.example.net/charts/may", children=(t("the charts"),)),
                t("."),
            )
        ),
        Image(src="https://atom.example.net/img/chart.png", alt="Chart"),
    )
    assert plain.headline == "Plain <title> with & sign"  # a text title keeps its brackets
    assert plain.body == (
        Paragraph(inlines=(t("An "), Emphasis(children=(t("XHTML"),)), t(" body."))),
    )


# -- identity -------------------------------------------------------------------------


def test_ids_follow_the_guid_not_the_title() -> None:
    item = "<item><title>{}</title><guid>{}</guid></item>"
    before = parse_feed(rss(item.format("First title", "urn:x:1")), source="a")
    after = parse_feed(rss(item.format("Corrected title", "urn:x:1")), source="b")
    assert before[0].id == after[0].id


def test_bare_guids_are_scoped_to_their_feed() -> None:
    item = "<item><title>Same</title><guid>42</guid></item>"
    one = parse_feed(rss(item, "<title>A</title><link>https://a.example/</link>"), source="a")
    two = parse_feed(rss(item, "<title>B</title><link>https://b.example/</link>"), source="b")
    assert one[0].id != two[0].id


def test_entries_without_guid_or_link_get_a_stable_id() -> None:
    data = rss("<item><title>Only a title</title></item>")
    assert parse_feed(data, source="a")[0].id == parse_feed(data, source="b")[0].id


# -- errors -----------------------------------------------------------------------------


def test_a_malformed_feed_names_source_and_line() -> None:
    with pytest.raises(ContentError, match="not well-formed") as info:
        parse_feed(load("malformed.xml"), source="malformed.xml")
    assert (info.value.source, info.value.line) == ("malformed.xml", 8)


@pytest.mark.parametrize("data", [b"", b"just words", b"<html><body><p>page</p></body></html>"])
def test_what_is_no_feed_is_an_error(data: bytes) -> None:
    with pytest.raises(ContentError, match="not an RSS or Atom feed") as info:
        parse_feed(data, source="thing.xml")
    assert info.value.source == "thing.xml"


def test_an_empty_feed_is_empty_not_an_error() -> None:
    assert parse_feed(rss(""), source="empty.xml") == []


def test_bytes_are_never_taken_for_a_file_name(tmp_path: Path) -> None:
    # feedparser opens bytes that name a file; parse_feed must not let it.
    feed_file = tmp_path / "local.xml"
    feed_file.write_bytes(load("atom.xml"))
    with pytest.raises(ContentError):
        parse_feed(str(feed_file).encode(), source="path")


# -- fetching ------------------------------------------------------------------------------


def test_a_served_feed_is_fetched_and_resolved_against_its_url(server: LocalServer) -> None:
    items = (
        "<item><title>Local</title><link>/stories/1</link>"
        '<description>&lt;a href="more"&gt;More&lt;/a&gt;</description></item>'
    )
    server.routes["/feed.xml"] = Reply(
        body=rss(items, "<title>Local desk</title>"),
        headers={"Content-Type": "application/rss+xml; charset=utf-8"},
    )
    with SafeFetcher(FetchOptions(allow_private=True)) as fetcher:
        (article,) = fetch_feed(server.url("/feed.xml"), fetcher)
    assert article.canonical_url == server.url("/stories/1")
    # Relative references in content resolve against the document (RSS has
    # no xml:base), as feed readers do; the entry link is only the fallback.
    more = Link(href=server.url("/more"), children=(t("More"),))
    assert article.body == (Paragraph(inlines=(more,)),)
    assert server.requests == ["/feed.xml"]


def test_a_private_feed_is_refused(server: LocalServer) -> None:
    server.routes["/feed.xml"] = Reply(body=load("rss2.xml"))
    with pytest.raises(FetchError, match="refused"):
        fetch_feed(server.url("/feed.xml"), SafeFetcher(FetchOptions()))
    assert server.requests == []


# -- properties -------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_any_bytes_yield_articles_or_a_content_error(data: bytes) -> None:
    with contextlib.suppress(ContentError):
        parse_feed(data, source="fuzz")


_PIECES = [
    '<?xml version="1.0"?>',
    '<rss version="2.0">',
    "<channel>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<guid>",
    "</guid>",
    "<link>",
    "</link>",
    "<description>",
    "</description>",
    "&lt;p&gt;",
    "&lt;a href=&quot;javascript:x&quot;&gt;",
    "<category>",
    "</category>",
    "<pubDate>Wed, 01 May 2024 09:30:00 +0500</pubDate>",
    "<pubDate>x</pubDate>",
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    "<entry>",
    "</entry>",
    "<author>",
    "<name>",
    "</name>",
    "</author>",
    '<enclosure url="x.png" type="image/png"/>',
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=30))
def test_feed_like_text_yields_articles_or_a_content_error(pieces: list[str]) -> None:
    with contextlib.suppress(ContentError):
        parse_feed("".join(pieces).encode(), source="fuzz")
