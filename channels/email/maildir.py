"""``MaildirOutbox``: each message a file in a Maildir; the default transport.

Nothing leaves the machine until a real transport is configured, and any
mail client can open the folder (``make demo`` sends the demo Issue here).
"""

from __future__ import annotations

import mailbox
import threading
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from channels.base import TransportError
from channels.email.delivery import Result
from channels.email.message import check_headers

if TYPE_CHECKING:
    from channels.email.mime import IssueMail, Personal

__all__ = ["MaildirOutbox"]


class MaildirOutbox:
    """Writes each message as a new file in the Maildir at *path* (made on first send)."""

    max_batch = 1000

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._box: mailbox.Maildir | None = None
        # mailbox.Maildir names files with a per-process counter that is not
        # thread-safe; one lock keeps two sends from racing for a name.
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        check_headers(message)
        self._add(message)

    def deliver(self, mail: IssueMail, batch: Sequence[Personal]) -> list[Result]:
        results = []
        for p in batch:
            try:
                # Maildir files use the local line end; SMTP's CRLF is for the wire.
                self._add(mail.mime(p).replace(b"\r\n", b"\n"))
            except TransportError as exc:  # a full disk: try again later
                results.append(Result(p.target, "deferred", detail=str(exc)))
                continue
            results.append(Result(p.target, "sent", remote_id=p.message_id))
        return results

    def _add(self, message: EmailMessage | bytes) -> None:
        with self._lock:
            try:
                if self._box is None:
                    # Maildir makes its own folders owner-only (0700): the
                    # messages hold subscribers' addresses.
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._box = mailbox.Maildir(self.path, create=True)
                self._box.add(message)
            except OSError as exc:
                raise TransportError(f"cannot write to the outbox {self.path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            if self._box is not None:
                self._box.close()
                self._box = None
