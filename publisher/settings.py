"""Settings: ``config/*.toml`` into one frozen ``Settings``.

Reading is strict: an unknown key or a value of the wrong type is a
``ConfigError`` naming the key and the file, because a misspelt option that
is silently ignored sends mail with the wrong settings. Secrets (database
passwords, SMTP and API credentials, signing keys) come only from the
environment; a file that holds one is refused.

Where settings come from, first match wins:

1. the ``--config`` option or ``PUBLISHER_CONFIG``;
2. ``config/publication.toml`` under the current directory;
3. built-in defaults (a demo publication, data in ``./data``).

The database is ``--db`` / ``PUBLISHER_DB`` when given, else ``store.url``,
else a SQLite file ``publisher.db`` in the data directory.

Secrets from the environment:

* ``PUBLISHER_SMTP_PASSWORD``: the SMTP password (``email.smtp_user`` names the user);
* ``PUBLISHER_POSTMARK_TOKEN``, ``PUBLISHER_SENDGRID_API_KEY``,
  ``PUBLISHER_MAILGUN_API_KEY``: the API key of the ``email.transport`` provider;
* ``PUBLISHER_DKIM_PRIVATE_KEY``: the PEM key that signs newsletters (with
  ``email.dkim_selector`` and ``email.dkim_domain``);
* ``PUBLISHER_SECRET_KEYS``: comma-separated keys that sign confirmation,
  unsubscribe and preference links, oldest first; the LAST one signs, all of
  them verify, so a key is rotated by appending a new one. When it is unset,
  ``secret_keys()`` generates one random key on first use and keeps it in
  ``<data_dir>/secret.key`` (mode 0600), so a demo works out of the box and a
  restart does not break the links already sent.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from publisher.content import Brand, Publication
from publisher.errors import ConfigError, ContentError
from publisher.fetch import FetchOptions
from publisher.store.db import sqlite_url
from publisher.tomlfile import load_toml

__all__ = [
    "DEFAULT_CONFIG",
    "EmailOptions",
    "PdfOptions",
    "Settings",
    "SocialAccount",
    "SocialOptions",
    "WebOptions",
    "load_settings",
    "secret_keys",
]

DEFAULT_CONFIG = Path("config") / "publication.toml"
_ENV_CONFIG = "PUBLISHER_CONFIG"
_ENV_DB = "PUBLISHER_DB"
_ENV_SMTP_PASSWORD = "PUBLISHER_SMTP_PASSWORD"
_ENV_SECRET_KEYS = "PUBLISHER_SECRET_KEYS"
_SECRET_FILE = "secret.key"
# Shorter keys are guessable offline from one signed link (tokens.py agrees).
_MIN_KEY_LENGTH = 16

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything configurable, resolved and validated."""

    publication: Publication
    data_dir: Path
    db_url: str
    fetch: FetchOptions = field(default_factory=FetchOptions)
    web: WebOptions = field(default_factory=WebOptions)
    email: EmailOptions = field(default_factory=EmailOptions)
    pdf: PdfOptions = field(default_factory=PdfOptions)
    social: SocialOptions = field(default_factory=SocialOptions)
    schedule: ScheduleOptions = field(default_factory=ScheduleOptions)
    # From PUBLISHER_SECRET_KEYS only, oldest first; empty means "use secret.key".
    secret_keys: tuple[str, ...] = field(default=(), repr=False)
    source: str = "<defaults>"


class _Table:
    """One TOML table read strictly: every key must be claimed by a reader."""

    def __init__(self, data: Mapping[str, Any], name: str, source: str) -> None:
        self.data, self.name, self.source = data, name, source
        self.seen: set[str] = set()

    def key(self, key: str) -> str:
        return f"{self.name}.{key}" if self.name else key

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(message, source=self.source, field=self.key(key))

    def get(self, key: str, kind: type, default: Any) -> Any:
        self.seen.add(key)
        if key not in self.data:
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(key, f"must be a {kind.__name__}, not {type(value).__name__}")
        return value

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        values = self.get(key, list, list(default))
        if not all(isinstance(v, str) for v in values):
            raise self.error(key, "must be a list of strings")
        return tuple(values)

    def table(self, key: str) -> _Table:
        return _Table(self.get(key, dict, {}), self.key(key), self.source)

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            raise self.error(unknown[0], "unknown key")


def _brand(t: _Table) -> Brand:
    defaults = Brand()
    values = {}
    for f in fields(Brand):
        kind = str
        values[f.name] = t.get(f.name, kind, getattr(defaults, f.name))
    t.done()
    return Brand(**values)


