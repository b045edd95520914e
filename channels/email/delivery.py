"""The bulk side of an email transport: ``Mailer`` and the ``Result`` of each message.

``channels.base.Transport`` sends one finished ``EmailMessage`` (a
confirmation mail, a proof). A newsletter goes out through ``Mailer.deliver``
instead: a batch of ``Personal`` values of one ``IssueMail``, so each
transport can use what its provider does best (persistent SMTP connections
with the bytes from the skeleton; a batch API with per-recipient variables).

Every transport in this package is both: ``send`` for one message and
``deliver`` for a batch. ``deliver`` never raises for one recipient's
problem; it returns one ``Result`` per message, in order, classified as the
design's rules say:

* ``sent``: accepted by the server or provider;
* ``deferred``: transient (SMTP 4xx, HTTP 429 and 5xx, no connection):
  retried later with backoff, after ``retry_after`` seconds at least;
* ``failed``: permanent (SMTP 5xx, HTTP 4xx); ``hard_bounce`` when the
  address itself does not exist, so it is suppressed;
* ``unknown``: the message may or may not have gone (a timeout after the
  SMTP end of data, a lost HTTP response): never retried silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from channels.base import Transport

if TYPE_CHECKING:
    from channels.email.mime import IssueMail, Personal

__all__ = ["MailTransport", "Mailer", "Result", "ResultStatus", "all_with",
           "retry_after_seconds"]

ResultStatus = Literal["sent", "failed", "deferred", "unknown"]
# A provider asking for more than this is treated as this; the ledger keeps
# the rest deferred for the next run.
_MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True, slots=True)
class Result:
    """What happened to one message."""

    target: str
    status: ResultStatus
    remote_id: str | None = None
    detail: str = ""
    hard_bounce: bool = False
    retry_after: float | None = None


@runtime_checkable
class Mailer(Protocol):
    """Delivers batches of personalised messages of one Issue; thread-safe."""

    #: The most messages one ``deliver`` call takes at once (a provider's batch size).
    max_batch: int

    def deliver(self, mail: IssueMail, batch: Sequence[Personal]) -> list[Result]:
        """One ``Result`` per message of *batch*, in order."""

    def close(self) -> None:
        """Release connections; delivering after this is an error."""


@runtime_checkable
class MailTransport(Transport, Mailer, Protocol):
    """What every transport of this package is: one message, or a newsletter batch."""


def all_with(batch: Sequence[Personal], status: ResultStatus, detail: str,
             retry_after: float | None = None) -> list[Result]:
    """The same outcome for every message of *batch* (a refused API call)."""
    return [Result(p.target, status, detail=detail[:500], retry_after=retry_after)
            for p in batch]


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now, capped."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER)
