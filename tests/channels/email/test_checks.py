"""The email preflight checks, each one made to fire."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from channels.email.channel import EmailChannel
from publisher.content import Issue, Paragraph, Text
from publisher.preflight import run_preflight
from tests.channels.email.conftest import make_channel, make_settings


def _codes(channel: EmailChannel, issue: Issue, tmp_path: Path) -> dict[str, str]:
    report = run_preflight(issue, make_settings(tmp_path, issue), channel.checks())
    return {f.code: f.severity for f in report.findings}


def test_the_golden_issue_passes(channel: EmailChannel, issue: Issue, tmp_path: Path) -> None:
    # The article's map is a relative path: made absolute against base_url, it passes.
    assert _codes(channel, issue, tmp_path) == {}


def test_a_missing_postal_address_is_an_error(channel: EmailChannel, issue: Issue,
                                              tmp_path: Path) -> None:
    pub = dataclasses.replace(issue.publication, postal_address="")
    codes = _codes(channel, dataclasses.replace(issue, publication=pub), tmp_path)
    assert codes == {"email-postal-address": "error"}


def test_a_theme_without_unsubscribe_or_address_is_an_error(issue: Issue, tmp_path: Path
                                                            ) -> None:
    theme = tmp_path / "theme" / "email"
    theme.mkdir(parents=True)
    (theme / "_footer.mjml").write_text(
        '<mj-section><mj-column><mj-text><p>Bye</p></mj-text></mj-column></mj-section>\n',
        encoding="utf-8")
    channel = make_channel(tmp_path, templates_dir=theme.parent)
    codes = _codes(channel, issue, tmp_path)
    assert codes == {"email-unsubscribe": "error", "email-postal-address": "error"}


def test_preheader_empty_or_repeating_the_subject(channel: EmailChannel, issue: Issue,
                                                  tmp_path: Path) -> None:
    empty = dataclasses.replace(issue, preheader=None, editor_note=())
    assert _codes(channel, empty, tmp_path) == {"email-preheader": "warning"}
    same = dataclasses.replace(issue, preheader=issue.title + ".")
    assert _codes(channel, same, tmp_path) == {"email-preheader": "warning"}


def test_size_broken_links_and_images(tmp_path: Path, issue: Issue) -> None:
    words = " ".join(["steppe"] * 2000)
    big_note = tuple(Paragraph(inlines=(Text(text=f"{i} {words}"),)) for i in range(10))
    channel = make_channel(tmp_path, digest_mode="full")
    codes = _codes(channel, dataclasses.replace(issue, editor_note=big_note), tmp_path)
    assert codes == {"email-clipped": "error"}
    theme = tmp_path / "theme" / "email"
    theme.mkdir(parents=True)
    (theme / "_masthead.mjml").write_text(
        '<mj-section><mj-column><mj-text><h1>X</h1><a href="#nowhere">x</a>'
        '<img src="cid:logo"></mj-text></mj-column></mj-section>\n', encoding="utf-8")
    codes = _codes(make_channel(tmp_path, templates_dir=theme.parent), issue, tmp_path)
    assert codes == {"email-broken-link": "error", "email-image-alt": "error",
                     "email-image-src": "warning"}
