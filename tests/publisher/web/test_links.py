"""Unsubscribe (page, button, RFC 8058 one-click) and preferences over real HTTP."""

from __future__ import annotations

import requests

from publisher.audience.tokens import LinkTokens
from tests.publisher.web.conftest import CSRF_FIELD, SECTIONS, Live

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _links(live: Live, email: str) -> tuple[str, str]:
    sub = live.subscribe_active(email)
    links = live.app.signup.links(sub.id, "newsletter")
    return links.unsubscribe, links.preferences


def test_get_never_unsubscribes(live: Live) -> None:
    unsubscribe, _ = _links(live, "reader@example.org")
    for _ in range(3):
        page = requests.get(unsubscribe)
        assert page.status_code == 200
    assert "reader@example.org" in page.text
    assert 'method="post"' in page.text
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert live.subscriber("reader@example.org").status == "active"
    assert live.membership("reader@example.org").status == "active"


def test_one_click_post_needs_no_cookie_and_does_not_redirect(live: Live) -> None:
    unsubscribe, _ = _links(live, "reader@example.org")
    # A bare client, as a mailbox provider's: no session, no cookie, no CSRF token.
    reply = requests.post(unsubscribe, data=ONE_CLICK, allow_redirects=False)
    assert reply.status_code == 200
    assert "Set-Cookie" not in reply.headers
    assert "You are unsubscribed" in reply.text
    assert live.membership("reader@example.org").status == "unsubscribed"
    assert live.subscriber("reader@example.org").status == "unsubscribed"
    # Again: still 200, nothing changes.
    assert requests.post(unsubscribe, data=ONE_CLICK, allow_redirects=False).status_code == 200


def test_one_click_as_multipart(live: Live) -> None:
    unsubscribe, _ = _links(live, "reader@example.org")
    reply = requests.post(unsubscribe, files={"List-Unsubscribe": (None, "One-Click")},
                          allow_redirects=False)
    assert reply.status_code == 200
    assert live.membership("reader@example.org").status == "unsubscribed"


def test_the_button_on_the_page_unsubscribes(live: Live) -> None:
    unsubscribe, _ = _links(live, "reader@example.org")
    page = live.http.get(unsubscribe)
    action = page.text.split('action="', 1)[1].split('"', 1)[0]
    reply = live.http.post(live.url + action, data=ONE_CLICK, allow_redirects=False)
    assert reply.status_code == 200
    assert live.membership("reader@example.org").status == "unsubscribed"


def test_a_post_without_the_one_click_body_changes_nothing(live: Live) -> None:
    unsubscribe, _ = _links(live, "reader@example.org")
    assert requests.post(unsubscribe, data={"x": "y"}).status_code == 400
    assert requests.post(unsubscribe).status_code == 415
    assert live.membership("reader@example.org").status == "active"


def test_bad_link_tokens_are_refused(live: Live) -> None:
    unsubscribe, preferences = _links(live, "reader@example.org")
    sub = live.subscriber("reader@example.org")
    with live.app.store.begin() as conn:
        live.app.store.audience.ensure_list(conn, "other")
    wrong_list = live.app.link_tokens.make("unsubscribe", sub.id, "other")
    forged = LinkTokens(["k" * 32]).make("unsubscribe", sub.id, "newsletter")
    tampered = unsubscribe.rsplit("/", 1)[1]
    tampered = tampered[:-2] + ("AA" if not tampered.endswith("AA") else "BB")
    for token in (wrong_list, forged, tampered, "x.y"):
        assert requests.get(f"{live.url}/unsubscribe/{token}").status_code == 400
        assert requests.post(f"{live.url}/unsubscribe/{token}", data=ONE_CLICK).status_code == 400
        assert requests.get(f"{live.url}/preferences/{token}").status_code == 400
    # A preferences token does not unsubscribe, nor an unsubscribe token open preferences.
    prefs_token = preferences.rsplit("/", 1)[1]
    unsub_token = unsubscribe.rsplit("/", 1)[1]
    assert requests.post(f"{live.url}/unsubscribe/{prefs_token}",
                         data=ONE_CLICK).status_code == 400
    assert requests.get(f"{live.url}/preferences/{unsub_token}").status_code == 400
    assert live.membership("reader@example.org").status == "active"


def test_preferences_change_is_stored(live: Live) -> None:
    _, preferences = _links(live, "reader@example.org")
    page = live.http.get(preferences)
    assert page.status_code == 200
    for section in SECTIONS:
        assert f'name="sections" value="{section}"' in page.text
    assert 'name="format" value="pdf"' in page.text
    token = CSRF_FIELD.search(page.text)
    assert token is not None
    saved = live.http.post(preferences, data={
        "csrf_token": token.group(1), "sections": ["Business", "Culture"], "format": "text"})
    assert saved.status_code == 200
    assert "saved" in saved.text
    member = live.membership("reader@example.org")
    assert (member.sections, member.format) == (("Business", "Culture"), "text")
    assert 'value="Business" checked' in saved.text and 'value="World" checked' not in saved.text


def test_preferences_need_csrf_and_known_values(live: Live) -> None:
    _, preferences = _links(live, "reader@example.org")
    assert requests.post(preferences, data={"format": "text"}).status_code == 403
    token = live.csrf(preferences.removeprefix(live.url))
    bad = live.http.post(preferences, data={"csrf_token": token, "sections": ["Sport"]})
    assert bad.status_code == 400 and "Sport" in bad.text
    bad = live.http.post(preferences, data={"csrf_token": token, "format": "fax"})
    assert bad.status_code == 400
    member = live.membership("reader@example.org")
    assert (member.sections, member.format) == ((), "html")


def test_unknown_pages_get_the_error_page(live: Live) -> None:
    page = requests.get(live.url + "/nowhere")
    assert page.status_code == 404
    assert '<html lang="en">' in page.text
