"""parse_markdown: front matter, headline rules, body blocks and located errors."""

from __future__ import annotations

import contextlib
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
    Rule,
    Strong,
    Text,
    plain_text,
)
from publisher.errors import ContentError
from publisher.sources.markdown import markdown_blocks, parse_markdown, parse_markdown_bytes

SAMPLES = Path(__file__).parent / "md_samples"


def load(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def t(text: str) -> Text:
    return Text(text=text)


def body_of(markdown: str) -> tuple[object, ...]:
    return parse_markdown("---\nheadline: H\n---\n" + markdown).body


def error(markdown: str) -> ContentError:
    with pytest.raises(ContentError) as info:
        parse_markdown(markdown, source="story.md")
    return info.value


# -- the sample files ------------------------------------------------------------


def test_yaml_front_matter_fills_every_field() -> None:
    article = parse_markdown_bytes(load("yaml_full.md"), source="yaml_full.md")
    assert article.id == "tokayev-new-york-2024"
    assert article.headline == "Tokayev heads to New York"
    assert article.dek == "The president's first UN visit since 2022"
    assert article.section == "Politics"
    assert article.authors == (
        Author(name="Aigerim Sadykova"),
        Author(
            name="Daniyar Ospanov", email="daniyar@example.org", url="https://example.org/daniyar"
        ),
    )
    assert article.dateline == "ASTANA"
    assert article.published_at == datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
    assert article.updated_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # naive means UTC
    assert (article.source, article.copyright) == ("Steppe Wire", "© 2024 Steppe Wire")
    assert article.canonical_url == "https://news.example.org/2024/05/tokayev"
    assert article.language == "en"
    assert article.tags == ("politics", "diplomacy", "2024")
    assert article.lead_image == Image(
        src="https://cdn.example.org/tokayev.jpg",
        alt="The president at the airport",
        caption="Arrival in Astana",
        credit="Steppe Wire / A. Photographer",
    )
    assert article.summary == "The president flies to New York on Monday."


def test_the_body_maps_onto_blocks() -> None:
    body = parse_markdown_bytes(load("yaml_full.md"), source="yaml_full.md").body
    assert body[0] == Paragraph(
        inlines=(
            t("The president "),
            Strong(children=(t("arrives"),)),
            t(" in New York on "),
            Emphasis(children=(t("Monday"),)),
            t(", officials "),
            Link(href="https://news.example.org/2024/04/announcement", children=(t("said"),)),
            t(".\nTalks follow in Washington."),
        )
    )
    assert body[1:8] == (
        Heading(level=2, text="Agenda"),
        ListBlock(
            items=(
                (t("UN General Assembly; opening session; side meetings"),),
                (t("Talks in Washington"),),
            )
        ),
        ListBlock(items=((t("First"),), (t("Second"),)), ordered=True),
        Image(src="/img/podium.jpg", alt="The podium", caption="The UN podium"),
        Quote(text="We are ready for dialogue.", attribution="Kassym-Jomart Tokayev"),
        Rule(),
        Paragraph(inlines=(t("schedule: 09:00 arrival"),)),
    )


def test_raw_html_is_sanitised_and_converted() -> None:
    body = parse_markdown_bytes(load("yaml_full.md"), source="yaml_full.md").body
    assert body[8:] == (
        Paragraph(inlines=(t("Raw "), Strong(children=(t("HTML"),)), t(" box"))),
        Paragraph(
            inlines=(t("A line with inline "), Emphasis(children=(t("HTML"),)), t(" and done."))
        ),
        Image(src="/i.png", alt="icon"),
    )
    assert "alert" not in plain_text(body) and "steal" not in repr(body)


def test_toml_front_matter() -> None:
    article = parse_markdown_bytes(load("toml_front.md"), source="toml_front.md")
    assert article.headline == "Grain exports rise by a fifth"
    assert article.authors == (Author(name="Lena Kim", email="lena@example.org"),)
    assert article.published_at == datetime(2024, 5, 2, tzinfo=UTC)  # a date is midnight UTC
    assert article.tags == ("grain", "exports", "rail")
    assert article.lead_image == Image(src="img/grain.png", alt="Grain silos")
    assert article.id.startswith("grain-exports-rise-by-a-fifth-")


def test_a_leading_h1_is_the_headline() -> None:
    article = parse_markdown_bytes(load("h1_only.md"), source="h1_only.md")
    assert article.headline == "Oil output steady"
    assert article.body == (
        Paragraph(inlines=(t("Output held at 1.8m barrels a day."),)),
        Heading(level=1, text="A second H1 stays in the body"),
    )


def test_ids_depend_on_content_not_file_names() -> None:
    data = load("h1_only.md")
    first = parse_markdown_bytes(data, source="a.md")
    assert parse_markdown_bytes(data, source="elsewhere/b.md").id == first.id
    assert parse_markdown(data.decode() + "\nMore.\n").id != first.id


def test_bom_and_crlf_are_tolerated() -> None:
    data = b"\xef\xbb\xbf---\r\ntitle: Hi\r\n---\r\nBody\r\n"
    assert parse_markdown_bytes(data, source="x.md").headline == "Hi"


# -- body details -----------------------------------------------------------------


def test_quote_attribution_forms() -> None:
    assert body_of("> Text\n>\n> -- Someone") == (Quote(text="Text", attribution="Someone"),)
    assert body_of("> one\n> two") == (Quote(text="one two"),)
    assert body_of("> — Only an attribution") == (Quote(text="— Only an attribution"),)


def test_images_inside_text_follow_the_paragraph() -> None:
    assert body_of("Text ![a](x.png) more") == (
        Paragraph(inlines=(t("Text more"),)),
        Image(src="x.png", alt="a"),
    )


def test_unsafe_targets_are_dropped() -> None:
    assert body_of("[x](javascript:alert(1)) ![i](data:image/png;base64,AA)") == (
        Paragraph(inlines=(t("[x](javascript:alert(1))"),)),
    )


def test_code_blocks_keep_their_lines() -> None:
    assert body_of("    a = 1\n    b = 2\n") == (Paragraph(inlines=(t("a = 1\nb = 2"),)),)


def test_markdown_blocks_reads_a_fragment() -> None:
    # Editor's notes: no front matter, and a leading H1 stays a heading.
    assert markdown_blocks("# Hi\n\nA **note**.") == (
        Heading(level=1, text="Hi"),
        Paragraph(inlines=(t("A "), Strong(children=(t("note"),)), t("."))),
    )
    assert markdown_blocks("") == ()


# -- errors name file, line and key ------------------------------------------------------


def test_unknown_key() -> None:
    exc = error("---\ntitle: T\nsubtitle: nope\n---\nBody")
    assert (exc.source, exc.line, exc.field) == ("story.md", 3, "subtitle")
    assert "unknown front matter key 'subtitle'" in str(exc)


def test_malformed_yaml_points_at_the_line() -> None:
    exc = error("---\ntitle: T\nsection: a: b\n---\nBody")
    assert (exc.source, exc.line) == ("story.md", 3)
    assert "not valid YAML: mapping values are not allowed" in exc.message
    # An unclosed flow list is noticed on the next line, and reported there.
    assert error("---\ntitle: T\nsection: [unclosed\ntags: x\n---\nBody").line == 4


def test_malformed_yaml_indentation() -> None:
    exc = error("---\ntitle: T\n  bad: indent\n---\n")
    assert exc.line == 3


def test_malformed_toml_points_at_the_line() -> None:
    exc = error('+++\nheadline = "T"\nsection = \n+++\nBody')
    assert (exc.source, exc.line) == ("story.md", 3)
    assert "not valid TOML" in exc.message


def test_unclosed_front_matter() -> None:
    assert error("---\ntitle: T\nBody").line == 1


@pytest.mark.parametrize(
    ("markdown", "line", "words"),
    [
        ("---\ntitle: T\ndate: 1st of May\n---\n", 3, "ISO 8601"),
        ("---\ntitle: T\ndate: 2024-13-45\n---\n", 3, "bad value"),
        ("---\ntitle: T\nsection: [a, b]\n---\n", 3, "must be text"),
        ("---\ntitle: T\nid: not valid!\n---\n", 3, "not a valid article id"),
        ("---\ntitle: T\nauthors:\n  - {email: x@example.org}\n---\n", 3, "needs a 'name'"),
        ("---\ntitle: T\nauthors: [{name: A, phone: 1}]\n---\n", 3, "unknown key 'phone'"),
        ("---\ntitle: T\nlead_image: {alt: x}\n---\n", 3, "needs a 'src'"),
        ("---\ntitle: T\nlead_image: javascript:x\n---\n", 3, "needs a 'src'"),
        ("---\ntitle: T\nheadline: U\n---\n", 3, "'headline' repeats"),
        ("---\ntitle: T\ntitle: U\n---\n", 3, "appears twice"),
        ("---\ntitle: |\n  a\n  b\n---\n", 2, "one line"),
        ("---\n- a list\n---\n", 2, "key: value"),
        ("---\ntitle: !!python/object:os.system x\n---\n", 2, "not valid YAML"),
        ("---\ntitle: T\nsection: a\x01\n---\n", 3, "not valid YAML"),  # ReaderError
        ('+++\nheadline = "T"\nupdated_at = 10:30:00\n+++\n', 3, "date or a datetime"),
        ('+++\nheadline = "T"\n[lead_image]\nalt = "x"\n+++\n', 3, "needs a 'src'"),
    ],
)
def test_bad_values_are_located(markdown: str, line: int, words: str) -> None:
    exc = error(markdown)
    assert exc.source == "story.md"
    assert exc.line == line
    assert words in str(exc)


@pytest.mark.parametrize("opener", ["---\ntitle: ", "+++\nheadline = "])
def test_deeply_nested_front_matter_is_an_error_not_a_crash(opener: str) -> None:
    closer = "\n---\n" if opener.startswith("-") else "\n+++\n"
    message = error(opener + "[" * 20000 + closer).message
    # Python's parser and libyaml word the same refusal differently.
    assert "nested too deeply" in message or "nesting depth" in message


def test_a_headline_is_required() -> None:
    exc = error("---\nsection: S\n---\nJust text, no heading.")
    assert "needs a headline" in exc.message
    assert "needs a headline" in error("## Not an H1\n\ntext").message


def test_invalid_utf8() -> None:
    with pytest.raises(ContentError, match=r"story\.md:2: is not valid UTF-8"):
        parse_markdown_bytes(b"# T\n\xff", source="story.md")


# -- properties --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_yields_an_article_or_a_content_error(text: str) -> None:
    with contextlib.suppress(ContentError):
        parse_markdown(text)


_PIECES = [
    "---\n",
    "+++\n",
    "# ",
    "> ",
    "- ",
    "1. ",
    "**",
    "*",
    "`",
    "```\n",
    "[a](",
    ")",
    "![i](",
    "<b>",
    "</b>",
    "<script>",
    "title: ",
    "date: ",
    "headline = ",
    "\n",
    "— ",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=30))
def test_markdown_like_text_yields_an_article_or_a_content_error(pieces: list[str]) -> None:
    with contextlib.suppress(ContentError):
        parse_markdown("".join(pieces))


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_markdown_blocks_never_raises(text: str) -> None:
    markdown_blocks(text)


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_any_bytes_yield_an_article_or_a_content_error(data: bytes) -> None:
    with contextlib.suppress(ContentError):
        parse_markdown_bytes(data, source="fuzz.md")
