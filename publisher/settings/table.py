"""The strict reader of one TOML table, shared by every part of the settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from publisher.errors import ConfigError

__all__ = ["Table", "at_least_zero", "choice", "positive"]


class Table:
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

    def table(self, key: str) -> Table:
        return Table(self.get(key, dict, {}), self.key(key), self.source)

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            raise self.error(unknown[0], "unknown key")


def positive(t: Table, key: str, default: int, *, most: int | None = None) -> int:
    value: int = t.get(key, int, default)
    if value < 1 or (most is not None and value > most):
        upper = f" and at most {most}" if most is not None else ""
        raise t.error(key, f"must be at least 1{upper}, not {value}")
    return value


def choice(t: Table, key: str, allowed: Any, default: str) -> Any:
    value: str = t.get(key, str, default)
    options = get_args(allowed)
    if value not in options:
        raise t.error(key, f"must be one of {', '.join(options)}, not '{value}'")
    return value

def at_least_zero(t: Table, key: str, default: float, *, zero_ok: bool = True) -> float:
    value: float = t.get(key, float, default)
    if value < 0 or (value == 0 and not zero_ok):
        floor = "0 or more" if zero_ok else "more than 0"
        raise t.error(key, f"must be {floor}, not {value}")
    return value
