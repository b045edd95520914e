"""``PostmarkMailer``: Postmark's batch endpoint, up to 500 messages per call.

Postmark takes whole messages (no per-recipient variables outside its own
templates), so each message of the batch carries its personalised bodies;
the ``broadcast`` message stream keeps newsletters apart from transactional
mail. The answer has one entry per message, in order: ``ErrorCode`` 0 is
accepted, 406 is an address Postmark marked inactive (bounced or
complained), which we suppress too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import requests

from channels.email.api import ApiMailer, ApiRequest, Fields
from channels.email.delivery import Result

if TYPE_CHECKING:
    from channels.email.mime import IssueMail, Personal

__all__ = ["PostmarkMailer"]

_INACTIVE = 406


def _headers(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in values.items()]


class PostmarkMailer(ApiMailer):
    name = "postmark"
    default_url = "https://api.postmarkapp.com"
    max_batch = 500

    def __init__(self, api_key: str, base_url: str = "", *, stream: str = "broadcast",
                 **kwargs: Any) -> None:
        super().__init__(api_key, base_url, **kwargs)
        self.stream = stream

    def credentials(self, request: ApiRequest) -> dict[str, Any]:
        return {"headers": {**request.headers, "X-Postmark-Server-Token": self._key,
                            "Accept": "application/json"}}

    def batch_request(self, mail: IssueMail, chunk: Sequence[Personal]) -> ApiRequest:
        messages = [{
            "From": mail.sender, "To": p.to, "Subject": mail.subject,
            "TextBody": mail.text(p), "HtmlBody": mail.html(p),
            "Headers": _headers(mail.list_headers(p)), "MessageStream": self.stream,
            "Metadata": {"issue": str(mail.issue_number), "subscriber": str(p.subscriber_id)},
            **({"ReplyTo": mail.reply_to} if mail.reply_to else {}),
        } for p in chunk]
        for message in messages:
            if message["HtmlBody"] is None:
                del message["HtmlBody"]
        return ApiRequest("/email/batch", json=messages)

    def batch_results(self, response: requests.Response,
                      chunk: Sequence[Personal]) -> list[Result]:
        answers = response.json()
        if not isinstance(answers, list) or len(answers) != len(chunk):
            raise ValueError("expected one answer per message")
        return [self._result(p, a) for p, a in zip(chunk, answers, strict=True)]

    @staticmethod
    def _result(p: Personal, answer: dict[str, Any]) -> Result:
        code = int(answer["ErrorCode"])
        if code == 0:
            return Result(p.target, "sent", remote_id=str(answer.get("MessageID") or ""))
        detail = f"postmark {code}: {answer.get('Message', '')}"[:500]
        return Result(p.target, "failed", detail=detail, hard_bounce=code == _INACTIVE)

    def single_request(self, fields: Fields) -> ApiRequest:
        message: dict[str, Any] = {
            "From": fields.sender, "To": fields.to, "Subject": fields.subject,
            "TextBody": fields.text, "Headers": _headers(fields.headers),
            "MessageStream": "outbound"}
        if fields.html is not None:
            message["HtmlBody"] = fields.html
        if fields.reply_to:
            message["ReplyTo"] = fields.reply_to
        return ApiRequest("/email", json=message)
