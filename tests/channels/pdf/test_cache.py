"""The second request for the same PDF costs no render."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from channels.pdf import PdfChannel, RenderReport
from channels.pdf.channel import render_limited
from channels.pdf.jobs import RenderJob
from channels.pdf.runner import Limits
from publisher.content import Image, IssueSection
from tests.channels.pdf.conftest import article, settings_for, small_issue


class CountingRenderer:
    """The real subprocess render, counted."""

    def __init__(self) -> None:
        self.jobs: list[RenderJob] = []

    def __call__(self, job: RenderJob, limits: Limits) -> RenderReport:
        self.jobs.append(job)
        return render_limited(job, limits)


def test_a_second_request_is_served_from_the_cache(tmp_path: Path) -> None:
    renderer = CountingRenderer()
    channel = PdfChannel(settings_for(tmp_path / "data"), renderer=renderer)
    issue = small_issue()

    first = channel.write_pdf(issue, "print", tmp_path / "one.pdf")
    second = channel.write_pdf(issue, "print", tmp_path / "two.pdf")

    assert len(renderer.jobs) == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.pages == first.pages
    assert (tmp_path / "one.pdf").read_bytes() == (tmp_path / "two.pdf").read_bytes()
    cached = list((tmp_path / "data" / "pdf-cache").glob("*.pdf"))
    assert [p.name.split("-")[1] for p in cached] == ["print"]
    assert cached[0].name.startswith(issue.content_hash[:32])


def test_another_profile_issue_or_trim_size_renders_again(tmp_path: Path) -> None:
    renderer = CountingRenderer()
    settings = settings_for(tmp_path / "data")
    issue = small_issue()
    PdfChannel(settings, renderer=renderer).write_pdf(issue, "print", tmp_path / "a.pdf")
    PdfChannel(settings, renderer=renderer).write_pdf(issue, "screen", tmp_path / "b.pdf")
    PdfChannel(settings, renderer=renderer).write_pdf(
        replace(issue, title="Another title"), "print", tmp_path / "c.pdf")
    a5 = replace(settings, pdf=replace(settings.pdf, trim_size=(148.0, 210.0)))
    PdfChannel(a5, renderer=renderer).write_pdf(issue, "print", tmp_path / "d.pdf")
    assert [job.profile.name for job in renderer.jobs] == ["print", "screen", "print", "print"]


def test_a_pdf_with_an_unreachable_image_is_not_kept(tmp_path: Path) -> None:
    """The host may be back next time: a placeholder for it must not stick."""
    renderer = CountingRenderer()
    story = article("gone", "A photo from a host that does not resolve", "News",
                    Image(src="https://images.invalid/photo.jpg", alt="A photo"))
    issue = small_issue(IssueSection(name="News", articles=(story,)))
    channel = PdfChannel(settings_for(tmp_path / "data"), renderer=renderer)
    for name in ("one.pdf", "two.pdf"):
        report = channel.write_pdf(issue, "screen", tmp_path / name)
        assert not report.cached and (tmp_path / name).is_file()
    assert len(renderer.jobs) == 2
