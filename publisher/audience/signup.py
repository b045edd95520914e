"""Double opt-in signup, confirmation, unsubscribe and preferences, for the web app.

``SignupService`` is what the pages and the JSON endpoint call; it knows
nothing of HTTP. The flow:

1. ``signup`` checks the rate limits and the input, stores a *pending*
   membership and mails a confirmation link ``{base_url}/confirm/{token}``;
2. ``confirm`` turns a genuine, unexpired link into an active membership;
3. ``unsubscribe`` and ``preferences`` / ``save_preferences`` act on the
   non-expiring link tokens every newsletter carries.

Whatever the address (new, pending, active, suppressed), ``signup`` answers
the same way, so the form cannot be used to find out who subscribes.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

import sqlalchemy as sa

from channels.base import Transport
from channels.email.transport import build_message, make_address
from publisher.audience.csvio import normalise_email
from publisher.audience.store import DEFAULT_LIST, Membership, Subscriber, email_hash
from publisher.audience.tokens import ConfirmTokens, LinkPurpose, LinkTokens, TokenError
from publisher.content import Publication
from publisher.errors import ContentError, NotFoundError, PublisherError
from publisher.store import Store

__all__ = [
    "FORMATS",
    "Links",
    "MemberView",
    "RateLimited",
    "SignupLimiter",
    "SignupService",
    "SlidingWindow",
]

FORMATS = ("html", "text", "pdf")
_MAX_NAME = 200
_MAX_LIST_ID = 100
_HOUR = 3600.0
_GONE = "link is for a subscription that does not exist"


class RateLimited(PublisherError):
    """Too many attempts; *retry_after* seconds until the next one is allowed."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --- rate limiting -------------------------------------------------------------


