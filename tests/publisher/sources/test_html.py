"""blocks_from_html: sanitising and mapping untrusted HTML onto content blocks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.content import (
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
from publisher.sources.html import (
    blocks_from_html,
    build_inlines,
    clean_text,
    safe_url,
    split_attribution,
    text_from_html,
)

BASE = "https://news.example.org/2024/story"


def para(*inlines: Text | Emphasis | Strong | Link) -> Paragraph:
    return Paragraph(inlines=inlines)


def t(text: str) -> Text:
    return Text(text=text)


def test_inline_marks_and_links() -> None:
    html = 'A <b>bold <i>and</i></b> <em>em</em> <a href="/about">link</a>.'
    assert blocks_from_html(html, base_url=BASE) == (
        para(
            t("A "),
            Strong(children=(t("bold "), Emphasis(children=(t("and"),)))),
            t(" "),
            Emphasis(children=(t("em"),)),
            t(" "),
            Link(href="https://news.example.org/about", children=(t("link"),)),
            t("."),
        ),
    )


def test_relative_links_stay_relative_without_a_base() -> None:
    blocks = blocks_from_html('<a href="page?at=10:30">x</a> <a href="#top">y</a>')
    links = [n for n in blocks[0].inlines if isinstance(n, Link)]  # type: ignore[union-attr]
    assert [link.href for link in links] == ["./page?at=10:30", "#top"]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " java\tscript:x",
        "data:text/html,x",
        "vbscript:x",
    ],
)
def test_dangerous_links_lose_the_link_but_keep_the_words(href: str) -> None:
    assert blocks_from_html(f'<p><a href="{href}">Click</a> me</p>') == (para(t("Click me")),)


def test_paragraphs_and_bare_text() -> None:
    html = "loose text<p>one</p>  <div>two</div>tail<p>   </p><p></p>"
    assert blocks_from_html(html) == (
        para(t("loose text")),
        para(t("one")),
        para(t("two")),
        para(t("tail")),
    )


def test_whitespace_collapses_and_br_breaks_the_line() -> None:
    html = "<p>  a \n\t b <em> c </em> d<br>  e <br><br> f  </p>"
    assert blocks_from_html(html) == (para(t("a b "), Emphasis(children=(t("c "),)), t("d\ne\nf")),)


def test_non_breaking_spaces_are_content() -> None:
    assert blocks_from_html("<p>10&nbsp;km</p>") == (para(t("10\xa0km")),)


def test_headings() -> None:
    html = "<h1>Top</h1><h3>Sub <em>head</em><br>line</h3><h2>  </h2>"
    assert blocks_from_html(html) == (
        Heading(level=1, text="Top"),
        Heading(level=3, text="Sub head line"),
    )


def test_quotes_and_attribution() -> None:
    html = (
        "<blockquote><p>We are ready.</p><p>— A. Speaker</p></blockquote>"
        "<blockquote>Short<footer>-- <cite>B. Writer</cite></footer></blockquote>"
        "<blockquote><p>Only</p><blockquote>nested</blockquote></blockquote>"
    )
    assert blocks_from_html(html) == (
        Quote(text="We are ready.", attribution="A. Speaker"),
        Quote(text="Short", attribution="B. Writer"),
        Quote(text="Only\n\nnested"),
    )


def test_lists_flatten_nested_items() -> None:
    html = "<ol><li>first <b>bold</b></li><li>second<ul><li>a</li><li>b</li></ul></li></ol>"
    assert blocks_from_html(html) == (
        ListBlock(
            items=((t("first "), Strong(children=(t("bold"),))), (t("second; a; b"),)),
            ordered=True,
        ),
    )


def test_images_figures_and_rules() -> None:
    html = (
        '<p>before<img src="a.png" alt="An  A">after</p><hr>'
        '<figure><img src="/b.jpg" alt="B"><figcaption>The <b>caption</b></figcaption></figure>'
        '<img src="data:image/png;base64,AAAA"><img alt="no src">'
    )
    assert blocks_from_html(html, base_url=BASE) == (
        para(t("before")),
        Image(src="https://news.example.org/2024/a.png", alt="An A"),
        para(t("after")),
        Rule(),
        Image(src="https://news.example.org/b.jpg", alt="B", caption="The caption"),
    )


def test_images_where_blocks_cannot_go_follow_the_block() -> None:
    html = '<ul><li>item <img src="i.png"></li></ul><h2>H <img src="h.png"></h2>'
    assert blocks_from_html(html) == (
        ListBlock(items=((t("item"),),)),
        Image(src="i.png"),
        Heading(level=2, text="H"),
        Image(src="h.png"),
    )


def test_script_style_and_iframe_vanish_with_their_content() -> None:
    html = (
        "<p>safe</p><script>alert('x')</script><style>p{}</style>"
        "<iframe src='https://evil.example'>frame</iframe><noscript>ns</noscript>"
        "<p onclick='x()' style='color:red'>also <span class='x'>safe</span></p><!-- note -->"
    )
    assert blocks_from_html(html) == (para(t("safe")), para(t("also safe")))


def test_control_characters_are_stripped() -> None:
    blocks = blocks_from_html("<h2>a\x01b</h2><p>c\x0bd\x7f</p>")
    assert blocks == (Heading(level=2, text="ab"), para(t("c d")))


def test_tables_become_rows_of_text() -> None:
    html = "<table><tr><th>Year</th><th>Tonnes</th></tr><tr><td>2024</td><td>1.8m</td></tr></table>"
    assert plain_text(blocks_from_html(html)) == "Year Tonnes\n\n2024 1.8m"


def test_text_from_html() -> None:
    assert text_from_html("<p>One &amp; <b>two</b></p><p>three</p>") == "One & two\n\nthree"


def test_helpers() -> None:
    assert clean_text("  a\n\tb\x00 ") == "a b"
    assert safe_url("/x", "https://h.example/a/") == "https://h.example/x"
    assert safe_url("mailto:desk@example.org") == "mailto:desk@example.org"
    assert safe_url("mailto:desk@example.org", image=True) is None
    assert safe_url("  ") is None
    assert split_attribution("— Name") == "Name"
    assert split_attribution("-- Name") == "Name"
    assert split_attribution("- Name") is None
    assert build_inlines([(" a ", ()), ("\n", ()), (" b ", ())]) == (t("a\nb"),)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_parses(html: str) -> None:
    blocks_from_html(html, base_url=BASE)


_TAGS = [
    "p",
    "b",
    "i",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "h2",
    "blockquote",
    "figure",
    "figcaption",
    "footer",
    "div",
    "table",
    "td",
    "script",
    "br",
    "img",
    "hr",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([f"<{tag}>" for tag in _TAGS] + [f"</{tag}>" for tag in _TAGS]),
            st.sampled_from(['<a href="/x">', '<img src="y.png" alt="y">', "&amp;", "\n"]),
            st.text(max_size=8),
        ),
        max_size=40,
    )
)
def test_any_tag_soup_parses(pieces: list[str]) -> None:
    blocks_from_html("".join(pieces))
