"""Provider webhooks over real HTTP: signed or authenticated bounces suppress the address."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from publisher.web.webhooks import WebhookSecrets
from tests.publisher.web.conftest import Live, LiveFactory

MAILGUN_KEY = "key-mailgun-signing-0123456789"


@pytest.fixture(scope="module")
def sendgrid_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _public(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


@pytest.fixture
def hooked(make_live: LiveFactory, sendgrid_key: ec.EllipticCurvePrivateKey) -> Live:
    live = make_live(secrets=WebhookSecrets(
        postmark_user="postmark", postmark_password="pm-secret",
        sendgrid_key=_public(sendgrid_key), mailgun_key=MAILGUN_KEY))
    for address in ("hard@example.org", "soft@example.org", "spam@example.org"):
        live.subscribe_active(address)
    return live


def _sendgrid(live: Live, key: ec.EllipticCurvePrivateKey, events: list[dict[str, Any]],
              *, tamper: bool = False) -> requests.Response:
    body = json.dumps(events).encode()
    timestamp = str(int(time.time()))
    signature = base64.b64encode(
        key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    return requests.post(live.url + "/webhooks/sendgrid", data=body + (b" " if tamper else b""),
                         headers={"Content-Type": "application/json",
                                  "X-Twilio-Email-Event-Webhook-Signature": signature,
                                  "X-Twilio-Email-Event-Webhook-Timestamp": timestamp})


def _mailgun(event: dict[str, Any], key: str = MAILGUN_KEY) -> dict[str, Any]:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": event}


def test_signed_sendgrid_batch_suppresses(hooked: Live,
                                          sendgrid_key: ec.EllipticCurvePrivateKey) -> None:
    events = [{"email": "Hard@Example.org", "event": "bounce", "type": "bounce"},
              {"email": "spam@example.org", "event": "spamreport"},
              {"email": "soft@example.org", "event": "bounce", "type": "blocked"},
              {"email": "soft@example.org", "event": "delivered"}]
    reply = _sendgrid(hooked, sendgrid_key, events)
    assert reply.status_code == 200
    assert reply.json() == {"events": 3, "suppressed": 2}
    assert hooked.subscriber("hard@example.org").status == "bounced"
    assert hooked.subscriber("spam@example.org").status == "complained"
    assert hooked.subscriber("soft@example.org").status == "active"
    # Suppression holds for every list: signing up again sends nothing.
    hooked.signup_form("hard@example.org")
    assert len(hooked.mails()) == 3


def test_bad_sendgrid_signatures_are_403(hooked: Live,
                                         sendgrid_key: ec.EllipticCurvePrivateKey) -> None:
    events = [{"email": "hard@example.org", "event": "bounce", "type": "bounce"}]
    assert _sendgrid(hooked, sendgrid_key, events, tamper=True).status_code == 403
    other = ec.generate_private_key(ec.SECP256R1())
    assert _sendgrid(hooked, other, events).status_code == 403
    unsigned = requests.post(hooked.url + "/webhooks/sendgrid", json=events)
    assert unsigned.status_code == 403
    assert hooked.subscriber("hard@example.org").status == "active"


def test_signed_mailgun_event_suppresses(hooked: Live) -> None:
    event = {"event": "failed", "severity": "permanent", "recipient": "hard@example.org",
             "delivery-status": {"code": 550, "description": "No such user"}}
    reply = requests.post(hooked.url + "/webhooks/mailgun", json=_mailgun(event))
    assert reply.status_code == 200 and reply.json()["suppressed"] == 1
    assert hooked.subscriber("hard@example.org").status == "bounced"
    complaint = {"event": "complained", "recipient": "spam@example.org"}
    assert requests.post(hooked.url + "/webhooks/mailgun",
                         json=_mailgun(complaint)).status_code == 200
    assert hooked.subscriber("spam@example.org").status == "complained"


def test_bad_mailgun_signatures_are_403(hooked: Live) -> None:
    event = {"event": "failed", "severity": "permanent", "recipient": "hard@example.org"}
    wrong_key = _mailgun(event, key="not-the-key")
    unsigned = {"event-data": event}
    stale = _mailgun(event)
    stale["signature"]["timestamp"] = str(int(time.time()) - 3600)
    for payload in (wrong_key, unsigned, stale, [1, 2]):
        reply = requests.post(hooked.url + "/webhooks/mailgun", json=payload)
        assert reply.status_code == 403, payload
    assert hooked.subscriber("hard@example.org").status == "active"


def test_postmark_bounce_with_basic_auth_suppresses(hooked: Live) -> None:
    bounce = {"RecordType": "Bounce", "Type": "HardBounce", "Email": "hard@example.org",
              "Description": "The server was unable to deliver your message"}
    url = hooked.url + "/webhooks/postmark"
    assert requests.post(url, json=bounce).status_code == 401
    assert requests.post(url, json=bounce, auth=("postmark", "wrong")).status_code == 401
    assert hooked.subscriber("hard@example.org").status == "active"
    reply = requests.post(url, json=bounce, auth=("postmark", "pm-secret"))
    assert reply.status_code == 200 and reply.json()["suppressed"] == 1
    assert hooked.subscriber("hard@example.org").status == "bounced"
    soft = {**bounce, "Type": "SoftBounce", "Email": "soft@example.org"}
    assert requests.post(url, json=soft, auth=("postmark", "pm-secret")).json() == {
        "events": 1, "suppressed": 0}
    assert hooked.subscriber("soft@example.org").status == "active"


def test_malformed_payloads_are_400(hooked: Live) -> None:
    url = hooked.url + "/webhooks/postmark"
    auth = ("postmark", "pm-secret")
    assert requests.post(url, json={"RecordType": "Bounce"}, auth=auth).status_code == 400
    assert requests.post(url, data=b"{", auth=auth).status_code == 400
    assert requests.post(url, data=b"x" * (1024 * 1024 + 1), auth=auth).status_code == 413


def test_unconfigured_webhooks_are_404(live: Live) -> None:
    for provider in ("postmark", "sendgrid", "mailgun"):
        reply = requests.post(f"{live.url}/webhooks/{provider}", json={})
        assert reply.status_code == 404
        assert reply.json() == {"error": "This webhook is not configured."}


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_POSTMARK_WEBHOOK_USER", "u")
    monkeypatch.setenv("PUBLISHER_POSTMARK_WEBHOOK_PASSWORD", "p")
    monkeypatch.setenv("PUBLISHER_MAILGUN_SIGNING_KEY", "m")
    monkeypatch.delenv("PUBLISHER_SENDGRID_WEBHOOK_KEY", raising=False)
    secrets = WebhookSecrets.from_env()
    assert (secrets.postmark_user, secrets.postmark_password, secrets.mailgun_key,
            secrets.sendgrid_key) == ("u", "p", "m", "")
    assert "p" not in repr(secrets).replace("postmark", "").replace("WebhookSecrets", "")
