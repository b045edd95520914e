"""Request bodies read with a size cap, form parsing, and the CSRF guard.

Bodies are read here rather than with ``request.form()`` so that every route
has an explicit cap, chunked uploads included: a signup form is a few
hundred bytes, a webhook batch well under a megabyte.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import AsyncGenerator, Sequence

from itsdangerous import BadSignature, Signer
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "MAX_FORM_BYTES",
    "MAX_WEBHOOK_BYTES",
    "CsrfGuard",
    "form_list",
    "form_text",
    "media_type",
    "read_body",
    "read_form",
]

MAX_FORM_BYTES = 64 * 1024
MAX_WEBHOOK_BYTES = 1024 * 1024
_MAX_FIELDS = 50
_NONCE = re.compile(r"[A-Za-z0-9_-]{43}")


def media_type(request: Request) -> str:
    """The Content-Type without parameters, lower-cased."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is longer than *limit* bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, "The request is too large.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, "The request is too large.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _replay(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body
    yield b""


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> FormData:
    """A urlencoded or multipart form (no files), capped at *limit* bytes."""
    body = await read_body(request, limit)
    kind = media_type(request)
    parser: FormParser | MultiPartParser
    if kind == "application/x-www-form-urlencoded":
        parser = FormParser(request.headers, _replay(body), max_fields=_MAX_FIELDS)
    elif kind == "multipart/form-data":
        parser = MultiPartParser(
            request.headers, _replay(body), max_files=0, max_fields=_MAX_FIELDS
        )
    else:
        raise HTTPException(415, "Send the form as application/x-www-form-urlencoded.")
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(400, f"The form could not be read: {exc.message}") from None


def form_text(form: FormData, key: str) -> str:
    """The text of field *key*; "" when missing or a file."""
    value = form.get(key)
    return value if isinstance(value, str) else ""


def form_list(form: FormData, key: str) -> list[str]:
    """Every text value of field *key* (checkboxes)."""
    return [v for v in form.getlist(key) if isinstance(v, str)]


class CsrfGuard:
    """Signed double-submit tokens for the HTML forms.

    The cookie holds a random nonce; the form holds that nonce signed with
    the app's keys. Another site can make a browser POST a form here but
    cannot read the cookie, so it cannot fill in a matching token, and it
    cannot make one up without a key either. SameSite=Lax stops the cookie
    riding along on cross-site POSTs in the first place.
    """

    COOKIE = "publisher_csrf"
    FIELD = "csrf_token"

    def __init__(self, secret_keys: Sequence[str], *, secure: bool) -> None:
        # A list of keys: the last signs, all verify (same rotation as links).
        self._signer = Signer(
            list(secret_keys), salt="publisher.csrf", digest_method=hashlib.sha256
        )
        self._secure = secure

    def nonce(self, request: Request) -> tuple[str, bool]:
        """The browser's nonce, or a new one; and whether it is new (set the cookie)."""
        current = request.cookies.get(self.COOKIE, "")
        if _NONCE.fullmatch(current):
            return current, False
        return secrets.token_urlsafe(32), True

    def token(self, nonce: str) -> str:
        return self._signer.sign(nonce).decode("ascii")

    def set_cookie(self, response: Response, nonce: str) -> None:
        response.set_cookie(
            self.COOKIE, nonce, httponly=True, samesite="lax", secure=self._secure, path="/"
        )

    def check(self, request: Request, form: FormData) -> None:
        """403 unless the form's token is the signed form of the cookie's nonce."""
        nonce = request.cookies.get(self.COOKIE, "")
        try:
            signed = self._signer.unsign(form_text(form, self.FIELD)).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            signed = ""
        if not nonce or not signed or not hmac.compare_digest(signed, nonce):
            raise HTTPException(
                403, "This form has expired or did not come from our page: reload it and try again."
            )