def _publication(t: _Table) -> Publication:
    d = Publication(name="Publisher Demo")
    tz = t.get("timezone", str, d.timezone)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise t.error("timezone", f"unknown time zone '{tz}'") from None
    kw = {name: t.get(name, str, getattr(d, name)) for name in (
        "name", "tagline", "language", "base_url", "sender_name", "sender_address",
        "postal_address")}
    pub = _build(t, lambda: Publication(
        timezone=tz, reply_to=t.get("reply_to", str, None), brand=_brand(t.table("brand")),
        sections=t.strings("sections"), **kw))
    t.done()
    return pub


def _build(t: _Table, make: Callable[[], Publication]) -> Publication:
    try:
        return make()
    except ContentError as exc:
        raise t.error(exc.field or "", exc.message) from None


def _fetch(t: _Table, base: Path) -> FetchOptions:
    d = FetchOptions()
    dirs = tuple((base / p).resolve() for p in t.strings("media_dirs"))
    values = {"allow_private": t.get("allow_private", bool, d.allow_private),
              "timeout": t.get("timeout", float, d.timeout),
              "max_bytes": t.get("max_bytes", int, d.max_bytes),
              "max_redirects": t.get("max_redirects", int, d.max_redirects),
              "trusted_networks": t.strings("trusted_networks")}
    try:
        opts = FetchOptions(media_dirs=dirs, **values)
    except ConfigError as exc:
        raise t.error(exc.field or "", exc.message) from None
    t.done()
    return opts


def _positive(t: _Table, key: str, default: int, *, most: int | None = None) -> int:
    value: int = t.get(key, int, default)
    if value < 1 or (most is not None and value > most):
        upper = f" and at most {most}" if most is not None else ""
        raise t.error(key, f"must be at least 1{upper}, not {value}")
    return value


def _choice(t: _Table, key: str, allowed: Any, default: str) -> Any:
    value: str = t.get(key, str, default)
    options = get_args(allowed)
    if value not in options:
        raise t.error(key, f"must be one of {', '.join(options)}, not '{value}'")
    return value


def _web(t: _Table) -> WebOptions:
    d = WebOptions()
    opts = WebOptions(
        host=t.get("host", str, d.host),
        port=_positive(t, "port", d.port, most=65535),
        signup_rate_per_ip=_positive(t, "signup_rate_per_ip", d.signup_rate_per_ip),
        signup_rate_per_address=_positive(
            t, "signup_rate_per_address", d.signup_rate_per_address),
        confirm_max_age_days=_positive(t, "confirm_max_age_days", d.confirm_max_age_days))
    t.done()
    return opts


def _at_least_zero(t: _Table, key: str, default: float, *, zero_ok: bool = True) -> float:
    value: float = t.get(key, float, default)
    if value < 0 or (value == 0 and not zero_ok):
        floor = "0 or more" if zero_ok else "more than 0"
        raise t.error(key, f"must be {floor}, not {value}")
    return value


