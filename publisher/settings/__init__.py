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
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from publisher.content import Brand, Publication
from publisher.errors import ConfigError, ContentError
from publisher.fetch import FetchOptions
from publisher.settings.options import (
    DigestMode,
    EmailOptions,
    PdfOptions,
    RecurringOptions,
    ScheduleOptions,
    SmtpSecurity,
    SocialAccount,
    SocialOptions,
    SocialPlatform,
    TransportKind,
    WebhookShape,
    WebOptions,
    read_email,
    read_pdf,
    read_schedule,
    read_social,
    read_web,
)
from publisher.settings.table import Table
from publisher.store.db import sqlite_url
from publisher.tomlfile import load_toml

__all__ = [
    "DEFAULT_CONFIG",
    "DigestMode",
    "EmailOptions",
    "PdfOptions",
    "RecurringOptions",
    "ScheduleOptions",
    "Settings",
    "SmtpSecurity",
    "SocialAccount",
    "SocialOptions",
    "SocialPlatform",
    "TransportKind",
    "WebOptions",
    "WebhookShape",
    "load_settings",
    "secret_keys",
]

DEFAULT_CONFIG = Path("config") / "publication.toml"
_ENV_CONFIG = "PUBLISHER_CONFIG"
_ENV_DB = "PUBLISHER_DB"
_ENV_SECRET_KEYS = "PUBLISHER_SECRET_KEYS"
_SECRET_FILE = "secret.key"
# Shorter keys are guessable offline from one signed link (tokens.py agrees).
_MIN_KEY_LENGTH = 16


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


def _brand(t: Table) -> Brand:
    defaults = Brand()
    values = {}
    for f in fields(Brand):
        kind = str
        values[f.name] = t.get(f.name, kind, getattr(defaults, f.name))
    t.done()
    return Brand(**values)


def _publication(t: Table) -> Publication:
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


def _build(t: Table, make: Callable[[], Publication]) -> Publication:
    try:
        return make()
    except ContentError as exc:
        raise t.error(exc.field or "", exc.message) from None


def _fetch(t: Table, base: Path) -> FetchOptions:
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


def _db_url(t: Table, data_dir: Path, override: str | None) -> str:
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
    root = Table(data, "", source)
    pub = _publication(root.table("publication"))
    store = root.table("store")
    ddir = Path(data_dir) if data_dir else base / store.get("data_dir", str, "data")
    url = _db_url(store, ddir, db)
    store.done()
    fetch = _fetch(root.table("fetch"), base)
    web = read_web(root.table("web"))
    mail = read_email(root.table("email"), ddir, base)
    pdf = read_pdf(root.table("pdf"), ddir)
    social = read_social(root.table("social"))
    schedule = read_schedule(root.table("schedule"), base)
    root.done()
    return Settings(publication=pub, data_dir=ddir, db_url=url, fetch=fetch, web=web,
                    email=mail, pdf=pdf, social=social, schedule=schedule,
                    secret_keys=_env_secret_keys(), source=source)

