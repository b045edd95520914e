"""``create_app(app) -> FastAPI``: the subscriber pages, the JSON signup and the webhooks.

Routes:

=======================  =====================================================
GET  /subscribe          signup form (CSRF token)
POST /subscribe          form (CSRF checked) -> "check your inbox" page, or
                         JSON (``application/json``) -> JSON
GET  /confirm/{token}    double opt-in: confirms, says so; bad link -> 400
GET  /unsubscribe/{t}    a page with a button; never unsubscribes by itself
POST /unsubscribe/{t}    ``List-Unsubscribe=One-Click`` (RFC 8058): at once,
                         no cookie, no CSRF token, no redirect, 200
GET  /preferences/{t}    sections and format form (CSRF token)
POST /preferences/{t}    saves them (CSRF checked)
POST /webhooks/...       postmark, sendgrid, mailgun (see ``webhooks``)
=======================  =====================================================

Database and mail work runs in the thread pool (``run_in_threadpool``): the
store and the transports block, the event loop must not.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.base import TransportError
from publisher.app import App
from publisher.audience.signup import MemberView, RateLimited, SignupService
from publisher.audience.store import DEFAULT_LIST
from publisher.audience.tokens import TokenError
from publisher.errors import ContentError, NotFoundError
from publisher.settings import secret_keys
from publisher.web.forms import (
    MAX_FORM_BYTES,
    CsrfGuard,
    form_list,
    form_text,
    media_type,
    read_body,
    read_form,
)
from publisher.web.templating import Pages
from publisher.web.webhooks import WebhookSecrets, webhook_router

__all__ = ["create_app"]

log = logging.getLogger(__name__)

FORMATS = (("html", "HTML email"), ("text", "Plain-text email"), ("pdf", "PDF digest"))
_FIELD_LABELS = {"email": "Email address", "name": "Name", "sections": "Sections",
                 "format": "Format", "list": "List"}
_TITLES = {400: "This link does not work", 403: "Please try again", 404: "Page not found",
           405: "Not allowed", 413: "Too large", 415: "Unsupported request",
           429: "Too many attempts", 503: "Please try again later"}
_SEND_FAILED = "We could not send the confirmation email just now; please try again later."
_SECURITY_HEADERS = [
    # Inline <style> carries the brand colours; nothing else may load or run.
    (b"content-security-policy",
     b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
     b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    # Tokens sit in the URLs: no Referer may carry them elsewhere, no cache keep them.
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the security headers to every response, error pages included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _signup_failure(exc: Exception) -> tuple[int, str, dict[str, str], str | None]:
    """(status, message, headers, field) for an exception ``signup`` raised."""
    if isinstance(exc, RateLimited):
        return 429, _sentence(str(exc)), {"Retry-After": str(math.ceil(exc.retry_after))}, None
    if isinstance(exc, TransportError):
        log.warning("confirmation mail not sent: %s", exc)
        return 503, _SEND_FAILED, {}, None
    if isinstance(exc, NotFoundError):
        return 400, "There is no such list.", {}, "list"
    assert isinstance(exc, ContentError)
    label = _FIELD_LABELS.get(exc.field or "", exc.field or "")
    return 400, f"{label}: {exc.message}" if label else _sentence(exc.message), {}, exc.field


_SIGNUP_ERRORS = (RateLimited, TransportError, NotFoundError, ContentError)


def _json_signup(payload: object) -> dict[str, Any]:
    """The signup fields of a JSON body, their types checked."""
    if not isinstance(payload, Mapping):
        raise ContentError("the body must be a JSON object", field="body")
    fields: dict[str, Any] = {}
    for key, arg, default in (("email", "email", None), ("name", "name", ""),
                              ("format", "format", "html"), ("list", "list_id", DEFAULT_LIST)):
        value = payload.get(key, default)
        if not isinstance(value, str):
            raise ContentError("must be a string", field=key)
        fields[arg] = value
    sections = payload.get("sections", [])
    if not isinstance(sections, list) or not all(isinstance(s, str) for s in sections):
        raise ContentError("must be a list of strings", field="sections")
    fields["sections"] = sections
    return fields


class _Site:
    """The page routes' shared parts: the service, the templates, the CSRF guard."""

    def __init__(self, app: App) -> None:
        self.service: SignupService = app.signup
        self.publication = app.settings.publication
        self.pages = Pages(self.publication)
        self.csrf = CsrfGuard(
            secret_keys(app.settings), secure=self.publication.base_url.startswith("https://")
        )

    def form_page(self, request: Request, name: str, *, title: str, status: int = 200,
                  **context: Any) -> HTMLResponse:
        """A page with a form: CSRF token in the form, nonce cookie set if new."""
        nonce, new = self.csrf.nonce(request)
        response = self.pages.render(name, title=title, status=status,
                                     csrf_token=self.csrf.token(nonce), **context)
        if new:
            self.csrf.set_cookie(response, nonce)
        return response

    def error_page(self, status: int, message: str,
                   headers: Mapping[str, str] | None = None) -> HTMLResponse:
        response = self.pages.render("error.html", title=_TITLES.get(status, "Something went "
                                     "wrong"), status=status, message=message)
        response.headers.update(headers or {})
        return response

    def subscribe_page(self, request: Request, values: Mapping[str, Any], *,
                       status: int = 200, error: str | None = None) -> HTMLResponse:
        return self.form_page(
            request, "subscribe.html", title="Subscribe",
            status=status, error=error, values=values, list_id=values["list_id"],
            sections=self.publication.sections, formats=FORMATS)

    def check_inbox(self, email: str) -> HTMLResponse:
        days = max(1, self.service.tokens.max_age // 86400)
        return self.pages.render("check_inbox.html", title="Check your inbox", email=email,
                                 days=days)

    def preferences_page(self, request: Request, token: str, view: MemberView, *,
                         status: int = 200, saved: bool = False, error: str | None = None,
                         chosen: tuple[list[str], str] | None = None) -> HTMLResponse:
        sections, fmt = chosen or (list(view.membership.sections), view.membership.format)
        links = self.service.links(view.subscriber.id, view.membership.list_id)
        return self.form_page(
            request, "preferences.html", title="Your preferences", status=status,
            email=view.subscriber.email, subscription_status=view.membership.status,
            action=f"/preferences/{token}", sections=self.publication.sections,
            chosen_sections=sections, formats=FORMATS, chosen_format=fmt, saved=saved,
            error=error, unsubscribe_url=links.unsubscribe)


def create_app(app: App, *, webhook_secrets: WebhookSecrets | None = None) -> FastAPI:
    """The web app over *app*; webhook secrets default to the environment's."""
    secrets = webhook_secrets or WebhookSecrets.from_env()
    secrets.check()
    site = _Site(app)
    # No OpenAPI pages: this is a public site, not an API console.
    web = FastAPI(title=site.publication.name, docs_url=None, redoc_url=None, openapi_url=None)
    web.add_middleware(SecurityHeaders)
    web.include_router(webhook_router(app.store, secrets))
    _add_error_handler(web, site)
    _add_signup_routes(web, site)
    _add_link_routes(web, site)
    _add_download_routes(web, app.settings.data_dir / "downloads")
    return web


_DOWNLOAD = re.compile(r"issue-\d{1,9}")
_PDF_NAME = re.compile(r"issue-\d{1,9}-[a-z]{1,20}\.pdf")


def _add_download_routes(web: FastAPI, root: Path) -> None:
    """The PDFs the PDF channel published, for readers and the print team."""

    @web.get("/downloads/{folder}/{name}")
    async def download(folder: str, name: str) -> Response:
        # Names are checked against the only shapes publish() writes, so no
        # path can climb out of the downloads folder.
        path = root / folder / name
        if not (_DOWNLOAD.fullmatch(folder) and _PDF_NAME.fullmatch(name)) or not path.is_file():
            raise HTTPException(404, "no such download")
        return FileResponse(path, media_type="application/pdf", filename=name)


def _add_error_handler(web: FastAPI, site: _Site) -> None:
    @web.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        wants_json = (request.url.path.startswith("/webhooks/")
                      or media_type(request) == "application/json")
        if wants_json:
            return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)
        return site.error_page(exc.status_code, exc.detail, exc.headers)


