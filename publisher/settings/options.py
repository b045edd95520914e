"""Options of the channels, the web app and the scheduler, and their readers.

Each ``read_*`` function reads one table of the settings file strictly (see
``Table``); secrets are read from the environment here too, never from files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from publisher.errors import ConfigError
from publisher.settings.table import Table, at_least_zero, choice, positive

__all__ = [
    "DigestMode",
    "EmailOptions",
    "PdfOptions",
    "RecurringOptions",
    "ScheduleOptions",
    "SmtpSecurity",
    "SocialAccount",
    "SocialOptions",
    "SocialPlatform",
    "TransportKind",
    "WebOptions",
    "WebhookShape",
    "read_email",
    "read_pdf",
    "read_schedule",
    "read_social",
    "read_web",
]

_ENV_SMTP_PASSWORD = "PUBLISHER_SMTP_PASSWORD"

TransportKind = Literal["outbox", "smtp", "postmark", "sendgrid", "mailgun"]
SmtpSecurity = Literal["starttls", "tls", "none"]
DigestMode = Literal["summary", "full"]
# The email providers' API keys and the DKIM key: secrets, from the environment only.
_ENV_API_KEYS = {"postmark": "PUBLISHER_POSTMARK_TOKEN",
                 "sendgrid": "PUBLISHER_SENDGRID_API_KEY",
                 "mailgun": "PUBLISHER_MAILGUN_API_KEY"}
_ENV_DKIM_KEY = "PUBLISHER_DKIM_PRIVATE_KEY"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebOptions:
    """The subscriber web app: where it listens and how hard it pushes back."""

    host: str = "127.0.0.1"
    port: int = 8000
    # Signups allowed per client IP, and per address, in any one hour.
    signup_rate_per_ip: int = 5
    signup_rate_per_address: int = 3
    confirm_max_age_days: int = 7


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailOptions:
    """How mail leaves: a Maildir outbox (the default) or an SMTP server."""

    transport: TransportKind = "outbox"
    # Absolute once loaded: ``outbox_dir`` of the file, taken under data_dir.
    outbox_dir: Path = Path("outbox")
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: SmtpSecurity = "starttls"
    smtp_user: str = ""
    # From PUBLISHER_SMTP_PASSWORD only; kept out of repr so it never reaches a log.
    smtp_password: str = field(default="", repr=False)
    smtp_timeout: float = 30.0
    # The newsletter: rendering and headers.
    digest_mode: DigestMode = "summary"
    list_id: str = "newsletter"
    unsubscribe_mailto: str = ""  # empty: unsubscribe@<sender domain>
    templates_dir: Path | None = None  # a publication's own theme files, searched first
    utm_source: str = ""  # empty: no UTM parameters
    utm_medium: str = "email"
    utm_campaign: str = "issue-{number}"
    dkim_selector: str = ""
    dkim_domain: str = ""
    # PEM, from PUBLISHER_DKIM_PRIVATE_KEY only.
    dkim_private_key: str = field(default="", repr=False)
    # The newsletter: delivery. Rates of 0 mean no limit.
    rate_per_second: float = 0.0
    rate_per_hour: int = 0
    pool_size: int = 4
    messages_per_connection: int = 100
    batch_size: int = 500
    max_attempts: int = 5
    retry_backoff: float = 30.0
    stale_after: float = 600.0
    api_url: str = ""  # empty: the provider's public endpoint
    api_timeout: float = 30.0
    postmark_stream: str = "broadcast"
    mailgun_domain: str = ""
    # From PUBLISHER_POSTMARK_TOKEN, PUBLISHER_SENDGRID_API_KEY or PUBLISHER_MAILGUN_API_KEY.
    api_key: str = field(default="", repr=False)


# Named trim sizes of the PDF's print profile, width x height in millimetres.
_TRIM_SIZES = {"A3": (297.0, 420.0), "A4": (210.0, 297.0), "A5": (148.0, 210.0),
               "B5": (176.0, 250.0), "letter": (215.9, 279.4), "legal": (215.9, 355.6),
               "tabloid": (279.4, 431.8)}


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfOptions:
    """The PDF digest: print geometry, layout, render limits and the output cache."""

    # Print profile trim size in millimetres (width, height): "A4" unless set.
    trim_size: tuple[float, float] = (210.0, 297.0)
    bleed_mm: float = 3.0
    # Columns of an article body: 1 or 2.
    columns: int = 1
    # Images printed below this resolution get a preflight warning.
    min_image_dpi: int = 150
    # Limits of the render subprocess: wall-clock seconds and address space.
    timeout: float = 120.0
    memory_mb: int = 1024
    cache: bool = True
    # Absolute once loaded: ``cache_dir`` of the file, taken under data_dir.
    cache_dir: Path = Path("pdf-cache")
    # What the dispatch step publishes to the downloads folder, and who hears of it.
    publish_profiles: tuple[str, ...] = ("print", "screen")
    print_team: tuple[str, ...] = ()


SocialPlatform = Literal["mastodon", "bluesky", "x", "linkedin", "telegram", "webhook"]
WebhookShape = Literal["slack", "discord", "mattermost"]
# Public API bases; Mastodon has none (every instance is its own).
_SOCIAL_BASE_URLS = {"bluesky": "https://bsky.social", "x": "https://api.x.com",
                     "linkedin": "https://api.linkedin.com",
                     "telegram": "https://api.telegram.org"}
_SOCIAL_SECRETS = ("token", "access_token", "password", "app_password", "secret", "api_key",
                   "webhook_url")


@dataclass(frozen=True, slots=True, kw_only=True)
class SocialAccount:
    """One account the social channel posts to; its credentials stay in the environment."""

    name: str
    platform: SocialPlatform
    # Instance (Mastodon), PDS (Bluesky) or API base; tests point it at 127.0.0.1.
    base_url: str = ""
    # As the platform names the account: @user@instance, a Bluesky handle, a
    # LinkedIn author URN, a Telegram chat id, a webhook's display name.
    handle: str = ""
    # The NAME of the environment variable holding the credentials (see docs/social.md).
    credentials_env: str = ""
    shape: WebhookShape = "slack"  # webhook accounts only


@dataclass(frozen=True, slots=True, kw_only=True)
class SocialOptions:
    """The social channel: accounts, and how hard posting pushes against limits."""

    accounts: tuple[SocialAccount, ...] = ()
    timeout: float = 20.0
    # Retries of one post after HTTP 429 or 5xx within a run; then it is deferred.
    max_retries: int = 3
    # The longest Retry-After waited in a run; a longer one defers the post.
    retry_after_cap: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RecurringOptions:
    """A cron rule that assembles the next Issue from a template plan."""

    day_of_week: str = "fri"
    hour: int = 16
    minute: int = 0
    plan: Path | None = None
    send_after: str = "0"
    auto_approve: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleOptions:
    """Dispatch plans and the worker; offsets like "-2h", "0", "+15m"."""

    steps: tuple[tuple[str, str], ...] = (("pdf", "-2h"), ("email", "0"), ("social", "+15m"))
    misfire_grace_seconds: int = 900
    lease_seconds: int = 30
    poll_seconds: float = 1.0
    threads: int = 4
    recurring: RecurringOptions | None = None


def read_web(t: Table) -> WebOptions:
    d = WebOptions()
    opts = WebOptions(
        host=t.get("host", str, d.host),
        port=positive(t, "port", d.port, most=65535),
        signup_rate_per_ip=positive(t, "signup_rate_per_ip", d.signup_rate_per_ip),
        signup_rate_per_address=positive(
            t, "signup_rate_per_address", d.signup_rate_per_address),
        confirm_max_age_days=positive(t, "confirm_max_age_days", d.confirm_max_age_days))
    t.done()
    return opts


def _email_render(t: Table, base: Path) -> dict[str, Any]:
    """The newsletter's [email] keys for rendering and headers."""
    d = EmailOptions()
    folder = t.get("templates_dir", str, "")
    list_id = t.get("list_id", str, d.list_id)
    if not list_id or any(c in list_id for c in '\r\n\0<>" '):
        raise t.error("list_id", f"'{list_id}' is not a list name")
    return {
        "digest_mode": choice(t, "digest_mode", DigestMode, d.digest_mode),
        "list_id": list_id,
        "unsubscribe_mailto": t.get("unsubscribe_mailto", str, d.unsubscribe_mailto),
        "templates_dir": (base / folder).resolve() if folder else None,
        "utm_source": t.get("utm_source", str, d.utm_source),
        "utm_medium": t.get("utm_medium", str, d.utm_medium),
        "utm_campaign": t.get("utm_campaign", str, d.utm_campaign),
        "dkim_selector": t.get("dkim_selector", str, d.dkim_selector),
        "dkim_domain": t.get("dkim_domain", str, d.dkim_domain),
        "dkim_private_key": os.environ.get(_ENV_DKIM_KEY, ""),
    }


