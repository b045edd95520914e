"""Subscriber lists as CSV: import with per-row rejects, export safe for spreadsheets.

Import format: UTF-8 (a BOM is fine), ``,`` or ``;`` between columns (guessed
from the header line), columns found by header name, case-insensitive:

========  ========  ==========================================================
column    required  value
========  ========  ==========================================================
email     yes       an address; stored lowercased after validation
name      no        one line, no control characters (it ends up in headers)
sections  no        section names separated by ``|`` whatever the delimiter,
                    since section names may hold commas and semicolons
format    no        ``html`` (the default), ``text`` or ``pdf``
========  ========  ==========================================================

Other columns are ignored. A bad row becomes a ``Reject`` naming the physical
line it starts on; only a file that cannot be read at all raises
``ContentError``. The same address twice (in any case) is merged into one row.
"""

from __future__ import annotations

import csv
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import IO, Literal, Protocol, cast

from email_validator import validate_email
from tqdm import tqdm

from publisher.errors import ContentError

__all__ = [
    "ImportResult",
    "Reject",
    "SubscriberFormat",
    "SubscriberRow",
    "neutralise_cell",
    "normalise_email",
    "read_subscribers",
    "write_subscribers",
]

SubscriberFormat = Literal["html", "text", "pdf"]

_FORMATS: frozenset[str] = frozenset({"html", "text", "pdf"})
_SECTION_SEPARATOR = "|"
# Spreadsheets run a cell starting with these as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Cc covers CR, LF, NUL and the rest; Zl/Zp are the Unicode line breaks.
_CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


@dataclass(frozen=True, slots=True)
class SubscriberRow:
    """One valid subscriber from an import; *line* is where it first appeared."""

    email: str
    name: str
    sections: tuple[str, ...]
    format: SubscriberFormat
    line: int


