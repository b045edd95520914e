"""``PdfChannel``: the PDF digest of an Issue, one file per profile.

The channel is the orchestration and nothing else: pick the profile, answer
from the cache when it can, otherwise run the render in a limited subprocess
and keep the result. The layout is in ``digest.py`` and the theme, the
WeasyPrint call in ``render.py``, the limits in ``runner.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from channels.pdf.cache import PdfCache, fingerprint
from channels.pdf.checks import PdfChecks
from channels.pdf.jobs import (
    FontJob,
    RenderJob,
    RenderReport,
    SpecimenFonts,
    render_task,
    specimen_task,
)
from channels.pdf.profiles import Profile, profile_for
from channels.pdf.runner import Limits, atomic_output, run_limited
from publisher.content import Brand, Issue
from publisher.errors import ContentError
from publisher.preflight import Check
from publisher.settings import Settings

__all__ = ["OPTIONS", "PdfChannel", "Renderer", "render_limited"]

# The options ``render`` understands (``publisher render --option``/``--profile``).
OPTIONS = ("profile",)

Renderer = Callable[[RenderJob, Limits], RenderReport]


def render_limited(job: RenderJob, limits: Limits) -> RenderReport:
    what = f"PDF of Issue {job.issue.number} ({job.profile.name} profile)"
    return run_limited(render_task, job, limits, what=what)


def _copy(source: Path, target: Path) -> None:
    with atomic_output(target) as temp:
        shutil.copyfile(source, temp)


def _transient(report: RenderReport) -> bool:
    """True when a fetch failed for a reason that may not last (DNS, timeout, HTTP 503).

    Policy refusals ("refused ...") give the same answer every time; a PDF
    with a placeholder for an image that is merely unreachable right now is
    not kept, so the next request tries again.
    """
    return any(not reason.startswith("refused ") for _url, reason in report.refused)


class PdfChannel:
    """Renders Issues to PDF files; see ``channels.pdf`` for the profiles."""

    name = "pdf"

    def __init__(self, settings: Settings, *, override_dir: Path | None = None,
                 renderer: Renderer | None = None) -> None:
        self._settings = settings
        self._override_dir = override_dir
        self._renderer = renderer or render_limited
        self._cache = PdfCache(settings.pdf.cache_dir) if settings.pdf.cache else None
        self._checks = PdfChecks(self._specimen)

    @property
    def limits(self) -> Limits:
        return Limits(self._settings.pdf.timeout, self._settings.pdf.memory_mb)

    def profile(self, name: str) -> Profile:
        return profile_for(name, self._settings.pdf)

    def render(self, issue: Issue, out_dir: Path, options: Mapping[str, str]) -> list[Path]:
        """Write ``issue-<n>-<profile>.pdf`` into *out_dir* (profile "screen" by default)."""
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise ContentError(f"unknown PDF option '{unknown[0]}' (known: "
                               f"{', '.join(OPTIONS)})", field="option")
        profile = self.profile(options.get("profile", "screen"))
        target = out_dir / f"issue-{issue.number}-{profile.name}.pdf"
        self.write_pdf(issue, profile.name, target)
        return [target]

    def write_pdf(self, issue: Issue, profile: str, target: Path) -> RenderReport:
        """Write the PDF of *issue* under *profile* to *target*, from the cache if it can."""
        chosen = self.profile(profile)
        if self._cache is None:
            return self._render(issue, chosen, target)
        cached = self._cache.path(
            issue, chosen, fingerprint(chosen, self._settings.fetch, self._override_dir))
        hit = self._cache.lookup(cached)
        if hit is not None:
            _copy(cached, target)
            return hit
        report = self._render(issue, chosen, target)
        if not _transient(report):
            # The report first: a PDF in the cache always has one beside it.
            self._cache.save_report(cached, report)
            _copy(target, cached)
        return report

    def _render(self, issue: Issue, profile: Profile, target: Path) -> RenderReport:
        """Render into a temporary file renamed onto *target* only on success."""
        with atomic_output(target) as temp:
            job = RenderJob(issue=issue, profile=profile, fetch=self._settings.fetch,
                            target=temp, override_dir=self._override_dir)
            return self._renderer(job, self.limits)

    def checks(self) -> Sequence[Check]:
        return self._checks.all()

    def _specimen(self, brand: Brand, settings: Settings) -> SpecimenFonts:
        limits = Limits(settings.pdf.timeout, settings.pdf.memory_mb)
        return run_limited(specimen_task, FontJob(brand=brand), limits,
                           what="font check of the brand fonts")