def _email_delivery(t: Table, kind: str) -> dict[str, Any]:
    """The newsletter's [email] keys for delivery: pool, limits, retries, provider."""
    d = EmailOptions()
    hourly = t.get("rate_per_hour", int, d.rate_per_hour)
    if hourly < 0:
        raise t.error("rate_per_hour", f"must be 0 or more, not {hourly}")
    return {
        "rate_per_second": at_least_zero(t, "rate_per_second", d.rate_per_second),
        "rate_per_hour": hourly,
        "pool_size": positive(t, "pool_size", d.pool_size, most=256),
        "messages_per_connection": positive(
            t, "messages_per_connection", d.messages_per_connection),
        "batch_size": positive(t, "batch_size", d.batch_size, most=10_000),
        "max_attempts": positive(t, "max_attempts", d.max_attempts),
        "retry_backoff": at_least_zero(t, "retry_backoff", d.retry_backoff),
        "stale_after": at_least_zero(t, "stale_after", d.stale_after),
        "api_url": t.get("api_url", str, d.api_url).rstrip("/"),
        "api_timeout": at_least_zero(t, "api_timeout", d.api_timeout, zero_ok=False),
        "postmark_stream": t.get("postmark_stream", str, d.postmark_stream),
        "mailgun_domain": t.get("mailgun_domain", str, d.mailgun_domain),
        "api_key": os.environ.get(_ENV_API_KEYS.get(kind, ""), "") if kind in _ENV_API_KEYS
        else "",
    }


