"""Rendered PDFs kept by (Issue content hash, profile), so asking twice renders once.

A PDF is a pure function of the Issue and the profile, and also of what the
profile is made of today: the ``[pdf]`` settings, the fetch policy, the theme's
``pdf/`` templates, the WeasyPrint version. All of those go into a fingerprint
that is part of the key, so a new trim size or an edited template never
serves a stale file; the Issue's content hash is the rest of the key.

Each entry is ``<hash>-<profile>-<fingerprint>.pdf`` beside a ``.json`` report
of the render (pages, refused fetches). Files are written to a temporary name
and renamed, so a reader never sees half a PDF. Nothing is evicted: an
operator may delete the folder at any time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from channels.pdf.digest import template_files
from channels.pdf.jobs import RenderReport
from channels.pdf.profiles import Profile
from channels.pdf.runner import atomic_output
from publisher.content import Issue
from publisher.fetch import FetchOptions

__all__ = ["LAYOUT_VERSION", "PdfCache", "fingerprint"]

# Bump when the channel's code changes what a PDF looks like.
LAYOUT_VERSION = "1"


def _weasyprint_version() -> str:
    try:
        return version("weasyprint")
    except PackageNotFoundError:
        return "unknown"


def fingerprint(profile: Profile, fetch: FetchOptions, override_dir: Path | None) -> str:
    """A digest of everything besides the Issue that shapes the PDF."""
    digest = hashlib.sha256()
    for part in (LAYOUT_VERSION, _weasyprint_version(), repr(profile), repr(fetch)):
        digest.update(part.encode() + b"\0")
    for path in template_files(override_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class PdfCache:
    """PDF files and their render reports under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, issue: Issue, profile: Profile, fingerprint: str) -> Path:
        return self.root / f"{issue.content_hash[:32]}-{profile.name}-{fingerprint[:16]}.pdf"

    def lookup(self, path: Path) -> RenderReport | None:
        """The report of the cached PDF at *path*, or None on a miss."""
        if not path.is_file():
            return None
        try:
            data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            return _report(data)
        except (OSError, ValueError, TypeError):
            # A lost or damaged report costs a render, never a wrong answer.
            return None

    def save_report(self, path: Path, report: RenderReport) -> None:
        """Write the report beside *path* (before the PDF itself is renamed there)."""
        with atomic_output(path.with_suffix(".json")) as temp:
            temp.write_text(json.dumps(asdict(report)), encoding="utf-8")


def _report(data: dict[str, object]) -> RenderReport:
    refused = data.get("refused", [])
    messages = data.get("messages", [])
    pages = data.get("pages")
    if not isinstance(pages, int) or not isinstance(refused, list) \
            or not isinstance(messages, list):
        raise ValueError("not a render report")
    return RenderReport(pages=pages, refused=tuple((str(u), str(r)) for u, r in refused),
                        messages=tuple(str(m) for m in messages), cached=True)
