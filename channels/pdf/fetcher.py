"""WeasyPrint's ``url_fetcher``, routed through the project's one safe fetcher.

WeasyPrint's own fetcher opens any URL it meets (``file:///etc/passwd``, a
metadata service on 169.254.169.254, an admin port on localhost). This
adapter answers only from images fetched beforehand by
:func:`channels.pdf.images.fetch_all` and, for anything else the theme asks
for, from :class:`~publisher.fetch.SafeFetcher`. Every refusal or failure is
kept in :attr:`SafeUrlFetcher.refused` so the render can report it; WeasyPrint
itself then leaves the resource out and goes on, it never crashes the render.

Importing this module imports WeasyPrint: only the render subprocess does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weasyprint.urls import URLFetcher, URLFetcherResponse

from channels.pdf.images import Fetched
from publisher.errors import FetchError
from publisher.fetch import FetchOptions, SafeFetcher

__all__ = ["SafeUrlFetcher"]


class SafeUrlFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint is untyped
    """A WeasyPrint URL fetcher that fetches nothing the safe fetcher would refuse."""

    def __init__(self, options: FetchOptions, prefetched: Mapping[str, Fetched]) -> None:
        # The parent's urllib handlers stay unused: fetch() below replaces them.
        super().__init__(timeout=options.timeout, allowed_protocols=())
        self._options = options
        self._prefetched = dict(prefetched)
        self.refused: dict[str, str] = {
            url: got.error for url, got in prefetched.items() if got.error is not None}

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """The body of *url*, or ``FetchError`` (WeasyPrint logs it and goes on)."""
        got = self._prefetched.get(url)
        if got is None:
            got = self._prefetched[url] = self._fetch_other(url)
        if got.error is not None:
            self.refused[url] = got.error
            raise FetchError(got.error)
        return URLFetcherResponse(url, got.content, {"Content-Type": got.content_type})

    def _fetch_other(self, url: str) -> Fetched:
        """A resource a theme asks for beyond the Issue's images (a font, a stylesheet)."""
        try:
            with SafeFetcher(self._options) as fetcher:
                result = fetcher.fetch(url)
        except FetchError as exc:
            return Fetched(url, error=str(exc))
        return Fetched(url, result.content, result.content_type)