def _email_requirements(t: Table, opts: EmailOptions) -> None:
    """Keys that only make sense together, and secrets that must come from the environment."""
    env = _ENV_API_KEYS.get(opts.transport)
    if env and not opts.api_key:
        raise t.error("transport", f"'{opts.transport}' needs {env} in the environment")
    if opts.transport == "mailgun" and not opts.mailgun_domain:
        raise t.error("mailgun_domain", "is required with transport = \"mailgun\"")
    if bool(opts.dkim_selector) != bool(opts.dkim_domain):
        raise t.error("dkim_selector", "dkim_selector and dkim_domain go together")
    if opts.dkim_selector and not opts.dkim_private_key:
        raise t.error("dkim_selector", f"is set but {_ENV_DKIM_KEY} is not")


def read_email(t: Table, data_dir: Path, base: Path | None = None) -> EmailOptions:
    d = EmailOptions()
    for secret in ("smtp_password", "api_key", "dkim_private_key"):
        if secret in t.data:
            raise t.error(secret, "is a secret: set it in the environment instead (see "
                          "config/publication.example.toml)")
    timeout = t.get("smtp_timeout", float, d.smtp_timeout)
    if timeout <= 0:
        raise t.error("smtp_timeout", f"must be more than 0, not {timeout}")
    kind = choice(t, "transport", TransportKind, d.transport)
    opts = EmailOptions(
        **_email_render(t, base or data_dir),
        **_email_delivery(t, kind),
        transport=kind,
        outbox_dir=data_dir / t.get("outbox_dir", str, str(d.outbox_dir)),
        smtp_host=t.get("smtp_host", str, d.smtp_host),
        smtp_port=positive(t, "smtp_port", d.smtp_port, most=65535),
        smtp_security=choice(t, "smtp_security", SmtpSecurity, d.smtp_security),
        smtp_user=t.get("smtp_user", str, d.smtp_user),
        smtp_password=os.environ.get(_ENV_SMTP_PASSWORD, ""),
        smtp_timeout=timeout)
    if opts.transport == "smtp" and opts.smtp_user and not opts.smtp_password:
        raise t.error("smtp_user", f"is set but {_ENV_SMTP_PASSWORD} is not")
    _email_requirements(t, opts)
    t.done()
    return opts


def _trim_size(t: Table) -> tuple[float, float]:
    """A named size ("A4", "letter") or "WIDTHxHEIGHT" in millimetres ("170x240")."""
    value: str = t.get("trim_size", str, "A4")
    if value in _TRIM_SIZES:
        return _TRIM_SIZES[value]
    width, sep, height = value.partition("x")
    try:
        size = (float(width), float(height)) if sep else None
    except ValueError:
        size = None
    if size is None or not all(50 <= side <= 1000 for side in size):
        names = ", ".join(_TRIM_SIZES)
        raise t.error("trim_size", f"must be one of {names} or WIDTHxHEIGHT in mm "
                      f"(50 to 1000 each), not '{value}'")
    return size


