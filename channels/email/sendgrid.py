"""``SendGridMailer``: SendGrid v3 mail send, up to 1,000 personalizations per call.

The bodies go once per call with substitution tags where the per-recipient
values belong; each personalization carries one recipient, the values for
its tags and its own ``List-Unsubscribe``. The tags include the render's
random nonce, so no article text can contain one by accident. SendGrid
answers 202 with one ``X-Message-Id`` for the whole call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import requests

from channels.email.api import ApiMailer, ApiRequest, Fields
from channels.email.delivery import Result

if TYPE_CHECKING:
    from channels.email.mime import IssueMail, Personal

__all__ = ["SendGridMailer"]

_SHARED_HEADERS = ("List-Unsubscribe-Post", "List-Id")


def _address(address: str, name: str = "") -> dict[str, str]:
    return {"email": address, "name": name} if name else {"email": address}


class SendGridMailer(ApiMailer):
    name = "sendgrid"
    default_url = "https://api.sendgrid.com"
    max_batch = 1000

    def credentials(self, request: ApiRequest) -> dict[str, Any]:
        return {"headers": {**request.headers, "Authorization": f"Bearer {self._key}"}}

    @staticmethod
    def _tags(mail: IssueMail) -> tuple[str, str]:
        nonce = mail.rendered.registry.nonce
        return f"-{nonce}-h", f"-{nonce}-t"

    def batch_request(self, mail: IssueMail, chunk: Sequence[Personal]) -> ApiRequest:
        html_tag, text_tag = self._tags(mail)
        text, html = mail.rendered.text, mail.rendered.html
        content = [{"type": "text/plain", "value": text.tagged(lambda i: f"{text_tag}{i}-")}]
        if html is not None:
            content.append({"type": "text/html",
                            "value": html.tagged(lambda i: f"{html_tag}{i}-")})
        pub = mail.publication
        body: dict[str, Any] = {
            "personalizations": [self._personalization(mail, p) for p in chunk],
            "from": _address(pub.sender_address, pub.sender_name or pub.name),
            "subject": mail.subject, "content": content,
            "headers": {k: v for k, v in mail.list_headers(chunk[0]).items()
                        if k in _SHARED_HEADERS},
            "custom_args": {"issue": str(mail.issue_number)},
        }
        if mail.reply_to:
            body["reply_to"] = _address(mail.reply_to)
        return ApiRequest("/v3/mail/send", json=body)

    def _personalization(self, mail: IssueMail, p: Personal) -> dict[str, Any]:
        html_tag, text_tag = self._tags(mail)
        subs = {f"{text_tag}{i}-": v for i, v in enumerate(mail.rendered.text.values(p.values))}
        if mail.rendered.html is not None:
            subs.update({f"{html_tag}{i}-": v
                         for i, v in enumerate(mail.rendered.html.values(p.values))})
        headers = mail.list_headers(p)
        return {"to": [_address(p.address, p.name)], "substitutions": subs,
                "headers": {k: v for k, v in headers.items() if k not in _SHARED_HEADERS},
                "custom_args": {"subscriber": str(p.subscriber_id)}}

    def batch_results(self, response: requests.Response,
                      chunk: Sequence[Personal]) -> list[Result]:
        remote = response.headers.get("X-Message-Id")
        return [Result(p.target, "sent", remote_id=remote) for p in chunk]

    def single_request(self, fields: Fields) -> ApiRequest:
        content = [{"type": "text/plain", "value": fields.text}]
        if fields.html is not None:
            content.append({"type": "text/html", "value": fields.html})
        body: dict[str, Any] = {
            "personalizations": [{"to": [_address(fields.to_address)]}],
            "from": {"email": fields.sender}, "subject": fields.subject, "content": content,
            "headers": fields.headers}
        return ApiRequest("/v3/mail/send", json=body)
