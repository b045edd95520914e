"""The exception tree of publisher.

Every error the project raises on purpose is a ``PublisherError``; each one
also subclasses the nearest builtin so callers that only know Python's own
exceptions still catch it::

    PublisherError (Exception)
    ├── ContentError (ValueError)      bad article, feed, front matter or plan
    ├── ConfigError (ValueError)       bad settings file or environment
    ├── NotFoundError (LookupError)    no such article, Issue, subscriber, ...
    ├── StoreError (RuntimeError)      the database refused or is unreachable
    └── FetchError (OSError)           the safe fetcher refused or failed a URL

``ContentError`` and ``ConfigError`` carry where the problem is (file, line,
field) so the CLI can print one clear message and exit with code 2.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ContentError",
    "FetchError",
    "NotFoundError",
    "PublisherError",
    "StoreError",
]


class PublisherError(Exception):
    """Base of every error publisher raises on purpose."""


class _Located(PublisherError):
    """An error that can say which file, line and field it is about."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.source or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        if self.field:
            where = f"{where}: field '{self.field}'" if where else f"field '{self.field}'"
        return f"{where}: {self.message}" if where else self.message

    def located(self, source: str) -> _Located:
        """Return a copy of this error that names *source* as its file."""
        return type(self)(self.message, source=source, line=self.line, field=self.field)


class ContentError(_Located, ValueError):
    """Input content (article, feed, front matter, plan, JSON form) is invalid."""


class ConfigError(_Located, ValueError):
    """A settings file or environment variable is invalid."""


class NotFoundError(PublisherError, LookupError):
    """A stored thing (article, Issue, subscriber) does not exist."""


class StoreError(PublisherError, RuntimeError):
    """The database failed in a way the caller cannot fix by changing input."""


class FetchError(PublisherError, OSError):
    """The safe fetcher refused a URL or could not fetch it."""