def _add_signup_routes(web: FastAPI, site: _Site) -> None:
    service = site.service

    @web.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/subscribe", status_code=303)

    @web.get("/subscribe")
    async def subscribe_form(request: Request) -> Response:
        list_id = request.query_params.get("list", DEFAULT_LIST)
        values = {"email": "", "name": "", "sections": [], "format": "html", "list_id": list_id}
        return site.subscribe_page(request, values)

    @web.post("/subscribe")
    async def subscribe(request: Request) -> Response:
        if media_type(request) == "application/json":
            return await subscribe_json(request)
        form = await read_form(request)
        site.csrf.check(request, form)
        values: dict[str, Any] = {
            "email": form_text(form, "email"),
            "name": form_text(form, "name"),
            "sections": form_list(form, "sections"),
            "format": form_text(form, "format") or "html",
            "list_id": form_text(form, "list") or DEFAULT_LIST,
        }
        try:
            await run_in_threadpool(service.signup, ip=_client_ip(request), **values)
        except _SIGNUP_ERRORS as exc:
            status, message, headers, _ = _signup_failure(exc)
            if status == 400:
                return site.subscribe_page(request, values, status=400, error=message)
            return site.error_page(status, message, headers)
        return site.check_inbox(values["email"])

    async def subscribe_json(request: Request) -> Response:
        # No CSRF token here, on purpose: a page on another site can only
        # send Content-Type application/json after a CORS preflight, and
        # this app answers none (no CORS middleware), so the browser never
        # sends the request. Anything else (forms, text/plain) goes through
        # the CSRF check above.
        body = await read_body(request, MAX_FORM_BYTES)
        try:
            fields = _json_signup(_decode_json(body))
            await run_in_threadpool(service.signup, ip=_client_ip(request), **fields)
        except _SIGNUP_ERRORS as exc:
            status, message, headers, field = _signup_failure(exc)
            return JSONResponse({"error": message, "field": field}, status, headers=headers)
        return JSONResponse({"status": "pending", "message": "Check your inbox for a "
                             "confirmation link."})


