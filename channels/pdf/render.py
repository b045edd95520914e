"""Issue -> HTML + print CSS -> WeasyPrint document, in this process.

As in WeasyPrint itself, :func:`render` returns a laid-out document and
:func:`write_pdf` is the shortcut that also writes the file. Both run
untrusted content (the Issue's images) through WeasyPrint, so the channel
never calls them directly: it runs :func:`write_pdf` in a subprocess with time
and memory limits (``channels.pdf.runner``). Tests and the benchmark call
them directly to measure or inspect.

The one options dict is the profile (``channels.pdf.profiles``): page
geometry for the template and the ``write_pdf`` keyword arguments.
"""

from __future__ import annotations

import logging
import resource
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weasyprint import HTML

from channels.pdf.digest import digest_html, wanted_urls
from channels.pdf.fetcher import SafeUrlFetcher
from channels.pdf.images import fetch_all
from channels.pdf.jobs import RenderReport
from channels.pdf.profiles import Profile
from publisher.content import Issue
from publisher.fetch import FetchOptions

__all__ = ["RenderReport", "Rendered", "render", "weasyprint_messages", "write_pdf"]


@dataclass(slots=True)
class Rendered:
    """A laid-out document and what fetching for it was refused."""

    document: Any
    fetcher: SafeUrlFetcher
    messages: list[str] = field(default_factory=list)

    def write_pdf(self, target: Path, profile: Profile) -> None:
        self.document.write_pdf(target, **profile.write_options())


class _Collect(logging.Handler):
    """Keeps WeasyPrint's log records for the report instead of printing them."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


@contextmanager
def weasyprint_messages(sink: list[str]) -> Iterator[None]:
    """Collect WeasyPrint's log records and Python warnings (Pillow's decompression
    bomb warning, say) into *sink*: they belong in the render's report."""
    logger = logging.getLogger("weasyprint")
    handler, propagate = _Collect(sink), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        sink.extend(str(w.message) for w in caught)
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def render(issue: Issue, profile: Profile, fetch: FetchOptions, *,
           override_dir: Path | None = None) -> Rendered:
    """Fetch the Issue's images safely, build its HTML and lay it out."""
    media = fetch.media_dirs
    images = fetch_all(fetch, wanted_urls(issue, media))
    html = digest_html(issue, profile, images, media_dirs=media, override_dir=override_dir)
    fetcher = SafeUrlFetcher(fetch, images)
    messages: list[str] = []
    with weasyprint_messages(messages):
        # Relative links in articles point at the publication's site.
        document = HTML(string=html, base_url=issue.publication.base_url,
                        url_fetcher=fetcher).render()
    return Rendered(document, fetcher, messages)


def write_pdf(issue: Issue, profile: Profile, target: Path, fetch: FetchOptions, *,
              override_dir: Path | None = None) -> RenderReport:
    """Render and write the PDF to *target*; the report says what happened."""
    started = time.perf_counter()
    rendered = render(issue, profile, fetch, override_dir=override_dir)
    with weasyprint_messages(rendered.messages):
        rendered.write_pdf(target, profile)
    return RenderReport(
        pages=len(rendered.document.pages),
        refused=tuple(sorted(rendered.fetcher.refused.items())),
        messages=_unique(rendered.messages),
        seconds=time.perf_counter() - started,
        peak_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _unique(messages: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(messages))
