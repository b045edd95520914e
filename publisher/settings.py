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
    "Settings",
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

TransportKind = Literal["outbox", "smtp"]
SmtpSecurity = Literal["starttls", "tls", "none"]


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything configurable, resolved and validated."""

    publication: Publication
    data_dir: Path
    db_url: str
    fetch: FetchOptions = field(default_factory=FetchOptions)
    web: WebOptions = field(default_factory=WebOptions)
    email: EmailOptions = field(default_factory=EmailOptions)
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


def _email(t: _Table, data_dir: Path) -> EmailOptions:
    d = EmailOptions()
    if "smtp_password" in t.data:
        raise t.error("smtp_password", f"is a secret: set {_ENV_SMTP_PASSWORD} instead")
    timeout = t.get("smtp_timeout", float, d.smtp_timeout)
    if timeout <= 0:
        raise t.error("smtp_timeout", f"must be more than 0, not {timeout}")
    opts = EmailOptions(
        transport=_choice(t, "transport", TransportKind, d.transport),
        outbox_dir=data_dir / t.get("outbox_dir", str, str(d.outbox_dir)),
        smtp_host=t.get("smtp_host", str, d.smtp_host),
        smtp_port=_positive(t, "smtp_port", d.smtp_port, most=65535),
        smtp_security=_choice(t, "smtp_security", SmtpSecurity, d.smtp_security),
        smtp_user=t.get("smtp_user", str, d.smtp_user),
        smtp_password=os.environ.get(_ENV_SMTP_PASSWORD, ""),
        smtp_timeout=timeout)
    if opts.transport == "smtp" and opts.smtp_user and not opts.smtp_password:
        raise t.error("smtp_user", f"is set but {_ENV_SMTP_PASSWORD} is not")
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
    mail = _email(root.table("email"), ddir)
    root.done()
    return Settings(publication=pub, data_dir=ddir, db_url=url, fetch=fetch, web=web,
                    email=mail, secret_keys=_env_secret_keys(), source=source)
