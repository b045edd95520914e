"""The work the channel sends to a render subprocess, and what comes back.

Jobs and reports are plain picklable values; the task functions are
module-level so ``channels.pdf.runner`` can name them to a child. They import
WeasyPrint only when called, in the child (whose server has it preloaded):
the parent process (the CLI, the web app) never loads it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from channels.pdf.fonts import PdfFont, pdf_fonts
from channels.pdf.profiles import Profile
from publisher.content import Brand, Issue
from publisher.fetch import FetchOptions
from publisher.templating import css_value

__all__ = ["FontJob", "RenderJob", "RenderReport", "SpecimenFonts", "render_task", "specimen_task"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderReport:
    """What one render did: pages, refused fetches, WeasyPrint's complaints, cost."""

    pages: int
    refused: tuple[tuple[str, str], ...] = ()
    messages: tuple[str, ...] = ()
    seconds: float = 0.0
    peak_rss_kib: int = 0
    cached: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderJob:
    """Render *issue* with *profile* into the file *target*."""

    issue: Issue
    profile: Profile
    fetch: FetchOptions
    target: Path
    override_dir: Path | None = None


def render_task(job: RenderJob) -> RenderReport:
    from channels.pdf.render import write_pdf

    return write_pdf(job.issue, job.profile, job.target, job.fetch,
                     override_dir=job.override_dir)


@dataclass(frozen=True, slots=True, kw_only=True)
class FontJob:
    """Set a line in each brand font stack to learn which fonts WeasyPrint picks."""

    brand: Brand


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecimenFonts:
    """The fonts a PDF got for the heading and the body font stacks."""

    heading: tuple[PdfFont, ...]
    body: tuple[PdfFont, ...]


def _specimen(stack: str) -> str:
    family = css_value(stack)
    lines = "".join(
        f'<p style="font-family: {family}; {style}">Quarterly report 2026</p>'
        for style in ("", "font-weight: bold", "font-style: italic"))
    return f"<!DOCTYPE html><html><body>{lines}</body></html>"


def _fonts_of(html: str) -> tuple[PdfFont, ...]:
    from pypdf import PdfReader
    from weasyprint import HTML

    # No URL is fetched: the specimen is our own markup and links to nothing.
    pdf = HTML(string=html).write_pdf()
    return tuple(pdf_fonts(PdfReader(io.BytesIO(pdf))))


def specimen_task(job: FontJob) -> SpecimenFonts:
    return SpecimenFonts(heading=_fonts_of(_specimen(job.brand.heading_font)),
                         body=_fonts_of(_specimen(job.brand.body_font)))
