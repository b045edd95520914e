"""Rendering: golden files, headings, dark mode, links, escaping and overrides."""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from pathlib import Path
from typing import Any

import pytest

from channels.email.render import EmailRenderer
from publisher.content import Issue, Paragraph, Text
from publisher.settings import EmailOptions
from tests.channels.email.conftest import GOLDEN, SAMPLE


def _render(issue: Issue, segment: str = "html", **opts: Any) -> tuple[str, str]:
    rendered = EmailRenderer(dataclasses.replace(EmailOptions(), **opts)).render(
        issue, segment)  # type: ignore[arg-type]
    html = rendered.html.fill(SAMPLE) if rendered.html else ""
    return html, rendered.text.fill(SAMPLE)


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 once"
    assert actual == path.read_text(encoding="utf-8"), f"{name} changed (UPDATE_GOLDEN=1)"


def test_golden_html_and_text(issue: Issue) -> None:
    html, text = _render(issue, digest_mode="full")
    _golden("issue.full.html", html)
    _golden("issue.full.txt", text)
    _, summary_text = _render(issue, digest_mode="summary")
    _golden("issue.summary.txt", summary_text)


def test_rendering_is_deterministic(issue: Issue) -> None:
    assert _render(issue) == _render(issue)


def test_headings_never_skip_a_level(issue: Issue) -> None:
    html, _ = _render(issue, digest_mode="full")
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert {4, 5} <= set(levels)  # the article's subheads sit under its h3


def test_lang_dark_mode_preheader_and_inlined_css(issue: Issue) -> None:
    html, _ = _render(issue)
    assert '<html lang="en"' in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert "Ferries double the Caspian crossing, and a library reopens." in html
    h1 = re.search(r"<h1 style=\"([^\"]*)\"", html)
    assert h1 is not None and "font-family: Georgia" in h1.group(1)


def test_every_block_type_reaches_both_parts(issue: Issue) -> None:
    html, text = _render(issue, digest_mode="full")
    for needle in ("<blockquote", "<ul", "<ol", "<hr", "<strong>Aktau</strong>",
                   "<em>Middle Corridor</em>", 'alt="Map of the Caspian crossing"',
                   "Photo: Arman Zhaksybekov", "Қазақстан"):
        assert needle in html, needle
    for needle in ("> Every extra sailing", "> — Aigerim Nurlanova", " - Capacity", "1. Load",
                   "* * *", "[Image: Map of the Caspian crossing] The route.", "Қазақстан",
                   "AKTAU — Two ferries", "By Dana Seitkali, Timur Abenov and Ålma Nurova"):
        assert needle in text, needle


def test_content_is_escaped_in_html_and_plain_in_text(issue: Issue) -> None:
    html, text = _render(issue, digest_mode="full")
    assert "&amp; &lt;traders&gt;" in html and "<traders>" not in html
    assert "& <traders>." in text


def test_recipient_values_are_escaped_in_html_only(issue: Issue) -> None:
    rendered = EmailRenderer(EmailOptions()).render(issue)
    values = {**SAMPLE, "name": "<b>Ann</b> & Co"}
    assert rendered.html is not None
    assert "Hello &lt;b&gt;Ann&lt;/b&gt; &amp; Co," in rendered.html.fill(values)
    assert "Hello <b>Ann</b> & Co," in rendered.text.fill(values)
    assert "Hello reader," in rendered.text.fill({**SAMPLE, "name": ""})


def test_links_are_absolute_and_utm_tags_only_our_own(issue: Issue) -> None:
    html, text = _render(issue, digest_mode="full", utm_source="newsletter")
    assert ('href="https://news.example.org/articles/ferry-corridor?utm_source=newsletter'
            '&amp;utm_medium=email&amp;utm_campaign=issue-7"') in html
    assert 'href="https://news.example.org/ports/aktau?utm_source=newsletter' in html
    assert 'href="https://other.example.com/report?x=1&amp;y=2"' in html
    assert "src=\"https://news.example.org/media/map.png\"" in html
    assert f'href="{SAMPLE["unsubscribe_url"]}"' in html  # never tagged
    assert "https://news.example.org/ports/aktau?utm_source=newsletter" in text
    plain, _ = _render(issue, digest_mode="full")
    assert "utm_" not in plain


def test_summary_mode_links_to_the_full_story(issue: Issue) -> None:
    html, text = _render(issue, digest_mode="summary")
    assert "Read the full story" in html
    assert "Two new ferries double the Caspian crossing" in html
    assert "Freight forwarders" not in html and "Freight forwarders" not in text
    # No summary and no dek: the first paragraph stands in.
    assert "ALMATY — The Pushkin National Library reopened" in text


def test_article_text_cannot_forge_a_slot(issue: Issue) -> None:
    renderer = EmailRenderer(EmailOptions())
    marker = renderer.render(issue).registry.marker("unsubscribe_url")
    forged = dataclasses.replace(issue, editor_note=(
        Paragraph(inlines=(Text(text=f"x {marker} y"),)),))
    rendered = renderer.render(forged)
    assert f"x {marker} y" in rendered.text.fill(SAMPLE)
    assert rendered.html is not None and f"x {marker} y" in rendered.html.fill(SAMPLE)


def test_the_text_segment_has_no_html(issue: Issue) -> None:
    rendered = EmailRenderer(EmailOptions()).render(issue, "text")
    assert rendered.html is None and "THE STEPPE DISPATCH" in rendered.text.fill(SAMPLE)


def test_a_publication_overrides_one_partial(issue: Issue, tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "_masthead.mjml").write_text(
        "<mj-section><mj-column><mj-text><h1>Our own masthead</h1></mj-text>"
        "</mj-column></mj-section>\n", encoding="utf-8")
    html, text = _render(issue, templates_dir=tmp_path)
    assert "Our own masthead" in html and "Unsubscribe" in html
    assert "THE STEPPE DISPATCH" in text  # the other files are still the theme's


def test_a_template_error_names_the_file(issue: Issue, tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "subject.txt").write_text("{{ issue.nope }}", encoding="utf-8")
    from publisher.errors import ContentError

    with pytest.raises(ContentError, match="template error"):
        _render(issue, templates_dir=tmp_path)


def test_an_article_without_authors_has_no_byline(issue: Issue) -> None:
    first = issue.sections[0]
    anonymous = dataclasses.replace(first.articles[0], authors=())
    issue = dataclasses.replace(issue, sections=(
        dataclasses.replace(first, articles=(anonymous,)), *issue.sections[1:]))
    html, text = _render(issue)
    assert "By Dana" not in html and "By Dana" not in text
