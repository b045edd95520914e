"""Postmark, SendGrid and Mailgun against a local HTTP server playing their APIs."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from channels.email.api import ApiMailer
from channels.email.channel import EmailChannel
from channels.email.mailgun import MailgunMailer
from channels.email.mime import IssueMail, Personal
from channels.email.postmark import PostmarkMailer
from channels.email.sendgrid import SendGridMailer
from channels.email.transport import build_message, make_address
from publisher.content import Issue
from tests.channels.email.conftest import Call, FakeApi, free_port

DATE = "Fri, 04 Dec 2026 06:00:00 GMT"


def _people(mail: IssueMail, n: int, prefix: str = "r") -> list[Personal]:
    return [mail.personal(i + 1, f"{prefix}{i}@example.org", f"Reader {i}", DATE)
            for i in range(n)]


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _postmark_ok(call: Call) -> tuple[int, dict[str, str], bytes]:
    return 200, {}, json.dumps([{"ErrorCode": 0, "Message": "OK", "MessageID": f"pm-{i}"}
                                for i, _ in enumerate(call.json())]).encode()


def test_postmark_batches_500_per_call(fake_api: FakeApi, channel: EmailChannel,
                                       issue: Issue) -> None:
    fake_api.respond = _postmark_ok
    mail = channel.prepare(issue)
    people = _people(mail, 1203)
    mailer = PostmarkMailer("pm-token", fake_api.url)
    results = mailer.deliver(mail, people)
    mailer.close()
    assert [len(c.json()) for c in fake_api.calls] == [500, 500, 203]
    assert {r.status for r in results} == {"sent"} and results[1].remote_id == "pm-1"
    call = fake_api.calls[0]
    assert call.path == "/email/batch"
    assert call.headers["X-Postmark-Server-Token"] == "pm-token"
    first = call.json()[0]
    assert first["To"] == "Reader 0 <r0@example.org>"
    assert first["MessageStream"] == "broadcast"
    assert first["ReplyTo"] == "editors@news.example.org"
    assert people[0].values["unsubscribe_url"] in first["HtmlBody"]
    assert people[0].values["unsubscribe_url"] in first["TextBody"]
    headers = {h["Name"]: h["Value"] for h in first["Headers"]}
    assert headers["List-Unsubscribe"] == people[0].list_unsubscribe
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_postmark_per_message_errors(fake_api: FakeApi, channel: EmailChannel,
                                     issue: Issue) -> None:
    fake_api.respond = lambda call: (200, {}, json.dumps([
        {"ErrorCode": 0, "MessageID": "a"},
        {"ErrorCode": 406, "Message": "Inactive recipient"},
        {"ErrorCode": 300, "Message": "Invalid email request"}]).encode())
    mail = channel.prepare(issue, "text")
    results = PostmarkMailer("t", fake_api.url).deliver(mail, _people(mail, 3))
    assert [(r.status, r.hard_bounce) for r in results] == [
        ("sent", False), ("failed", True), ("failed", False)]
    assert "HtmlBody" not in fake_api.calls[0].json()[0]  # a text-only reader


def test_429_waits_for_retry_after_then_succeeds(fake_api: FakeApi, channel: EmailChannel,
                                                 issue: Issue) -> None:
    answers = iter([(429, {"Retry-After": "7"}, b"{}"), (503, {}, b"down")])
    fake_api.respond = lambda call: next(answers, None) or _postmark_ok(call)
    sleeps = Sleeps()
    mail = channel.prepare(issue, "text")
    results = PostmarkMailer("t", fake_api.url, sleep=sleeps, backoff=0.5).deliver(
        mail, _people(mail, 2))
    assert [r.status for r in results] == ["sent", "sent"]
    assert sleeps == [7.0, 1.0]  # Retry-After honoured; then backoff for the 503
    assert len(fake_api.calls) == 3


def test_throttled_to_the_end_is_deferred_with_the_wait(fake_api: FakeApi,
                                                        channel: EmailChannel,
                                                        issue: Issue) -> None:
    fake_api.respond = lambda call: (429, {"Retry-After": "30"}, b"slow down")
    sleeps = Sleeps()
    mail = channel.prepare(issue, "text")
    results = PostmarkMailer("t", fake_api.url, sleep=sleeps, attempts=2).deliver(
        mail, _people(mail, 2))
    assert [(r.status, r.retry_after) for r in results] == [("deferred", 30.0)] * 2
    assert sleeps == [30.0] and "HTTP 429" in results[0].detail


def test_4xx_fails_the_batch_and_401_stops_calling(fake_api: FakeApi, channel: EmailChannel,
                                                   issue: Issue) -> None:
    mail = channel.prepare(issue, "text")
    fake_api.respond = lambda call: (422, {}, b'{"Message": "bad"}')
    mailer = PostmarkMailer("t", fake_api.url)
    assert {r.status for r in mailer.deliver(mail, _people(mail, 2))} == {"failed"}
    fake_api.respond = lambda call: (401, {}, b'{"Message": "bad token"}')
    assert {r.status for r in mailer.deliver(mail, _people(mail, 2))} == {"deferred"}
    calls = len(fake_api.calls)
    assert {r.status for r in mailer.deliver(mail, _people(mail, 2))} == {"deferred"}
    assert len(fake_api.calls) == calls  # no call with credentials known to be refused


def test_no_answer_is_unknown_and_no_connection_is_deferred(fake_api: FakeApi,
                                                            channel: EmailChannel,
                                                            issue: Issue) -> None:
    import time

    mail = channel.prepare(issue, "text")
    def slow(call: Call) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.5)
        return 200, {}, b"[]"

    fake_api.respond = slow
    results = PostmarkMailer("t", fake_api.url, timeout=0.3).deliver(mail, _people(mail, 2))
    assert {r.status for r in results} == {"unknown"}
    down = PostmarkMailer("t", f"http://127.0.0.1:{free_port()}", sleep=Sleeps())
    assert {r.status for r in down.deliver(mail, _people(mail, 2))} == {"deferred"}


def test_sendgrid_personalizations_and_substitutions(fake_api: FakeApi, channel: EmailChannel,
                                                     issue: Issue) -> None:
    fake_api.respond = lambda call: (202, {"X-Message-Id": "sg-1"}, b"")
    mail = channel.prepare(issue)
    people = _people(mail, 1500)
    results = SendGridMailer("sg-key", fake_api.url).deliver(mail, people)
    assert [len(c.json()["personalizations"]) for c in fake_api.calls] == [1000, 500]
    assert {(r.status, r.remote_id) for r in results} == {("sent", "sg-1")}
    call = fake_api.calls[0]
    assert call.path == "/v3/mail/send" and call.headers["Authorization"] == "Bearer sg-key"
    body = call.json()
    first = body["personalizations"][0]
    assert first["to"] == [{"email": "r0@example.org", "name": "Reader 0"}]
    assert first["headers"]["List-Unsubscribe"] == people[0].list_unsubscribe
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    # What SendGrid would make for reader 0 is exactly our own fill.
    for content, expected in zip(body["content"], (mail.text(people[0]), mail.html(people[0])),
                                 strict=True):
        value = content["value"]
        for tag, sub in first["substitutions"].items():
            value = value.replace(tag, sub)
        assert value == expected


def test_mailgun_recipient_variables(fake_api: FakeApi, channel: EmailChannel,
                                     issue: Issue) -> None:
    fake_api.respond = lambda call: (200, {}, b'{"id": "<mg-1@example>", "message": "Queued"}')
    mail = channel.prepare(issue)
    people = _people(mail, 3)
    results = MailgunMailer("mg-key", fake_api.url, domain="mg.example.org").deliver(
        mail, people)
    assert {(r.status, r.remote_id) for r in results} == {("sent", "<mg-1@example>")}
    call = fake_api.calls[0]
    assert call.path == "/v3/mg.example.org/messages"
    assert call.headers["Authorization"] == "Basic " + base64.b64encode(b"api:mg-key").decode()
    form = parse_qs(call.body.decode(), keep_blank_values=True)
    assert form["to"] == [p.to for p in people]
    assert form["h:List-Unsubscribe"] == ["%recipient.list_unsubscribe%"]
    variables: dict[str, dict[str, Any]] = json.loads(form["recipient-variables"][0])
    assert variables["r1@example.org"]["list_unsubscribe"] == people[1].list_unsubscribe
    html = form["html"][0]
    for key, value in variables["r1@example.org"].items():
        html = html.replace(f"%recipient.{key}%", value)
    assert html == mail.html(people[1])


@pytest.mark.parametrize("kind", [PostmarkMailer, SendGridMailer, MailgunMailer])
def test_single_messages_go_through_every_provider(fake_api: FakeApi,
                                                   kind: type[ApiMailer]) -> None:
    fake_api.respond = lambda call: (200, {}, b'{"id": "x", "ErrorCode": 0}')
    kwargs: dict[str, Any] = {"domain": "mg.example.org"} if kind is MailgunMailer else {}
    mailer = kind("key", fake_api.url, **kwargs)
    mailer.send(build_message(sender=make_address("News", "news@example.org", "From"),
                              to=make_address("Ann", "ann@example.org", "To"),
                              subject="Confirm", text="Click", html="<p>Click</p>",
                              headers={"Auto-Submitted": "auto-generated"}))
    (call,) = fake_api.calls
    body = call.body.decode().replace("%40", "@").replace("%3A", ":")
    assert "ann@example.org" in body and "Auto-Submitted" in body
    assert "key" not in repr(mailer)
