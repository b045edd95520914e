"""SignupService on a real SQLite file: double opt-in, links, limits; no HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.email.transport import MemoryOutbox
from publisher.audience.signup import RateLimited, SignupLimiter, SignupService, SlidingWindow
from publisher.audience.tokens import ConfirmTokens, LinkTokens, TokenError
from publisher.content import Publication
from publisher.errors import ContentError, NotFoundError
from publisher.store import Store

KEYS = ["a-test-key-that-is-long-enough"]
PUB = Publication(name="The Test Dispatch", sender_address="news@dispatch.example",
                  reply_to="editors@dispatch.example", postal_address="1 Test Street",
                  sections=("World", "Business"))


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'publisher.db'}")
    yield s
    s.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox() -> MemoryOutbox:
    return MemoryOutbox()


@pytest.fixture
def service(store: Store, outbox: MemoryOutbox, clock: Clock) -> SignupService:
    tokens = ConfirmTokens(KEYS, max_age=86400, clock=clock)
    return SignupService(store, tokens, LinkTokens(KEYS), outbox, PUB,
                         "https://news.example/", SignupLimiter(100, 100))


def _token(outbox: MemoryOutbox) -> str:
    body = outbox.outbox[-1].get_body(("plain",))
    assert body is not None
    text: str = body.get_content()
    [link] = [w for w in text.split() if "/confirm/" in w]
    assert link.startswith("https://news.example/confirm/")
    return link.rsplit("/", 1)[1]


def _status(store: Store, email: str) -> tuple[str, str]:
    with store.read() as conn:
        sub = store.audience.find(conn, email)
        return sub.status, store.audience.membership(conn, sub.id, "newsletter").status


def test_signup_then_confirm(service: SignupService, store: Store, outbox: MemoryOutbox) -> None:
    sub = service.signup(" Ann@Example.org ", "Ann", sections=["World"], ip="192.0.2.1")
    assert sub is not None and sub.email == "ann@example.org"
    assert _status(store, "ann@example.org") == ("pending", "pending")
    [mail] = outbox.outbox
    assert mail["Subject"] == "Confirm your subscription to The Test Dispatch"
    assert mail["Reply-To"] == "editors@dispatch.example"
    assert mail["Auto-Submitted"] == "auto-generated"
    view = service.confirm(_token(outbox), ip="192.0.2.9")
    assert (view.subscriber.status, view.membership.status) == ("active", "active")
    assert view.subscriber.consent_ip == "192.0.2.9"
    assert view.membership.sections == ("World",)


def test_confirm_links_expire(service: SignupService, outbox: MemoryOutbox,
                              clock: Clock) -> None:
    service.signup("ann@example.org")
    clock.now += 86400 + 1
    with pytest.raises(TokenError, match="expired"):
        service.confirm(_token(outbox))


def test_an_unsubscribed_member_cannot_be_reconfirmed_by_an_old_link(
        service: SignupService, store: Store, outbox: MemoryOutbox) -> None:
    sub = service.signup("ann@example.org")
    assert sub is not None
    old = _token(outbox)
    service.confirm(old)
    service.unsubscribe(service.links(sub.id, "newsletter").unsubscribe.rsplit("/", 1)[1])
    with pytest.raises(TokenError, match="sign up again"):
        service.confirm(old)
    # Signing up again is the way back.
    service.signup("ann@example.org")
    service.confirm(_token(outbox))
    assert _status(store, "ann@example.org") == ("active", "active")


def test_suppressed_addresses_get_no_row_and_no_mail(service: SignupService, store: Store,
                                                     outbox: MemoryOutbox) -> None:
    with store.begin() as conn:
        store.audience.suppress(conn, "gone@example.org", "hard_bounce")
    assert service.signup("Gone@example.org", "Gone") is None
    assert outbox.outbox == []
    with store.read() as conn, pytest.raises(NotFoundError):
        store.audience.find(conn, "gone@example.org")


def test_input_is_checked(service: SignupService, outbox: MemoryOutbox) -> None:
    for kwargs, field in (({"email": "nope"}, "email"),
                          ({"email": "a@example.org", "name": "A\r\nBcc: b@example.org"}, "name"),
                          ({"email": "a@example.org", "name": "x" * 201}, "name"),
                          ({"email": "a@example.org", "sections": ["Sport"]}, "sections"),
                          ({"email": "a@example.org", "format": "fax"}, "format"),
                          ({"email": "a@example.org", "list_id": ""}, "list")):
        with pytest.raises(ContentError) as info:
            service.signup(**kwargs)
        assert info.value.field == field
    with pytest.raises(NotFoundError):
        service.signup("a@example.org", list_id="no-such-list")
    assert outbox.outbox == []


def test_other_lists_must_exist(service: SignupService, store: Store,
                                outbox: MemoryOutbox) -> None:
    with store.begin() as conn:
        store.audience.ensure_list(conn, "weekly")
    sub = service.signup("a@example.org", list_id="weekly")
    assert sub is not None
    view = service.confirm(_token(outbox))
    assert view.membership.list_id == "weekly"


def test_active_members_are_not_changed_by_a_new_signup(service: SignupService, store: Store,
                                                        outbox: MemoryOutbox) -> None:
    service.signup("ann@example.org", "Ann", sections=["World"])
    service.confirm(_token(outbox))
    service.signup("ann@example.org", "Mallory", sections=["Business"], format="pdf")
    with store.read() as conn:
        sub = store.audience.find(conn, "ann@example.org")
        member = store.audience.membership(conn, sub.id, "newsletter")
    assert (sub.name, member.sections, member.format) == ("Ann", ("World",), "html")
    assert len(outbox.outbox) == 1


def test_preferences_and_unsubscribe_links(service: SignupService, store: Store,
                                           outbox: MemoryOutbox) -> None:
    sub = service.signup("ann@example.org")
    assert sub is not None
    service.confirm(_token(outbox))
    links = service.links(sub.id, "newsletter")
    prefs = links.preferences.rsplit("/", 1)[1]
    assert links.preferences.startswith("https://news.example/preferences/")
    assert service.preferences(prefs).subscriber.email == "ann@example.org"
    member = service.save_preferences(prefs, ["Business", "Business"], "text")
    assert (member.sections, member.format) == (("Business",), "text")
    with pytest.raises(ContentError):
        service.save_preferences(prefs, ["Sport"], "text")
    with pytest.raises(TokenError):
        service.unsubscribe(prefs)
    unsubscribe = links.unsubscribe.rsplit("/", 1)[1]
    service.unsubscribe(unsubscribe)
    service.unsubscribe(unsubscribe)
    assert _status(store, "ann@example.org") == ("unsubscribed", "unsubscribed")


def test_links_for_memberships_that_do_not_exist_are_refused(service: SignupService,
                                                             store: Store) -> None:
    sub = service.signup("ann@example.org")
    assert sub is not None
    with store.begin() as conn:
        store.audience.ensure_list(conn, "other")
    wrong = service.links(sub.id, "other")
    with pytest.raises(TokenError):
        service.unsubscribe(wrong.unsubscribe.rsplit("/", 1)[1])
    with pytest.raises(TokenError):
        service.preferences(wrong.preferences.rsplit("/", 1)[1])
    with store.begin() as conn:
        store.audience.erase(conn, "ann@example.org")
    with pytest.raises(TokenError):
        service.unsubscribe(service.links(sub.id, "newsletter").unsubscribe.rsplit("/", 1)[1])


def test_the_limiter_refuses_the_next_attempt(store: Store, outbox: MemoryOutbox,
                                              clock: Clock) -> None:
    limiter = SignupLimiter(per_ip=2, per_address=5, clock=clock)
    service = SignupService(store, ConfirmTokens(KEYS), LinkTokens(KEYS), outbox, PUB,
                            "https://news.example", limiter)
    service.signup("a@example.org", ip="192.0.2.1")
    service.signup("b@example.org", ip="192.0.2.1")
    with pytest.raises(RateLimited) as info:
        service.signup("c@example.org", ip="192.0.2.1")
    assert info.value.retry_after == pytest.approx(3600)
    service.signup("c@example.org", ip="192.0.2.2")
    clock.now += 3600
    service.signup("d@example.org", ip="192.0.2.1")
    assert len(outbox.outbox) == 4


def test_sliding_window(clock: Clock) -> None:
    window = SlidingWindow(2, 10, clock=clock, max_keys=3)
    assert window.hit("a") == window.hit("a") == 0
    assert window.hit("a") == 10
    clock.now += 4
    assert window.hit("a") == 6
    clock.now += 6
    assert window.hit("a") == 0
    for key in "bcdef":
        window.hit(key)
    assert len(window._hits) <= 3
    with pytest.raises(ValueError):
        SlidingWindow(0, 10)
