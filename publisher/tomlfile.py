"""Reading TOML files with errors that name the file and line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from publisher.errors import ConfigError, ContentError

__all__ = ["load_toml", "parse_toml"]

# Python 3.11's TOMLDecodeError has no lineno; its message ends "(at line N, column M)".
_WHERE = re.compile(r"\s*\(at line (\d+), column \d+\)$|\s*\(at end of document\)$")


def parse_toml(text: str, source: str, error: type[ContentError | ConfigError],
               line_offset: int = 0) -> dict[str, Any]:
    """Parse *text*; a syntax error becomes *error* naming *source* and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _WHERE.search(message)
        if match and match.group(1):
            line: int | None = int(match.group(1)) + line_offset
        else:  # "at end of document": the problem is on the last line
            line = len(text.splitlines()) + line_offset if match else None
        raise error(_WHERE.sub("", message), source=source, line=line) from None


def load_toml(path: Path, error: type[ContentError | ConfigError]) -> dict[str, Any]:
    """Read and parse the TOML file *path* (UTF-8, a BOM is fine)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error("file not found", source=str(path)) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise error(f"cannot read: {exc}", source=str(path)) from None
    return parse_toml(text, str(path), error)
