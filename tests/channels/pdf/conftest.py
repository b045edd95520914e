"""Shared fixtures: the demo Issue, small Issues built here, and rendered PDFs.

Rendering is the slow part (about half a second a PDF once the render server
is up), so each PDF the structural tests read is rendered once per session
by :class:`Renders` and shared.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image as PILImage

from channels.pdf import PdfChannel, RenderReport
from publisher.cli import main
from publisher.content import (
    Article,
    Author,
    Block,
    Heading,
    Image,
    Issue,
    IssueSection,
    Paragraph,
    Publication,
    Quote,
    Text,
)
from publisher.settings import Settings, load_settings

PUBLICATION = Publication(name="The Test Gazette", tagline="Tested every day", language="en-GB",
                          timezone="Europe/London", postal_address="1 High Street, Testbury",
                          sections=("News", "Sport", "Arts"))


def paragraph(text: str) -> Paragraph:
    return Paragraph(inlines=(Text(text=text),))


def article(ident: str, headline: str, section: str, *body: Block,
            authors: tuple[str, ...] = ("Ann Reporter",), lead: Image | None = None) -> Article:
    return Article(id=ident, headline=headline, section=section, dek=f"The dek of {ident}.",
                   authors=tuple(Author(name=n) for n in authors), dateline="TESTBURY",
                   published_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
                   tags=("testing", section.lower()), lead_image=lead,
                   body=body or (paragraph(f"The body of {ident}."),))


def small_issue(*sections: IssueSection, number: int = 7) -> Issue:
    """An Issue whose pages are known: every article fits on its section's page."""
    default = (
        IssueSection(name="News", articles=(
            article("n1", "Council approves the new bridge", "News",
                    paragraph("Work starts in May."), Heading(level=2, text="What happens next"),
                    Quote(text="It is a good day.", attribution="The mayor")),
            article("n2", "Trains run late again", "News", authors=("Bo Lee", "Cy Dunn")))),
        IssueSection(name="Sport", articles=(
            article("s1", "Testbury wins the cup", "Sport"),)),
        IssueSection(name="Arts", articles=(
            article("a1", "A museum reopens", "Arts"),)),
    )
    return Issue(publication=PUBLICATION, number=number, title="A week in Testbury",
                 date=date(2026, 3, 6), preheader="Bridges, trains and a cup",
                 editor_note=(paragraph("Welcome to this week's Issue."),),
                 sections=sections or default)


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def settings_for(data: Path, **pdf: object) -> Settings:
    base = load_settings(None, data_dir=data)
    return replace(base, pdf=replace(base.pdf, **pdf))  # type: ignore[arg-type]


class Renders:
    """Each (Issue, profile) rendered once through the real channel, then shared."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.channel = PdfChannel(settings_for(root / "data", cache=False))
        self._done: dict[tuple[str, str], tuple[Path, RenderReport]] = {}

    def pdf(self, issue: Issue, profile: str) -> tuple[Path, RenderReport]:
        key = (issue.content_hash, profile)
        if key not in self._done:
            target = self.root / f"{issue.number}-{profile}-{len(self._done)}.pdf"
            self._done[key] = (target, self.channel.write_pdf(issue, profile, target))
        return self._done[key]


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Renders:
    return Renders(tmp_path_factory.mktemp("pdf-renders"))


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory holding the demo publication's Issue 1."""
    data = tmp_path_factory.mktemp("pdf-demo") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PUBLISHER_DB", raising=False)
        mp.delenv("PUBLISHER_CONFIG", raising=False)
        assert main(["--data-dir", str(data), "demo", "--no-send"]) == 0
    yield data


@pytest.fixture(scope="session")
def demo_issue(demo_data: Path) -> Issue:
    from publisher.app import build_app

    app = build_app(load_settings(None, data_dir=demo_data))
    try:
        with app.store.read() as conn:
            stored = app.store.issues.find(conn, 1, None)
            return app.store.issues.load(conn, stored.id)
    finally:
        app.close()