class SlidingWindow:
    """At most *limit* hits per key in any *window* seconds, in this process.

    Refused attempts are not counted, so a client that keeps trying is let in
    again as soon as its oldest counted hit leaves the window. The table is
    swept when it holds more than *max_keys* keys, so a flood of distinct
    keys cannot grow memory without bound.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Count one attempt for *key*: 0.0 if allowed, else seconds to wait."""
        with self._lock:
            now = self._clock()
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            if len(self._hits) > self.max_keys:
                self._sweep(now)
            return 0.0

    def _sweep(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
        # Still too many live keys: forget the oldest (dicts keep insertion order).
        while len(self._hits) > self.max_keys:
            del self._hits[next(iter(self._hits))]


class SignupLimiter:
    """Signups per client IP and per address, each in a sliding one-hour window."""

    def __init__(
        self,
        per_ip: int,
        per_address: int,
        *,
        window: float = _HOUR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ip = SlidingWindow(per_ip, window, clock=clock)
        self._address = SlidingWindow(per_address, window, clock=clock)

    def check_ip(self, ip: str | None) -> None:
        wait = self._ip.hit(ip or "-")
        if wait:
            raise RateLimited("too many signups from this address; try again later", wait)

    def check_address(self, email: str) -> None:
        # Keyed by hash: the limiter should not hold a list of addresses.
        wait = self._address.hit(email_hash(email))
        if wait:
            raise RateLimited("too many signups for this email address; try again later", wait)


# --- the service ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Links:
    """The links a subscriber gets for one list."""

    unsubscribe: str
    preferences: str


@dataclass(frozen=True, slots=True)
class MemberView:
    """One subscriber on one list: what the confirmation and link pages show."""

    subscriber: Subscriber
    membership: Membership


def _check_name(name: str) -> str:
    name = name.strip()
    if len(name) > _MAX_NAME:
        raise ContentError(f"must be at most {_MAX_NAME} characters", field="name")
    # Names go into the To header of every mail: one line, no control characters.
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise ContentError("must be one line without control characters", field="name")
    return name


def _check_email(email: str) -> str:
    try:
        return normalise_email(email)
    except ValueError as exc:
        raise ContentError(f"is not a valid email address: {exc}", field="email") from None


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ContentError(f"must be one of {', '.join(FORMATS)}", field="format")
    return fmt


class SignupService:
    """Signup, confirmation, unsubscribe and preferences over the audience store."""

    def __init__(
        self,
        store: Store,
        tokens: ConfirmTokens,
        link_tokens: LinkTokens,
        transport: Transport,
        publication: Publication,
        base_url: str,
        limiter: SignupLimiter | None = None,
    ) -> None:
        self.store, self.tokens, self.link_tokens = store, tokens, link_tokens
        self.transport, self.publication = transport, publication
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter

    # -- signup -----------------------------------------------------------------

    def signup(
        self,
        email: str,
        name: str = "",
        list_id: str = DEFAULT_LIST,
        sections: Sequence[str] = (),
        format: str = "html",
        ip: str | None = None,
    ) -> Subscriber | None:
        """Store a pending membership and mail the confirmation link.

        Returns the subscriber, or None for a suppressed address (no row, no
        mail; the caller must answer exactly as for any other address).
        Raises ``RateLimited``, ``ContentError`` (bad input, naming the
        field) or ``NotFoundError`` (no such list).
        """
        if self.limiter is not None:
            self.limiter.check_ip(ip)
        email, name = _check_email(email), _check_name(name)
        wanted = self.check_sections(sections)
        _check_format(format)
        if self.limiter is not None:
            self.limiter.check_address(email)
        with self.store.begin() as conn:
            stored = self._store_pending(conn, email, name, list_id, wanted, format, ip)
        if stored is None:
            return None
        sub, send_link = stored
        if send_link:
            self.transport.send(self.confirmation_message(sub, list_id))
        return sub

    def _store_pending(
        self,
        conn: sa.Connection,
        email: str,
        name: str,
        list_id: str,
        sections: tuple[str, ...],
        fmt: str,
        ip: str | None,
    ) -> tuple[Subscriber, bool] | None:
        """(subscriber, whether to mail a link), or None if the address is suppressed."""
        repo = self.store.audience
        self._require_list(conn, list_id)
        if repo.is_suppressed(conn, email):
            return None
        try:
            existing: Subscriber | None = repo.find(conn, email)
        except NotFoundError:
            existing = None
        if existing is not None and self._is_active_member(conn, existing, list_id):
            # Someone re-entering a confirmed address must not change that
            # member's name or preferences without proving they own it; the
            # member gets no mail either (the limiter bounds retries anyway).
            return existing, False
        keep_name = existing is None or existing.status == "pending"
        sub = repo.add(
            conn, email, list_id=list_id, name=name if keep_name else "", status="pending",
            sections=sections, format=fmt, consent_source="web", consent_ip=ip,
        )
        return sub, True

    def _is_active_member(self, conn: sa.Connection, sub: Subscriber, list_id: str) -> bool:
        try:
            return self.store.audience.membership(conn, sub.id, list_id).status == "active"
        except NotFoundError:
            return False

    def _require_list(self, conn: sa.Connection, list_id: str) -> None:
        # The public form must not create lists: only the default list is
        # made on demand, any other must exist already.
        if not list_id or len(list_id) > _MAX_LIST_ID:
            raise ContentError("is not a list name", field="list")
        if list_id == DEFAULT_LIST:
            self.store.audience.ensure_list(conn, list_id)
        else:
            self.store.audience.require_list(conn, list_id)

    def check_sections(self, sections: Sequence[str]) -> tuple[str, ...]:
        """*sections* without repeats, each one a section of the publication."""
        known = self.publication.sections
        unknown = [s for s in sections if s not in known]
        if unknown:
            raise ContentError(f"unknown section '{unknown[0]}'", field="sections")
        return tuple(dict.fromkeys(sections))

    def confirmation_message(self, sub: Subscriber, list_id: str) -> EmailMessage:
        """The opt-in mail: one link, what it is for, and what to do if unasked."""
        pub = self.publication
        url = f"{self.base_url}/confirm/{self.tokens.dumps(sub.id, list_id)}"
        days = max(1, self.tokens.max_age // 86400)
        greeting = f"Hello {sub.name}," if sub.name else "Hello,"
        text = (
            f"{greeting}\n\n"
            f"please confirm that you want to receive {pub.name} at {sub.email}:\n\n"
            f"{url}\n\n"
            f"The link works for {days} day(s). If you did not ask for this, ignore\n"
            f"this message: you will not be subscribed and will not hear from us again.\n\n"
            f"{pub.name}\n{pub.postal_address}\n"
        )
        reply_to = pub.reply_to
        return build_message(
            sender=make_address(pub.sender_name or pub.name, pub.sender_address, "From"),
            to=make_address(sub.name, sub.email, "To"),
            reply_to=make_address("", reply_to, "Reply-To") if reply_to else None,
            subject=f"Confirm your subscription to {pub.name}",
            text=text,
            headers={"Auto-Submitted": "auto-generated"},
        )

    # -- after signup -----------------------------------------------------------

    def confirm(self, token: str, ip: str | None = None) -> MemberView:
        """Activate the membership a confirmation link was made for."""
        sub_id, list_id = self.tokens.loads(token)
        repo = self.store.audience
        with self.store.begin() as conn:
            try:
                membership = repo.membership(conn, sub_id, list_id)
            except NotFoundError:
                # Erased since, or a token for a list this subscriber never joined.
                raise TokenError("confirmation link is invalid") from None
            if membership.status == "unsubscribed":
                # Consent given once and withdrawn is not renewed by an old link.
                raise TokenError("confirmation link is no longer valid: please sign up again")
            sub = repo.confirm(conn, sub_id, list_id, ip)
            return MemberView(sub, repo.membership(conn, sub_id, list_id))

    def unsubscribe(self, token: str) -> None:
        """Leave the list the link was made for (again: no change)."""
        sub_id, list_id = self.link_tokens.verify(token, "unsubscribe")
        with self.store.begin() as conn:
            try:
                self.store.audience.unsubscribe(conn, sub_id, list_id)
            except NotFoundError:
                # Erased since, or a genuine token for a list this subscriber
                # is not on: either way the link is no good.
                raise TokenError(_GONE) from None

    def preferences(self, token: str) -> MemberView:
        """The subscriber and membership a preferences link is for."""
        return self.describe(token, "preferences")

    def describe(self, token: str, purpose: LinkPurpose) -> MemberView:
        """Who a link token is for; ``TokenError`` if tampered with, made for
        another purpose, or for a membership that does not exist."""
        sub_id, list_id = self.link_tokens.verify(token, purpose)
        repo = self.store.audience
        with self.store.read() as conn:
            try:
                return MemberView(repo.get(conn, sub_id), repo.membership(conn, sub_id, list_id))
            except NotFoundError:
                raise TokenError(_GONE) from None

    def save_preferences(self, token: str, sections: Sequence[str], format: str) -> Membership:
        """Store new sections (none = all) and format for the link's membership."""
        sub_id, list_id = self.link_tokens.verify(token, "preferences")
        wanted = self.check_sections(sections)
        repo = self.store.audience
        with self.store.begin() as conn:
            try:
                return repo.set_preferences(
                    conn, sub_id, list_id, sections=wanted, format=_check_format(format)
                )
            except NotFoundError:
                raise TokenError(_GONE) from None

    def links(self, subscriber_id: int, list_id: str) -> Links:
        """The unsubscribe and preferences URLs for one membership."""
        return Links(
            self._link("unsubscribe", subscriber_id, list_id),
            self._link("preferences", subscriber_id, list_id),
        )

    def _link(self, purpose: LinkPurpose, subscriber_id: int, list_id: str) -> str:
        return f"{self.base_url}/{purpose}/{self.link_tokens.make(purpose, subscriber_id, list_id)}"