def read_pdf(t: Table, data_dir: Path) -> PdfOptions:
    d = PdfOptions()
    bleed = t.get("bleed_mm", float, d.bleed_mm)
    timeout = t.get("timeout", float, d.timeout)
    if not 0 <= bleed <= 10:
        raise t.error("bleed_mm", f"must be 0 to 10, not {bleed}")
    if timeout <= 0:
        raise t.error("timeout", f"must be more than 0, not {timeout}")
    opts = PdfOptions(
        trim_size=_trim_size(t), bleed_mm=bleed,
        columns=positive(t, "columns", d.columns, most=2),
        min_image_dpi=positive(t, "min_image_dpi", d.min_image_dpi),
        timeout=timeout, memory_mb=positive(t, "memory_mb", d.memory_mb),
        cache=t.get("cache", bool, d.cache),
        cache_dir=data_dir / t.get("cache_dir", str, str(d.cache_dir)),
        publish_profiles=_profiles(t, d.publish_profiles),
        print_team=t.strings("print_team"))
    t.done()
    return opts


def _profiles(t: Table, default: tuple[str, ...]) -> tuple[str, ...]:
    chosen = t.strings("publish_profiles", default)
    known = ("screen", "print", "letter", "archive", "accessible")
    for name in chosen:
        if name not in known:
            raise t.error("publish_profiles", f"unknown profile '{name}' ({', '.join(known)})")
    return chosen


def _social_account(t: Table, name: str) -> SocialAccount:
    # The name is part of ledger targets ("name:index"), so no colon.
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise t.error("", "an account name takes letters, digits, - and _ only")
    for key in _SOCIAL_SECRETS:
        if key in t.data:
            raise t.error(key, "is a secret: put it in an environment variable and name "
                               "that variable in credentials_env")
    platform = choice(t, "platform", SocialPlatform, "")
    env = t.get("credentials_env", str, "")
    if not env or not all(c.isupper() or c.isdigit() or c == "_" for c in env):
        raise t.error("credentials_env", "must name an environment variable (A-Z, 0-9, _)")
    base = t.get("base_url", str, _SOCIAL_BASE_URLS.get(platform, "")).rstrip("/")
    if platform == "mastodon" and not base:
        raise t.error("base_url", "a Mastodon account needs its instance's URL")
    account = SocialAccount(name=name, platform=platform, base_url=base,
                            handle=t.get("handle", str, ""), credentials_env=env,
                            shape=choice(t, "shape", WebhookShape, "slack"))
    t.done()
    return account


def read_social(t: Table) -> SocialOptions:
    d = SocialOptions()
    table = t.table("accounts")
    accounts = tuple(_social_account(table.table(name), name) for name in table.data)
    table.done()
    timeout: float = t.get("timeout", float, d.timeout)
    cap: float = t.get("retry_after_cap", float, d.retry_after_cap)
    retries: int = t.get("max_retries", int, d.max_retries)
    if timeout <= 0 or cap < 0 or retries < 0:
        raise t.error("timeout" if timeout <= 0 else "retry_after_cap" if cap < 0
                      else "max_retries", "must not be negative (timeout: more than 0)")
    t.done()
    return SocialOptions(accounts=accounts, timeout=timeout, max_retries=retries,
                         retry_after_cap=cap)


def read_schedule(t: Table, base: Path) -> ScheduleOptions:
    d = ScheduleOptions()
    steps_table = t.table("steps")
    steps = tuple((k, steps_table.get(k, str, "")) for k in steps_table.data) or d.steps
    steps_table.seen.update(steps_table.data)
    for channel, offset in steps:
        _check_offset(steps_table, channel, offset)
    rec = t.table("recurring") if "recurring" in t.data else None
    opts = ScheduleOptions(
        steps=steps, misfire_grace_seconds=positive(t, "misfire_grace_seconds", 900),
        lease_seconds=positive(t, "lease_seconds", 30),
        poll_seconds=t.get("poll_seconds", float, d.poll_seconds),
        threads=positive(t, "threads", 4, most=64),
        recurring=_recurring(rec, base) if rec is not None else None)
    t.done()
    return opts


def _check_offset(t: Table, key: str, offset: str) -> None:
    from publisher.scheduler import parse_offset

    try:
        parse_offset(offset)
    except ConfigError as exc:
        raise t.error(key, exc.message) from None


def _recurring(t: Table, base: Path) -> RecurringOptions:
    d = RecurringOptions()
    plan = t.get("plan", str, "")
    opts = RecurringOptions(
        day_of_week=t.get("day_of_week", str, d.day_of_week),
        hour=t.get("hour", int, d.hour), minute=t.get("minute", int, d.minute),
        plan=(base / plan) if plan else None, send_after=t.get("send_after", str, "0"),
        auto_approve=t.get("auto_approve", bool, False))
    _check_offset(t, "send_after", opts.send_after)
    if not (0 <= opts.hour < 24 and 0 <= opts.minute < 60):
        raise t.error("hour", "hour must be 0-23 and minute 0-59")
    if opts.plan is None:
        raise t.error("plan", "a recurring Issue needs a template plan file")
    t.done()
    return opts


