"""PDF digest cost: 20- and 100-article digests, seconds and peak memory.

Each measurement runs in its own Python process so its peak RSS is its own:

- bare: WeasyPrint alone renders the very HTML the channel makes (images
  fetched beforehand, as the channel does), timed from ``HTML()`` to the
  written file: the floor any WeasyPrint digest pays;
- publisher: ``PdfChannel.write_pdf`` with the cache off, as the CLI and the
  web app call it: safe fetches, templating, the limited render subprocess.
  Its peak RSS is the render subprocess's. The render server is started
  before timing (its start-up, about a second, is paid once per process and
  reported separately as "first render");
- cached: the same request again with the cache on.

The figures that matter are the ratio publisher / bare, both measured here,
and how cost per page holds as the digest grows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

SIZES = (20, 100)
_IMAGES = 8
_WORDS = [
    "grain", "rail", "ferry", "port", "water", "winter", "power", "price", "market", "border",
    "talks", "budget", "river", "harvest", "tariff", "corridor", "freight", "cargo",
    "reservoir", "summit", "minister", "council",
]


def _sentence(i: int, j: int) -> str:
    words = [_WORDS[(i * 7 + j * 3 + k) % len(_WORDS)] for k in range(14)]
    return " ".join(words).capitalize() + "."


def _paragraph(i: int, j: int) -> Any:
    from publisher.content import Paragraph, Text

    return Paragraph(inlines=(Text(text=" ".join(_sentence(i, j + k) for k in range(6))),))


def _body(i: int) -> tuple[Any, ...]:
    from publisher.content import Heading, ListBlock, Quote, Text

    blocks: list[Any] = [_paragraph(i, j) for j in range(4)]
    blocks.append(Heading(level=2, text=f"What comes next for story {i}"))
    blocks.extend(_paragraph(i, j) for j in range(5, 7))
    blocks.append(Quote(text=_sentence(i, 99), attribution="A spokesperson"))
    blocks.extend(_paragraph(i, j) for j in range(7, 8))
    blocks.append(ListBlock(items=tuple((Text(text=_sentence(i, k)),) for k in range(3))))
    return tuple(blocks)


def make_issue(articles: int, media: Path) -> Any:
    """An Issue of *articles* stories in four sections, each with a photo from *media*."""
    from publisher.content import Article, Author, Image, Issue, IssueSection, Publication

    names = ("World", "Business", "Culture", "Science")
    stories = [Article(
        id=f"bench-{i}", headline=f"Benchmark story {i} about trade, water and winter power",
        section=names[i % 4], dek="A standfirst that sums the story up in one sentence.",
        authors=(Author(name=f"Reporter {i % 9}"),), dateline="ASTANA",
        published_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tags=("bench",),
        lead_image=Image(src=f"photo-{i % _IMAGES}.jpg", alt=f"Photo {i}", credit="Bench"),
        body=_body(i)) for i in range(articles)]
    sections = tuple(IssueSection(name=n, articles=tuple(s for s in stories if s.section == n))
                     for n in names)
    return Issue(publication=Publication(name="The Benchmark Times", sections=names),
                 number=articles, title=f"A {articles}-article digest", date=date(2026, 12, 4),
                 sections=sections)


def make_media(folder: Path) -> None:
    """Photos of a realistic size (1600 x 1000, noisy enough to compress like one)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for n in range(_IMAGES):
        img = Image.effect_noise((1600, 1000), 40 + n * 5).convert("RGB")
        img.save(folder / f"photo-{n}.jpg", quality=85)


def _settings(data: Path, media: Path, *, cache: bool) -> Any:
    from dataclasses import replace

    from publisher.fetch import FetchOptions
    from publisher.settings import load_settings

    base = load_settings(None, data_dir=data)
    return replace(base, fetch=FetchOptions(media_dirs=(media,)),
                   pdf=replace(base.pdf, cache=cache))


