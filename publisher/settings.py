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
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from publisher.content import Brand, Publication
from publisher.errors import ConfigError, ContentError
from publisher.fetch import FetchOptions
from publisher.store.db import sqlite_url
from publisher.tomlfile import load_toml

__all__ = ["DEFAULT_CONFIG", "Settings", "load_settings"]

DEFAULT_CONFIG = Path("config") / "publication.toml"
_ENV_CONFIG = "PUBLISHER_CONFIG"
_ENV_DB = "PUBLISHER_DB"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything configurable, resolved and validated."""

    publication: Publication
    data_dir: Path
    db_url: str
    fetch: FetchOptions = field(default_factory=FetchOptions)
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
    opts = FetchOptions(
        allow_private=t.get("allow_private", bool, d.allow_private),
        timeout=t.get("timeout", float, d.timeout),
        max_bytes=t.get("max_bytes", int, d.max_bytes),
        max_redirects=t.get("max_redirects", int, d.max_redirects),
        media_dirs=dirs)
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
    root.done()
    return Settings(publication=pub, data_dir=ddir, db_url=url, fetch=fetch, source=source)