def _email_render(t: _Table, base: Path) -> dict[str, Any]:
    """The newsletter's [email] keys for rendering and headers."""
    d = EmailOptions()
    folder = t.get("templates_dir", str, "")
    list_id = t.get("list_id", str, d.list_id)
    if not list_id or any(c in list_id for c in '\r\n\0<>" '):
        raise t.error("list_id", f"'{list_id}' is not a list name")
    return {
        "digest_mode": _choice(t, "digest_mode", DigestMode, d.digest_mode),
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


def _email_delivery(t: _Table, kind: str) -> dict[str, Any]:
    """The newsletter's [email] keys for delivery: pool, limits, retries, provider."""
    d = EmailOptions()
    hourly = t.get("rate_per_hour", int, d.rate_per_hour)
    if hourly < 0:
        raise t.error("rate_per_hour", f"must be 0 or more, not {hourly}")
    return {
        "rate_per_second": _at_least_zero(t, "rate_per_second", d.rate_per_second),
        "rate_per_hour": hourly,
        "pool_size": _positive(t, "pool_size", d.pool_size, most=256),
        "messages_per_connection": _positive(
            t, "messages_per_connection", d.messages_per_connection),
        "batch_size": _positive(t, "batch_size", d.batch_size, most=10_000),
        "max_attempts": _positive(t, "max_attempts", d.max_attempts),
        "retry_backoff": _at_least_zero(t, "retry_backoff", d.retry_backoff),
        "stale_after": _at_least_zero(t, "stale_after", d.stale_after),
        "api_url": t.get("api_url", str, d.api_url).rstrip("/"),
        "api_timeout": _at_least_zero(t, "api_timeout", d.api_timeout, zero_ok=False),
        "postmark_stream": t.get("postmark_stream", str, d.postmark_stream),
        "mailgun_domain": t.get("mailgun_domain", str, d.mailgun_domain),
        "api_key": os.environ.get(_ENV_API_KEYS.get(kind, ""), "") if kind in _ENV_API_KEYS
        else "",
    }


def _email_requirements(t: _Table, opts: EmailOptions) -> None:
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


def _email(t: _Table, data_dir: Path, base: Path | None = None) -> EmailOptions:
    d = EmailOptions()
    for secret in ("smtp_password", "api_key", "dkim_private_key"):
        if secret in t.data:
            raise t.error(secret, "is a secret: set it in the environment instead (see "
                          "config/publication.example.toml)")
    timeout = t.get("smtp_timeout", float, d.smtp_timeout)
    if timeout <= 0:
        raise t.error("smtp_timeout", f"must be more than 0, not {timeout}")
    kind = _choice(t, "transport", TransportKind, d.transport)
    opts = EmailOptions(
        **_email_render(t, base or data_dir),
        **_email_delivery(t, kind),
        transport=kind,
        outbox_dir=data_dir / t.get("outbox_dir", str, str(d.outbox_dir)),
        smtp_host=t.get("smtp_host", str, d.smtp_host),
        smtp_port=_positive(t, "smtp_port", d.smtp_port, most=65535),
        smtp_security=_choice(t, "smtp_security", SmtpSecurity, d.smtp_security),
        smtp_user=t.get("smtp_user", str, d.smtp_user),
        smtp_password=os.environ.get(_ENV_SMTP_PASSWORD, ""),
        smtp_timeout=timeout)
    if opts.transport == "smtp" and opts.smtp_user and not opts.smtp_password:
        raise t.error("smtp_user", f"is set but {_ENV_SMTP_PASSWORD} is not")
    _email_requirements(t, opts)
    t.done()
    return opts


def _trim_size(t: _Table) -> tuple[float, float]:
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


def _pdf(t: _Table, data_dir: Path) -> PdfOptions:
    d = PdfOptions()
    bleed = t.get("bleed_mm", float, d.bleed_mm)
    timeout = t.get("timeout", float, d.timeout)
    if not 0 <= bleed <= 10:
        raise t.error("bleed_mm", f"must be 0 to 10, not {bleed}")
    if timeout <= 0:
        raise t.error("timeout", f"must be more than 0, not {timeout}")
    opts = PdfOptions(
        trim_size=_trim_size(t), bleed_mm=bleed,
        columns=_positive(t, "columns", d.columns, most=2),
        min_image_dpi=_positive(t, "min_image_dpi", d.min_image_dpi),
        timeout=timeout, memory_mb=_positive(t, "memory_mb", d.memory_mb),
        cache=t.get("cache", bool, d.cache),
        cache_dir=data_dir / t.get("cache_dir", str, str(d.cache_dir)),
        publish_profiles=_profiles(t, d.publish_profiles),
        print_team=t.strings("print_team"))
    t.done()
    return opts


def _profiles(t: _Table, default: tuple[str, ...]) -> tuple[str, ...]:
    chosen = t.strings("publish_profiles", default)
    known = ("screen", "print", "letter", "archive", "accessible")
    for name in chosen:
        if name not in known:
            raise t.error("publish_profiles", f"unknown profile '{name}' ({', '.join(known)})")
    return chosen


def _social_account(t: _Table, name: str) -> SocialAccount:
    # The name is part of ledger targets ("name:index"), so no colon.
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise t.error("", "an account name takes letters, digits, - and _ only")
    for key in _SOCIAL_SECRETS:
        if key in t.data:
            raise t.error(key, "is a secret: put it in an environment variable and name "
                               "that variable in credentials_env")
    platform = _choice(t, "platform", SocialPlatform, "")
    env = t.get("credentials_env", str, "")
    if not env or not all(c.isupper() or c.isdigit() or c == "_" for c in env):
        raise t.error("credentials_env", "must name an environment variable (A-Z, 0-9, _)")
    base = t.get("base_url", str, _SOCIAL_BASE_URLS.get(platform, "")).rstrip("/")
    if platform == "mastodon" and not base:
        raise t.error("base_url", "a Mastodon account needs its instance's URL")
    account = SocialAccount(name=name, platform=platform, base_url=base,
                            handle=t.get("handle", str, ""), credentials_env=env,
                            shape=_choice(t, "shape", WebhookShape, "slack"))
    t.done()
    return account


def _social(t: _Table) -> SocialOptions:
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


def _env_secret_keys() -> tuple[str, ...]:
    raw = os.environ.get(_ENV_SECRET_KEYS, "")
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    if any(len(k) < _MIN_KEY_LENGTH for k in keys):
        # The message names the variable, never a key.
        raise ConfigError(f"every key needs at least {_MIN_KEY_LENGTH} characters",
                          source="environment", field=_ENV_SECRET_KEYS)
    return keys


def secret_keys(settings: Settings) -> tuple[str, ...]:
    """The link-signing keys: PUBLISHER_SECRET_KEYS, else ``<data_dir>/secret.key``.

    The file is created on first use with one random key, readable by its
    owner only. Creating it exclusively means two processes starting at once
    agree on one key instead of each writing its own.
    """
    if settings.secret_keys:
        return settings.secret_keys
    path = settings.data_dir / _SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret_file(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_urlsafe(32) + "\n")
    return _read_secret_file(path)


def _read_secret_file(path: Path) -> tuple[str, ...]:
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the secret key: {exc}", source=str(path)) from None
    if len(key) < _MIN_KEY_LENGTH:
        raise ConfigError(f"the key needs at least {_MIN_KEY_LENGTH} characters",
                          source=str(path))
    return (key,)


def _schedule(t: _Table, base: Path) -> ScheduleOptions:
    d = ScheduleOptions()
    steps_table = t.table("steps")
    steps = tuple((k, steps_table.get(k, str, "")) for k in steps_table.data) or d.steps
    steps_table.seen.update(steps_table.data)
    for channel, offset in steps:
        _check_offset(steps_table, channel, offset)
    rec = t.table("recurring") if "recurring" in t.data else None
    opts = ScheduleOptions(
        steps=steps, misfire_grace_seconds=_positive(t, "misfire_grace_seconds", 900),
        lease_seconds=_positive(t, "lease_seconds", 30),
        poll_seconds=t.get("poll_seconds", float, d.poll_seconds),
        threads=_positive(t, "threads", 4, most=64),
        recurring=_recurring(rec, base) if rec is not None else None)
    t.done()
    return opts


def _check_offset(t: _Table, key: str, offset: str) -> None:
    from publisher.scheduler import parse_offset

    try:
        parse_offset(offset)
    except ConfigError as exc:
        raise t.error(key, exc.message) from None


def _recurring(t: _Table, base: Path) -> RecurringOptions:
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


def _db_url(t: _Table, data_dir: Path, override: str | None) -> str:
    url = override or os.environ.get(_ENV_DB) or t.get("url", str, "")
    if not override and not os.environ.get(_ENV_DB) and url:
        try:
            has_password = sa.make_url(url).password is not None
        except sa.exc.ArgumentError:
            raise t.error("url", f"'{url}' is not a database URL") from None
        if has_password:
            raise t.error("url", f"holds a password: put the URL in {_ENV_DB} instead")
    return url or sqlite_url(data_dir / "publisher.db")


def _resolve_path(explicit: str | Path | None) -> Path | None:
    chosen = explicit or os.environ.get(_ENV_CONFIG)
    if chosen:
        return Path(chosen)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_settings(path: str | Path | None = None, *, db: str | None = None,
                  data_dir: str | Path | None = None) -> Settings:
    """Read settings from *path* (or the usual places) with CLI overrides applied."""
    file = _resolve_path(path)
    data = load_toml(file, ConfigError) if file else {}
    source = str(file) if file else "<defaults>"
    base = file.parent.parent if file and file.parent.name == "config" else (
        file.parent if file else Path.cwd())
    root = _Table(data, "", source)
    pub = _publication(root.table("publication"))
    store = root.table("store")
    ddir = Path(data_dir) if data_dir else base / store.get("data_dir", str, "data")
    url = _db_url(store, ddir, db)
    store.done()
    fetch = _fetch(root.table("fetch"), base)
    web = _web(root.table("web"))
    mail = _email(root.table("email"), ddir, base)
    pdf = _pdf(root.table("pdf"), ddir)
    social = _social(root.table("social"))
    schedule = _schedule(root.table("schedule"), base)
    root.done()
    return Settings(publication=pub, data_dir=ddir, db_url=url, fetch=fetch, web=web,
                    email=mail, pdf=pdf, social=social, schedule=schedule,
                    secret_keys=_env_secret_keys(), source=source)