@dataclass(frozen=True, slots=True)
class Reject:
    """A row left out of an import, and why."""

    line: int
    email: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Valid rows in file order, rejected rows, and how many duplicates were merged."""

    rows: list[SubscriberRow]
    rejects: list[Reject]
    duplicates_merged: int


def normalise_email(address: str) -> str:
    """The stored form of *address*: validated, then lowercased whole.

    Lowercasing the local part is not RFC-exact, but no real mailbox differs
    from another by case only, and one person must not subscribe twice.
    Raises ``ValueError`` (email-validator's error) for a bad address.
    """
    return validate_email(address.strip(), check_deliverability=False).normalized.lower()


def neutralise_cell(text: str) -> str:
    """*text* with a leading ``'`` if a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _unneutralise(text: str) -> str:
    """Undo ``neutralise_cell`` so an exported list imports back unchanged."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def _has_control(text: str) -> bool:
    return any(unicodedata.category(char) in _CONTROL_CATEGORIES for char in text)


@dataclass(slots=True)
class _Entry:
    """A row being built; ``format`` stays None until a row names one."""

    email: str
    name: str
    sections: list[str]
    format: str | None
    line: int

    def merge(self, later: _Entry) -> None:
        # Later non-empty values win; sections add up.
        self.name = later.name or self.name
        self.format = later.format or self.format
        self.sections.extend(s for s in later.sections if s not in self.sections)

    def row(self) -> SubscriberRow:
        fmt = cast(SubscriberFormat, self.format or "html")
        return SubscriberRow(self.email, self.name, tuple(self.sections), fmt, self.line)


def read_subscribers(
    stream: IO[bytes] | str | os.PathLike[str], *, source: str, progress: bool = False
) -> ImportResult:
    """Read a subscriber CSV from a binary stream or a path.

    Rows are read one at a time, so a large file is never held whole in memory.
    With *progress*, a bar on stderr shows the bytes read.
    """
    if isinstance(stream, str | os.PathLike):
        with open(stream, "rb") as handle:
            return _read(handle, source, progress)
    return _read(stream, source, progress)


def _read(handle: IO[bytes], source: str, progress: bool) -> ImportResult:
    bar = tqdm(
        total=_remaining_bytes(handle),
        unit="B",
        unit_scale=True,
        desc=source,
        file=sys.stderr,
        disable=not progress,
    )
    with bar:
        lines = _decoded_lines(handle, source, bar.update)
        first = next(lines, None)
        if first is None or not first.strip():
            raise ContentError("has no header line", source=source, line=1)
        delimiter = ";" if first.count(";") > first.count(",") else ","
        records = _records(csv.reader(chain([first], lines), delimiter=delimiter), source)
        _, header = next(records, (1, []))
        return _collect(records, _columns(header, source))


def _remaining_bytes(handle: IO[bytes]) -> int | None:
    """The bytes left to read, for the progress bar; None if unknowable."""
    try:
        if not handle.seekable():
            return None
        here = handle.tell()
        end = handle.seek(0, os.SEEK_END)
        handle.seek(here)
    except OSError:
        return None
    return end - here


def _decoded_lines(
    handle: IO[bytes], source: str, advance: Callable[[int], object]
) -> Iterator[str]:
    """Physical lines as text; splitting on b"\\n" never cuts a UTF-8 sequence."""
    for number, raw in enumerate(handle, start=1):
        advance(len(raw))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ContentError("is not valid UTF-8", source=source, line=number) from None
        yield text.removeprefix("\ufeff") if number == 1 else text


class _CsvReader(Protocol):
    """What we use of ``csv.reader``: records, and the lines consumed so far."""

    @property
    def line_num(self) -> int: ...

    def __next__(self) -> list[str]: ...


def _records(reader: _CsvReader, source: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line the record starts on, cells); csv errors name the line."""
    while True:
        # csv has consumed line_num lines: the next record starts after them,
        # however many quoted newlines the earlier records held.
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ContentError(f"is not valid CSV: {exc}", source=source, line=line) from None
        yield line, cells


def _columns(header: list[str], source: str) -> dict[str, int]:
    """Map known column names to their index; the first of a repeated name wins."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(name.strip().lower(), index)
    if "email" not in columns:
        raise ContentError("has no 'email' column", source=source, line=1, field="email")
    return columns


def _collect(records: Iterator[tuple[int, list[str]]], columns: dict[str, int]) -> ImportResult:
    entries: dict[str, _Entry] = {}
    rejects: list[Reject] = []
    merged = 0
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        parsed = _parse(cells, columns, line)
        if isinstance(parsed, Reject):
            rejects.append(parsed)
        elif parsed.email in entries:
            entries[parsed.email].merge(parsed)
            merged += 1
        else:
            entries[parsed.email] = parsed
    return ImportResult([entry.row() for entry in entries.values()], rejects, merged)


def _parse(cells: list[str], columns: dict[str, int], line: int) -> _Entry | Reject:
    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return _unneutralise(cells[index]).strip()

    raw_email = cell("email")
    if not raw_email:
        return Reject(line, "", "email is empty")
    try:
        email = normalise_email(raw_email)
    except ValueError as exc:
        return Reject(line, raw_email, f"email is invalid: {exc}")
    name = cell("name")
    if _has_control(name):
        return Reject(line, email, "name contains a line break or control character")
    sections = _sections(cell("sections"))
    if any(_has_control(section) for section in sections):
        return Reject(line, email, "sections contain a line break or control character")
    fmt = cell("format").lower()
    if fmt and fmt not in _FORMATS:
        return Reject(line, email, f"format must be html, text or pdf, not {fmt!r}")
    return _Entry(email, name, sections, fmt or None, line)


def _sections(text: str) -> list[str]:
    """Section names from one cell, trimmed, without empties or repeats."""
    names = (part.strip() for part in text.split(_SECTION_SEPARATOR))
    return list(dict.fromkeys(name for name in names if name))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return _SECTION_SEPARATOR.join(str(item) for item in value)
    if isinstance(value, set | frozenset):
        return _SECTION_SEPARATOR.join(sorted(str(item) for item in value))
    return str(value)


def write_subscribers(
    rows: Iterable[Mapping[str, object]], out: IO[str], columns: Sequence[str]
) -> int:
    """Write *columns* of *rows* as CSV to *out* (opened with ``newline=""``).

    Every cell that a spreadsheet would take for a formula is prefixed with
    ``'``; lists and tuples (sections) are joined with ``|`` so the file
    reads back with ``read_subscribers``. Returns the number of rows written.
    """
    writer = csv.writer(out)
    writer.writerow([neutralise_cell(column) for column in columns])
    count = 0
    for row in rows:
        writer.writerow([neutralise_cell(_cell_text(row.get(column))) for column in columns])
        count += 1
    return count
