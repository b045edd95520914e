"""The images of an Issue: where each one lives and what fetching it gave.

Both halves of the channel use this module, and neither imports WeasyPrint
through it. The render subprocess fetches every image once before layout, so
a refused, missing or undecodable image becomes a placeholder in the
template instead of WeasyPrint's broken-image text; preflight in the parent
fetches the same URLs to learn their pixel size. Every fetch goes through
:class:`~publisher.fetch.SafeFetcher`.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from publisher.content import Article, Image, Issue
from publisher.errors import FetchError
from publisher.fetch import FetchOptions, SafeFetcher

__all__ = [
    "Fetched", "PlacedImage", "fetch_all", "fetch_one", "image_url", "issue_images", "pixel_size",
]

# Enough to overlap DNS and server latency without hammering one host.
_WORKERS = 8
_SCHEMES = ("http://", "https://", "file:")


@dataclass(frozen=True, slots=True)
class PlacedImage:
    """An image of an article and where it prints: the lead (full text width) or the body."""

    article: Article
    image: Image
    place: str


@dataclass(frozen=True, slots=True)
class Fetched:
    """What fetching one image gave: its bytes, or why there are none."""

    url: str
    content: bytes = b""
    content_type: str = ""
    size: tuple[int, int] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def issue_images(issue: Issue) -> Iterator[PlacedImage]:
    """Every image the PDF prints, in reading order."""
    for article in issue.articles:
        if article.lead_image is not None:
            yield PlacedImage(article, article.lead_image, "lead")
        for block in article.body:
            if isinstance(block, Image):
                yield PlacedImage(article, block, "body")


def image_url(src: str, media_dirs: Sequence[Path]) -> str:
    """*src* as an absolute URL: URLs as they are, paths as file: URLs.

    A relative path is looked up in each media folder in turn (and in the
    folder's parent, since settings name media as "media/logo.png"); the
    fetcher still refuses anything that is not inside a media folder.
    """
    if src.startswith(_SCHEMES) or "://" in src or src.startswith("data:"):
        return src
    path = Path(src)
    if path.is_absolute():
        return path.as_uri()
    for folder in media_dirs:
        for candidate in (folder / path, folder.parent / path):
            if candidate.is_file():
                return candidate.resolve().as_uri()
    base = media_dirs[0] if media_dirs else Path.cwd()
    return (base / path).absolute().as_uri()


def pixel_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a raster image, or None (SVG, or not an image).

    Only the header is read. Pillow warns about very large images because
    decoding them could exhaust memory; nothing is decoded here, and the
    render subprocess that does decode runs under a memory limit.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
        try:
            with PILImage.open(io.BytesIO(content)) as img:
                return img.size
        except (UnidentifiedImageError, PILImage.DecompressionBombError, OSError, ValueError):
            return None


def _is_svg(content_type: str, content: bytes) -> bool:
    return "svg" in content_type or content.lstrip()[:200].find(b"<svg") >= 0


def fetch_one(options: FetchOptions, url: str) -> Fetched:
    """Fetch *url* under *options*; never raises for a refused or bad image."""
    # One fetcher per call: a requests.Session is not safe to share across threads.
    try:
        with SafeFetcher(options) as fetcher:
            result = fetcher.fetch(url)
    except FetchError as exc:
        return Fetched(url, error=str(exc))
    size = pixel_size(result.content)
    if size is None and not _is_svg(result.content_type, result.content):
        return Fetched(url, error=f"{url} is not an image")
    return Fetched(url, result.content, result.content_type, size)


def fetch_all(options: FetchOptions, urls: Sequence[str]) -> dict[str, Fetched]:
    """Fetch each distinct URL once, several at a time."""
    unique = list(dict.fromkeys(urls))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=min(_WORKERS, len(unique))) as pool:
        results = pool.map(lambda u: fetch_one(options, u), unique)
        return {r.url: r for r in results}
