"""The digest's HTML, before any layout: fast checks of what the templates print."""

from __future__ import annotations

from dataclasses import replace

from channels.pdf.digest import digest_html, wanted_urls
from channels.pdf.images import Fetched
from channels.pdf.profiles import profile_for
from publisher.content import Brand, Image, IssueSection, Link, Paragraph, Text
from publisher.settings import PdfOptions
from tests.channels.pdf.conftest import PUBLICATION, article, small_issue

SCREEN = profile_for("screen", PdfOptions())
PRINT = profile_for("print", PdfOptions(columns=2))


def test_head_carries_the_metadata() -> None:
    html = digest_html(small_issue(), SCREEN, {})
    assert '<html lang="en-GB">' in html
    assert "<title>The Test Gazette, Issue 7: A week in Testbury</title>" in html
    assert '<meta name="author" content="Bo Lee">' in html
    assert '<meta name="description" content="Bridges, trains and a cup">' in html
    assert '<meta name="dcterms.created" content="2026-03-06T00:00:00+00:00">' in html


def test_missing_images_become_placeholders_and_fetched_ones_print() -> None:
    ok, gone = "https://img.example/ok.png", "https://img.example/gone.png"
    story = article("pics", "Pictures", "News", Image(src=ok, alt="Fine", credit="Photo: A"),
                    Image(src=gone, alt="Lost", caption="A lost picture"))
    issue = small_issue(IssueSection(name="News", articles=(story,)))
    assert wanted_urls(issue, ()) == [ok, gone]
    html = digest_html(issue, SCREEN, {ok: Fetched(ok, b"x", "image/png", (10, 10)),
                                       gone: Fetched(gone, error="refused")})
    assert f'<img src="{ok}" alt="Fine">' in html
    assert gone not in html.replace("A lost picture", "")
    assert "Image unavailable</span> Lost" in html and "A lost picture" in html


def test_print_links_are_text_and_two_columns_are_asked_for() -> None:
    linked = Paragraph(inlines=(Text(text="See "),
                                Link(href="https://example.org/x", children=(Text(text="this"),))))
    issue = small_issue(IssueSection(name="News", articles=(
        article("l", "Links", "News", linked),)))
    assert '<a href="https://example.org/x">this</a>' in digest_html(issue, SCREEN, {})
    printed = digest_html(issue, PRINT, {})
    assert "https://example.org/x" not in printed and '<span class="link">this</span>' in printed
    assert 'class="two-columns profile-print"' in printed
    assert "bleed: 3.0mm" in printed and "marks: crop cross" in printed


def test_empty_sections_are_left_out() -> None:
    issue = small_issue(IssueSection(name="News", articles=(article("x", "Only", "News"),)),
                        IssueSection(name="Sport", articles=()))
    html = digest_html(issue, SCREEN, {})
    assert 'class="section-title">News<' in html and "Sport" not in html


def test_brand_tokens_cannot_break_out_of_the_stylesheet() -> None:
    hostile = Brand(primary_color="red;} body{display:none", heading_font="</style><script>")
    issue = replace(small_issue(), publication=replace(PUBLICATION, brand=hostile))
    html = digest_html(issue, SCREEN, {})
    assert "display:none" not in html and "<script>" not in html
    assert "color: inherit;" in html


def test_untrusted_text_is_escaped() -> None:
    story = article("esc", "Tom & Jerry <b>bold</b>", "News")
    html = digest_html(small_issue(IssueSection(name="News", articles=(story,))), SCREEN, {})
    assert "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;" in html