def _peak_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def bare(articles: int, tmp: str) -> dict[str, float]:
    """WeasyPrint alone on the channel's HTML."""
    import time

    from weasyprint import HTML

    from channels.pdf.digest import digest_html, wanted_urls
    from channels.pdf.images import fetch_all
    from channels.pdf.profiles import profile_for
    from publisher.settings import PdfOptions

    media = Path(tmp) / "media"
    settings = _settings(Path(tmp) / "data", media, cache=False)
    issue = make_issue(articles, media)
    images = fetch_all(settings.fetch, wanted_urls(issue, (media,)))
    html = digest_html(issue, profile_for("screen", PdfOptions()), images, media_dirs=(media,))
    started = time.perf_counter()
    document = HTML(string=html).render()
    document.write_pdf(Path(tmp) / f"bare-{articles}.pdf")
    return {"seconds": time.perf_counter() - started, "pages": len(document.pages),
            "rss_kib": _peak_kib()}


def publisher(articles: int, tmp: str) -> dict[str, float]:
    """The channel, as the CLI calls it; the render server is warmed first."""
    import time

    from channels.pdf import PdfChannel

    media = Path(tmp) / "media"
    issue = make_issue(articles, media)
    channel = PdfChannel(_settings(Path(tmp) / "data", media, cache=False))
    started = time.perf_counter()
    channel.write_pdf(make_issue(1, media), "screen", Path(tmp) / "warm.pdf")
    first = time.perf_counter() - started
    started = time.perf_counter()
    report = channel.write_pdf(issue, "screen", Path(tmp) / f"ours-{articles}.pdf")
    return {"seconds": time.perf_counter() - started, "pages": report.pages,
            "rss_kib": report.peak_rss_kib, "first": first}


def cached(articles: int, tmp: str) -> dict[str, float]:
    """A second request for a PDF already rendered."""
    import time

    from channels.pdf import PdfChannel

    media = Path(tmp) / "media"
    issue = make_issue(articles, media)
    channel = PdfChannel(_settings(Path(tmp) / "data", media, cache=True))
    channel.write_pdf(issue, "screen", Path(tmp) / "first.pdf")
    started = time.perf_counter()
    report = channel.write_pdf(issue, "screen", Path(tmp) / "second.pdf")
    assert report.cached
    return {"seconds": time.perf_counter() - started}


_SCRIPT = textwrap.dedent("""
    import json, sys
    from benchmarks import pdf
    print(json.dumps(getattr(pdf, sys.argv[1])(int(sys.argv[2]), sys.argv[3])))
    """)


def _run(phase: str, articles: int, tmp: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _SCRIPT, phase, str(articles), tmp],
                         check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _report(articles: int, base: dict[str, float], ours: dict[str, float],
            hit: dict[str, float]) -> None:
    pages = ours["pages"]
    print(f"{articles}-article digest: {pages:.0f} pages (bare WeasyPrint: {base['pages']:.0f})")
    for label, got in (("bare WeasyPrint", base), ("publisher pdf  ", ours)):
        print(f"  {label}: {got['seconds']:6.2f} s, peak RSS {got['rss_kib'] / 1024:6.1f} MiB; "
              f"per page {got['seconds'] / pages * 1000:5.1f} ms, "
              f"{got['rss_kib'] / 1024 / pages:5.2f} MiB")
    print(f"  ratio publisher/bare: time {ours['seconds'] / base['seconds']:.2f}x, "
          f"peak memory {ours['rss_kib'] / base['rss_kib']:.2f}x")
    print(f"  cached second request: {hit['seconds'] * 1000:.1f} ms; first render in a "
          f"process (starts the render server): {ours['first']:.2f} s")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        make_media(Path(tmp) / "media")
        per_page = []
        for articles in SIZES:
            base = _run("bare", articles, tmp)
            ours = _run("publisher", articles, tmp)
            hit = _run("cached", articles, tmp)
            _report(articles, base, ours, hit)
            per_page.append(ours["seconds"] / ours["pages"])
        print(f"  linearity: time per page at {SIZES[-1]} articles / at {SIZES[0]}: "
              f"{per_page[-1] / per_page[0]:.2f}x")
