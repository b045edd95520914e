"""``MailgunMailer``: Mailgun batch sending, up to 1,000 recipients per call.

One call holds the bodies once, every recipient in ``to``, and
``recipient-variables`` (JSON) with each one's values; Mailgun sends each
recipient their own message with ``%recipient.NAME%`` replaced, also in the
``h:`` headers, which is how each gets their own ``List-Unsubscribe``.
Without recipient variables Mailgun would show every address to everyone,
so they are always sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import requests

from channels.email.api import ApiMailer, ApiRequest, Fields
from channels.email.delivery import Result

if TYPE_CHECKING:
    from channels.email.mime import IssueMail, Personal

__all__ = ["MailgunMailer"]


class MailgunMailer(ApiMailer):
    name = "mailgun"
    default_url = "https://api.mailgun.net"
    max_batch = 1000

    def __init__(self, api_key: str, base_url: str = "", *, domain: str,
                 **kwargs: Any) -> None:
        super().__init__(api_key, base_url, **kwargs)
        self.domain = domain

    def credentials(self, request: ApiRequest) -> dict[str, Any]:
        return {"headers": request.headers, "auth": ("api", self._key)}

    def batch_request(self, mail: IssueMail, chunk: Sequence[Personal]) -> ApiRequest:
        text, html = mail.rendered.text, mail.rendered.html
        fields: list[tuple[str, str]] = [
            ("from", mail.sender), ("subject", mail.subject),
            ("text", text.tagged(lambda i: f"%recipient.t{i}%")),
            ("h:List-Unsubscribe", "%recipient.list_unsubscribe%"),
            ("h:List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("h:List-Id", mail.list_id_field), ("v:issue", str(mail.issue_number)),
            ("recipient-variables", json.dumps({p.address: self._variables(mail, p)
                                                for p in chunk})),
        ]
        if html is not None:
            fields.append(("html", html.tagged(lambda i: f"%recipient.h{i}%")))
        if mail.reply_to:
            fields.append(("h:Reply-To", mail.reply_to))
        fields.extend(("to", p.to) for p in chunk)
        return ApiRequest(f"/v3/{self.domain}/messages", data=fields)

    @staticmethod
    def _variables(mail: IssueMail, p: Personal) -> dict[str, str]:
        out = {f"t{i}": v for i, v in enumerate(mail.rendered.text.values(p.values))}
        if mail.rendered.html is not None:
            out.update({f"h{i}": v for i, v in enumerate(mail.rendered.html.values(p.values))})
        out["list_unsubscribe"] = p.list_unsubscribe
        out["subscriber"] = str(p.subscriber_id)
        return out

    def batch_results(self, response: requests.Response,
                      chunk: Sequence[Personal]) -> list[Result]:
        remote = str(response.json()["id"])
        return [Result(p.target, "sent", remote_id=remote) for p in chunk]

    def single_request(self, fields: Fields) -> ApiRequest:
        data = [("from", fields.sender), ("to", fields.to), ("subject", fields.subject),
                ("text", fields.text)]
        if fields.html is not None:
            data.append(("html", fields.html))
        if fields.reply_to:
            data.append(("h:Reply-To", fields.reply_to))
        data.extend((f"h:{k}", v) for k, v in fields.headers.items())
        return ApiRequest(f"/v3/{self.domain}/messages", data=data)
