"""Pre-send checks: every channel adds its own; errors block sending.

A check is a callable ``(issue, settings) -> Iterable[Finding]``. The core
checks here apply to every channel (images without alt text, empty
sections); each channel contributes its own list (email size and links, PDF
image resolution, social lengths), and the composition root (``app.py``)
hands the full list to ``run_preflight``. ``publisher check ISSUE`` prints
the findings; an Issue with an error finding cannot be sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from publisher.content import Image, Issue
from publisher.settings import Settings

__all__ = ["CORE_CHECKS", "Check", "Finding", "Report", "Severity", "run_preflight"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found before sending; *where* points at the article or block."""

    severity: Severity
    channel: str
    code: str
    message: str
    where: str = ""

    def __str__(self) -> str:
        where = f" [{self.where}]" if self.where else ""
        return f"{self.severity:7} {self.channel:6} {self.code}: {self.message}{where}"


Check = Callable[[Issue, Settings], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Report:
    """All findings of one preflight run."""

    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when nothing blocks sending."""
        return not self.errors

    def for_channel(self, channel: str) -> Report:
        return Report(tuple(f for f in self.findings if f.channel in (channel, "all")))


def images_need_alt_text(issue: Issue, _settings: Settings) -> Iterable[Finding]:
    """Screen readers and image-blocking mail clients show only the alt text."""
    for article in issue.articles:
        images = [b for b in article.body if isinstance(b, Image)]
        if article.lead_image is not None:
            images.insert(0, article.lead_image)
        for image in images:
            if not image.alt.strip():
                yield Finding("error", "all", "image-alt",
                              f"image {image.src} has no alt text", article.id)


def sections_are_not_empty(issue: Issue, _settings: Settings) -> Iterable[Finding]:
    for section in issue.sections:
        if not section.articles:
            yield Finding("warning", "all", "empty-section",
                          f"section '{section.name}' has no articles")


CORE_CHECKS: tuple[Check, ...] = (images_need_alt_text, sections_are_not_empty)


def run_preflight(issue: Issue, settings: Settings, checks: Sequence[Check]) -> Report:
    """Run every check and collect the findings, errors first."""
    found = [f for check in checks for f in check(issue, settings)]
    found.sort(key=lambda f: (f.severity != "error", f.channel, f.code))
    return Report(tuple(found))
