"""Readers: wire copy, Markdown, RSS/Atom feeds and the project's JSON form.

``read_source`` is the one entry point: it picks the reader by ``--format``
or, for ``auto``, by file extension and then by content, and returns the
articles it found. Reading never stores anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from publisher.content import Article
from publisher.errors import ContentError
from publisher.fetch import SafeFetcher
from publisher.jsonform import document_from_json
from publisher.sources.common import decode
from publisher.sources.feed import fetch_feed, parse_feed
from publisher.sources.markdown import parse_markdown_bytes
from publisher.sources.wire import looks_like_wire, parse_wire_bytes

__all__ = ["FORMATS", "Format", "expand_paths", "is_url", "read_bytes", "read_source"]

Format = Literal["auto", "wire", "markdown", "feed", "json"]
FORMATS: tuple[Format, ...] = ("auto", "wire", "markdown", "feed", "json")

_BY_SUFFIX: dict[str, Format] = {
    ".md": "markdown", ".markdown": "markdown", ".txt": "wire", ".wire": "wire",
    ".xml": "feed", ".rss": "feed", ".atom": "feed", ".json": "json",
}


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _sniff(data: bytes, source: str) -> Format:
    """Guess a format from the first bytes when the extension says nothing."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")):
        return "feed"
    if head.startswith((b"---", b"+++", b"#")):
        return "markdown"
    if head.startswith(b"{"):
        return "json"
    return "wire" if looks_like_wire(decode(data, source)) else "markdown"


def detect_format(path: str, data: bytes) -> Format:
    """The reader for *path*: by extension first, then by content."""
    return _BY_SUFFIX.get(Path(path).suffix.lower()) or _sniff(data, path)


def read_bytes(data: bytes, source: str, fmt: Format = "auto") -> list[Article]:
    """Parse *data* read from *source* in format *fmt* into articles."""
    chosen = detect_format(source, data) if fmt == "auto" else fmt
    if chosen == "wire":
        return [parse_wire_bytes(data, source=source)]
    if chosen == "markdown":
        return [parse_markdown_bytes(data, source=source)]
    if chosen == "feed":
        return parse_feed(data, source=source)
    doc = document_from_json(decode(data, source), source)
    if not isinstance(doc, list):
        raise ContentError("holds an Issue, not articles (use 'issue import')", source=source)
    return doc


def read_source(target: str, fetcher: SafeFetcher, fmt: Format = "auto") -> list[Article]:
    """Articles from a file path or an http(s) URL (a feed)."""
    if is_url(target):
        return fetch_feed(target, fetcher)
    path = Path(target)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ContentError("file not found", source=target) from None
    except IsADirectoryError:
        raise ContentError("is a directory", source=target) from None
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror}", source=target) from None
    return read_bytes(data, target, fmt)


def expand_paths(targets: list[str]) -> Iterator[str]:
    """URLs and files as given; directories become their readable files, sorted."""
    for target in targets:
        path = Path(target)
        if is_url(target) or not path.is_dir():
            yield target
            continue
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.suffix.lower() in _BY_SUFFIX:
                yield str(child)
