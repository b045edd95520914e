"""``MemoryOutbox``: keeps what it is given in ``outbox``, for tests and previews."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING

from channels.base import TransportError
from channels.email.delivery import Result
from channels.email.message import check_headers

if TYPE_CHECKING:
    from channels.email.mime import IssueMail, Personal

__all__ = ["MemoryOutbox"]


class MemoryOutbox:
    """Keeps sent messages in ``outbox`` (parsed, in order) and their bytes in ``raw``."""

    max_batch = 1000

    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self._lock = threading.Lock()
        self._closed = False

    def send(self, message: EmailMessage) -> None:
        check_headers(message)
        with self._lock:
            self._check_open()
            self.outbox.append(message)

    def deliver(self, mail: IssueMail, batch: Sequence[Personal]) -> list[Result]:
        results = []
        for p in batch:
            data = mail.mime(p)
            parsed = email.message_from_bytes(data, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            check_headers(parsed)
            with self._lock:
                self._check_open()
                self.outbox.append(parsed)
                self.raw.append(data)
            results.append(Result(p.target, "sent", remote_id=p.message_id))
        return results

    def _check_open(self) -> None:
        if self._closed:
            raise TransportError("the outbox is closed")

    def close(self) -> None:
        self._closed = True
