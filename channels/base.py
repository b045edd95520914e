"""What every channel shares: the ``Channel`` and ``Transport`` protocols.

A transport hands one finished ``EmailMessage`` to something that delivers it
(a Maildir, an SMTP server, a list in memory). Building the message is not
its job; refusing a message that could not be sent safely is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol, runtime_checkable

from publisher.content import Issue
from publisher.errors import PublisherError
from publisher.preflight import Check

__all__ = ["Channel", "Transport", "TransportError"]


class TransportError(PublisherError, OSError):
    """The message could not be handed over (server down, refused, disk full)."""


@runtime_checkable
class Transport(Protocol):
    """Sends finished messages, one at a time; thread-safe."""

    def send(self, message: EmailMessage) -> None:
        """Deliver *message* or raise ``TransportError``."""

    def close(self) -> None:
        """Release connections or files; sending after this is an error."""


class Channel(Protocol):
    """Renders an Issue to files (previews, downloads) and names its pre-send checks.

    Rendering is pure and deterministic for a given Issue and options: it
    sends nothing and fetches only through the safe fetcher. Delivery is a
    separate step that never re-renders the layout.
    """

    name: str

    def render(self, issue: Issue, out_dir: Path, options: Mapping[str, str]) -> list[Path]:
        """Write this channel's output for *issue* into *out_dir*; return the files."""

    def checks(self) -> Sequence[Check]:
        """The preflight checks this channel adds."""
