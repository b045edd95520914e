"""``EmailChannel``: render previews, name the checks, prepare Issues for delivery.

* ``render`` (``publisher render ISSUE --channel email --out DIR``) writes
  ``email.html``, ``email.txt`` and a complete ``email.eml`` for a sample
  recipient; it sends nothing;
* ``checks`` are the email preflight checks (``checks.py``);
* ``prepare`` renders an Issue for one segment and returns the ``IssueMail``
  that delivery personalises; renders are cached per Issue version and
  segment, so the checks and a dispatch right after them render once.

Options for ``render`` (``--option KEY=VALUE``): ``digest_mode`` (summary or
full) and ``segment`` (html or text).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from email.utils import formatdate
from pathlib import Path

from channels.email.checks import email_checks
from channels.email.mime import IssueMail
from channels.email.render import SEGMENTS, EmailRenderer, Segment
from channels.email.signing import DkimSigner
from publisher.audience.tokens import LinkTokens
from publisher.content import Issue
from publisher.errors import ContentError
from publisher.preflight import Check
from publisher.settings import EmailOptions, Settings

__all__ = ["SAMPLE_ADDRESS", "SAMPLE_NAME", "EmailChannel"]

SAMPLE_NAME = "Sample Reader"
SAMPLE_ADDRESS = "reader@example.org"
# Renders kept: a few Issue versions times two segments.
_CACHE = 8


class EmailChannel:
    """The email newsletter: the ``Channel`` protocol plus ``prepare`` for delivery."""

    name = "email"

    def __init__(self, settings: Settings, link_tokens: LinkTokens, *,
                 clock: Callable[[], float] | None = None) -> None:
        self.settings, self.options = settings, settings.email
        self.link_tokens = link_tokens
        self._clock = clock
        o = settings.email
        self.dkim = (DkimSigner(o.dkim_selector, o.dkim_domain, o.dkim_private_key)
                     if o.dkim_selector else None)
        self._renderers: dict[str, EmailRenderer] = {}
        self._cache: OrderedDict[tuple[str, str, str], IssueMail] = OrderedDict()
        self._lock = threading.Lock()

    def prepare(self, issue: Issue, segment: Segment = "html", *,
                options: EmailOptions | None = None) -> IssueMail:
        """*issue* rendered for *segment*, ready to personalise (cached)."""
        opts = options or self.options
        key = (issue.content_hash, segment, opts.digest_mode)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        mail = IssueMail(
            self._renderer(opts).render(issue, segment), publication=issue.publication,
            issue_number=issue.number, content_hash=key[0], list_id=opts.list_id,
            link_tokens=self.link_tokens, unsubscribe_mailto=opts.unsubscribe_mailto,
            dkim=self.dkim)
        with self._lock:
            self._cache[key] = mail
            while len(self._cache) > _CACHE:
                self._cache.popitem(last=False)
        return mail

    def _renderer(self, opts: EmailOptions) -> EmailRenderer:
        with self._lock:
            if opts.digest_mode not in self._renderers:
                self._renderers[opts.digest_mode] = EmailRenderer(opts)
            return self._renderers[opts.digest_mode]

    def render(self, issue: Issue, out_dir: Path, options: Mapping[str, str]) -> list[Path]:
        """Preview files for a sample recipient: email.html, email.txt, email.eml."""
        segment = next((s for s in SEGMENTS if s == options.get("segment", "html")), None)
        if segment is None:
            raise ContentError(f"must be one of {', '.join(SEGMENTS)}", field="segment")
        mode = options.get("digest_mode", self.options.digest_mode)
        if mode not in ("summary", "full"):
            raise ContentError("must be summary or full", field="digest_mode")
        opts = dataclasses.replace(self.options, digest_mode=mode)  # type: ignore[arg-type]
        mail = self.prepare(issue, segment, options=opts)
        now = self._clock() if self._clock else None
        p = mail.personal(0, SAMPLE_ADDRESS, SAMPLE_NAME, formatdate(now, usegmt=True))
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        html = mail.html(p)
        if html is not None:
            written.append(_write(out_dir / "email.html", html.encode("utf-8")))
        written.append(_write(out_dir / "email.txt", mail.text(p).encode("utf-8")))
        written.append(_write(out_dir / "email.eml", mail.mime(p)))
        return written

    def checks(self) -> Sequence[Check]:
        return email_checks(lambda issue: self.prepare(issue, "html"))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
