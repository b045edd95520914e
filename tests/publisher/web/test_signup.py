"""Signup over real HTTP: the form with its CSRF token, JSON, confirmation, rate limits."""

from __future__ import annotations

import email
import email.policy
import re
import time

import requests

from publisher.audience.tokens import ConfirmTokens
from publisher.settings import secret_keys
from tests.publisher.web.conftest import Live, LiveFactory


def test_the_form_page_is_accessible_and_branded(live: Live) -> None:
    page = live.http.get(live.url + "/subscribe")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en">' in html
    assert '<label for="email">' in html and 'id="email"' in html
    assert '<label for="name">' in html and 'id="name"' in html
    assert "<legend>Sections</legend>" in html and "<legend>Format</legend>" in html
    assert "--primary: #0b3d5c;" in html and "--accent: #d98c1f;" in html
    # Headings in order: one h1, nothing that skips a level.
    assert re.findall(r"<h(\d)", html) == ["1"]
    assert "publisher_csrf" in page.cookies
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_form_signup_sends_a_link_that_confirms(live: Live) -> None:
    page = live.signup_form("Reader@Example.org", name="Ann Reader",
                            sections=["World", "Culture"], format="text")
    assert page.status_code == 200
    assert "Check your inbox" in page.text
    sub = live.subscriber("reader@example.org")
    assert (sub.status, sub.name, sub.consent_source, sub.consent_ip) == (
        "pending", "Ann Reader", "web", "127.0.0.1")
    member = live.membership("reader@example.org")
    assert (member.status, member.sections, member.format) == (
        "pending", ("Culture", "World"), "text")

    [mail] = live.mails()
    assert mail["To"] == "Ann Reader <reader@example.org>"
    assert mail["From"] == "The Test Dispatch <news@dispatch.example>"
    link = live.confirm_link()
    assert link.startswith(live.url + "/confirm/")

    # A fresh client, as from a mail program: no cookie needed to confirm.
    confirmed = requests.get(link)
    assert confirmed.status_code == 200
    assert "You are subscribed" in confirmed.text
    assert live.subscriber("reader@example.org").status == "active"
    assert live.membership("reader@example.org").status == "active"
    assert "/preferences/" in confirmed.text and "/unsubscribe/" in confirmed.text
    # Following the link again is harmless.
    assert requests.get(link).status_code == 200


def test_missing_or_bad_csrf_is_refused(live: Live) -> None:
    url = live.url + "/subscribe"
    assert live.http.post(url, data={"email": "a@example.org"}).status_code == 403
    token = live.csrf()
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert live.http.post(url, data={"email": "a@example.org",
                                     "csrf_token": forged}).status_code == 403
    # A genuine token without its cookie (another site's form) is refused too.
    assert requests.post(url, data={"email": "a@example.org",
                                    "csrf_token": token}).status_code == 403
    # And one whose cookie is another browser's.
    other = requests.Session()
    other.get(url)
    assert other.post(url, data={"email": "a@example.org",
                                 "csrf_token": token}).status_code == 403
    assert live.mails() == [] and live.count() == 0


def test_json_signup(live: Live) -> None:
    body = {"email": "json@example.org", "name": "J. Son", "sections": ["Business"],
            "format": "pdf", "list": "newsletter"}
    reply = requests.post(live.url + "/subscribe", json=body)
    assert reply.status_code == 200
    assert reply.json()["status"] == "pending"
    member = live.membership("json@example.org")
    assert (member.status, member.sections, member.format) == ("pending", ("Business",), "pdf")
    assert requests.get(live.confirm_link()).status_code == 200
    assert live.membership("json@example.org").status == "active"


def test_json_errors_name_the_field(live: Live) -> None:
    url = live.url + "/subscribe"
    for body, field in (({"email": "not an address"}, "email"),
                        ({"email": 3}, "email"),
                        ({"email": "a@example.org", "sections": "World"}, "sections"),
                        ({"email": "a@example.org", "sections": ["Sport"]}, "sections"),
                        ({"email": "a@example.org", "format": "fax"}, "format"),
                        ({"email": "a@example.org", "list": "secret-list"}, "list")):
        reply = requests.post(url, json=body)
        assert reply.status_code == 400, body
        assert reply.json()["field"] == field
    assert requests.post(url, data=b"{nope", headers={
        "Content-Type": "application/json"}).status_code == 400
    assert live.mails() == [] and live.count() == 0


def test_json_without_the_json_content_type_is_not_taken(live: Live) -> None:
    # text/plain is what a cross-site form can send without a preflight.
    reply = requests.post(live.url + "/subscribe", data=b'{"email": "a@example.org"}',
                          headers={"Content-Type": "text/plain"})
    assert reply.status_code == 415
    assert live.count() == 0


def test_a_bad_address_re_renders_the_form(live: Live) -> None:
    page = live.signup_form("nobody-at-all", name="<b>Bold</b>")
    assert page.status_code == 400
    assert "Email address:" in page.text
    assert 'value="nobody-at-all"' in page.text
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page.text and "<b>Bold" not in page.text