def _decode_json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ContentError("the body is not JSON", field="body") from None


def _add_link_routes(web: FastAPI, site: _Site) -> None:
    service = site.service

    @web.get("/confirm/{token}")
    async def confirm(request: Request, token: str) -> Response:
        try:
            view = await run_in_threadpool(service.confirm, token, _client_ip(request))
        except TokenError as exc:
            return site.error_page(400, _sentence(str(exc)))
        except ContentError:
            return site.error_page(400, "This address can no longer be subscribed.")
        links = service.links(view.subscriber.id, view.membership.list_id)
        return site.pages.render("confirmed.html", title="You are subscribed",
                                 email=view.subscriber.email, links=links)

    @web.get("/unsubscribe/{token}")
    async def unsubscribe_page(token: str) -> Response:
        # Shows a button and nothing more: link scanners and prefetchers
        # open every URL in a mail, and must not unsubscribe anyone.
        try:
            view = await run_in_threadpool(service.describe, token, "unsubscribe")
        except TokenError as exc:
            return site.error_page(400, _sentence(str(exc)))
        prefs = service.links(view.subscriber.id, view.membership.list_id).preferences
        return site.pages.render("unsubscribe.html", title="Unsubscribe",
                                 email=view.subscriber.email, action=f"/unsubscribe/{token}",
                                 preferences_url=prefs)

    @web.post("/unsubscribe/{token}")
    async def unsubscribe(request: Request, token: str) -> Response:
        # RFC 8058 one-click: the token is the only credential. No cookie,
        # no CSRF token, no redirect; mailbox providers POST here directly.
        form = await read_form(request)
        if form_text(form, "List-Unsubscribe") != "One-Click":
            return site.error_page(400, "Use the Unsubscribe button to unsubscribe.")
        try:
            await run_in_threadpool(service.unsubscribe, token)
        except TokenError as exc:
            return site.error_page(400, _sentence(str(exc)))
        return site.pages.render("unsubscribed.html", title="You are unsubscribed")

    _add_preference_routes(web, site)


def _add_preference_routes(web: FastAPI, site: _Site) -> None:
    service = site.service

    @web.get("/preferences/{token}")
    async def preferences(request: Request, token: str) -> Response:
        try:
            view = await run_in_threadpool(service.preferences, token)
        except TokenError as exc:
            return site.error_page(400, _sentence(str(exc)))
        return site.preferences_page(request, token, view)

    @web.post("/preferences/{token}")
    async def save_preferences(request: Request, token: str) -> Response:
        form = await read_form(request)
        site.csrf.check(request, form)
        chosen = (form_list(form, "sections"), form_text(form, "format") or "html")
        try:
            view = await run_in_threadpool(service.preferences, token)
        except TokenError as exc:
            return site.error_page(400, _sentence(str(exc)))
        try:
            await run_in_threadpool(service.save_preferences, token, *chosen)
        except ContentError as exc:
            label = _FIELD_LABELS.get(exc.field or "", "")
            return site.preferences_page(request, token, view, status=400, chosen=chosen,
                                         error=f"{label}: {exc.message}" if label else exc.message)
        view = await run_in_threadpool(service.preferences, token)
        return site.preferences_page(request, token, view, saved=True)
