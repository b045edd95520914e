"""Optional DKIM signing (dkimpy), when ``email.dkim_selector`` and a key are set.

Mailbox providers honour RFC 8058 one-click unsubscribe only when a valid
DKIM signature covers ``List-Unsubscribe`` and ``List-Unsubscribe-Post``, so
both are always signed. The key is PEM text from ``PUBLISHER_DKIM_PRIVATE_KEY``
and never appears in a message or an error.

Signing costs far more than the rest of a message (dkimpy canonicalises the
body in Python and hashes it, then an RSA signature): with DKIM on, the
per-recipient preparation is bounded by it. Most ESPs sign for you; sign
here when you send through your own SMTP server.
"""

from __future__ import annotations

import dkim  # type: ignore[import-untyped]  # dkimpy ships no type hints

from publisher.errors import ConfigError

__all__ = ["SIGNED_HEADERS", "DkimSigner"]

SIGNED_HEADERS = (
    b"from", b"reply-to", b"to", b"subject", b"date", b"message-id", b"list-unsubscribe",
    b"list-unsubscribe-post", b"list-id", b"mime-version", b"content-type",
)


class DkimSigner:
    """Prepends a ``DKIM-Signature`` to serialised messages."""

    def __init__(self, selector: str, domain: str, private_key_pem: str) -> None:
        self.selector, self.domain = selector.encode("ascii"), domain.encode("ascii")
        self._key = private_key_pem.encode("ascii")
        try:  # fail at start-up, not on the first of 100,000 messages
            self.sign(b"From: a@b.example\r\nSubject: probe\r\n\r\nprobe\r\n")
        except Exception:
            raise ConfigError("is not a usable DKIM private key (PEM, RSA or Ed25519)",
                              field="PUBLISHER_DKIM_PRIVATE_KEY") from None

    def __repr__(self) -> str:  # without the key
        return f"DkimSigner({self.selector!r}, {self.domain!r})"

    def sign(self, message: bytes) -> bytes:
        signature: bytes = dkim.sign(
            message, self.selector, self.domain, self._key,
            canonicalize=(b"relaxed", b"relaxed"), include_headers=list(SIGNED_HEADERS))
        return signature + message