def test_crlf_in_the_name_cannot_inject_a_header(make_live: LiveFactory) -> None:
    # Refused attempts count against the per-IP limit too: allow for ten.
    live = make_live("signup_rate_per_ip = 20\n")
    for name in ("Eve\r\nBcc: victim@example.org", "Eve\nBcc: victim@example.org",
                 "Eve\rBcc: victim@example.org", "Eve\x00", "Eve\u2028Bcc: v@example.org"):
        page = live.signup_form("eve@example.org", name=name)
        assert page.status_code == 400, name
        assert "Name:" in page.text
        reply = requests.post(live.url + "/subscribe",
                              json={"email": "eve@example.org", "name": name})
        assert (reply.status_code, reply.json()["field"]) == (400, "name")
    assert live.mails() == [] and live.count() == 0


def test_a_name_that_looks_like_a_header_stays_inside_to(live: Live) -> None:
    name = 'Eve "Bcc: victim@example.org" <x@evil.example>, Mallory'
    assert live.signup_form("eve@example.org", name=name).status_code == 200
    [mail] = live.mails()
    parsed = email.message_from_bytes(mail.as_bytes(), policy=email.policy.default)
    assert sorted(parsed.keys()) == sorted([
        "From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "Content-Type",
        "Content-Transfer-Encoding", "MIME-Version"])
    [to] = parsed["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, "eve@example.org")


def test_suppressed_addresses_get_the_same_answer_and_nothing_else(live: Live) -> None:
    with live.app.store.begin() as conn:
        live.app.store.audience.suppress(conn, "gone@example.org", "complaint")
    normal = live.signup_form("fresh@example.org")
    blocked = live.signup_form("Gone@Example.org")
    assert blocked.status_code == normal.status_code == 200
    assert blocked.text.replace("Gone@Example.org", "X") == normal.text.replace(
        "fresh@example.org", "X")
    assert [m["To"] for m in live.mails()] == ["fresh@example.org"]
    assert live.count() == 1
    reply = requests.post(live.url + "/subscribe", json={"email": "gone@example.org"})
    assert reply.status_code == 200 and len(live.mails()) == 1


def test_tampered_expired_and_wrong_list_confirm_links_are_refused(live: Live) -> None:
    live.signup_form("reader@example.org")
    link = live.confirm_link()
    sub = live.subscriber("reader@example.org")
    keys = secret_keys(live.app.settings)
    eight_days_ago = time.time() - 8 * 86400
    expired = ConfirmTokens(keys, clock=lambda: eight_days_ago).dumps(sub.id, "newsletter")
    with live.app.store.begin() as conn:
        live.app.store.audience.ensure_list(conn, "other")
    wrong_list = live.app.confirm_tokens.dumps(sub.id, "other")
    forged = ConfirmTokens(["k" * 32]).dumps(sub.id, "newsletter")
    token = link.rsplit("/", 1)[1]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad, words in ((tampered, "invalid"), (expired, "expired"), (wrong_list, "invalid"),
                       (forged, "invalid"), ("nonsense", "invalid")):
        page = requests.get(f"{live.url}/confirm/{bad}")
        assert page.status_code == 400, bad
        assert words in page.text
    assert live.subscriber("reader@example.org").status == "pending"
    assert requests.get(link).status_code == 200


def test_rate_limit_per_ip(make_live: LiveFactory) -> None:
    live = make_live("signup_rate_per_ip = 3\n")
    for n in range(3):
        assert live.signup_form(f"r{n}@example.org").status_code == 200
    refused = live.signup_form("r3@example.org")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 3000
    reply = requests.post(live.url + "/subscribe", json={"email": "r4@example.org"})
    assert reply.status_code == 429 and "Retry-After" in reply.headers
    assert len(live.mails()) == 3 and live.count() == 3


def test_rate_limit_per_address(make_live: LiveFactory) -> None:
    live = make_live("signup_rate_per_ip = 50\nsignup_rate_per_address = 2\n")
    assert live.signup_form("Same@example.org").status_code == 200
    assert live.signup_form("same@example.org").status_code == 200
    assert live.signup_form("SAME@example.org").status_code == 429
    assert live.signup_form("other@example.org").status_code == 200
    assert len(live.mails()) == 3


def test_an_active_member_signing_up_again_changes_nothing(live: Live) -> None:
    live.signup_form("reader@example.org", name="Ann", sections=["World"])
    requests.get(live.confirm_link())
    page = live.signup_form("reader@example.org", name="Mallory", sections=["Business"])
    assert page.status_code == 200 and "Check your inbox" in page.text
    assert live.subscriber("reader@example.org").name == "Ann"
    assert live.membership("reader@example.org").sections == ("World",)
    assert len(live.mails()) == 1


def test_a_failing_transport_is_a_503(live: Live) -> None:
    live.outbox.close()
    page = live.signup_form("reader@example.org")
    assert page.status_code == 503
    assert "try again later" in page.text
