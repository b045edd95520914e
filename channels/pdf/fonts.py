"""The fonts inside a PDF, as a print shop's preflight sees them.

A font must travel inside the PDF: a printer or an archive that lacks it
substitutes another and the layout moves. :func:`pdf_fonts` lists each font a
PDF uses, whether its program is embedded, and the embedding permissions its
designer set (the OpenType ``OS/2.fsType`` field). The channel's preflight and
the tests read PDFs through it; it needs only pypdf.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pypdf is imported only where a PDF is read (it costs 40 ms)
    from pypdf import PdfReader

__all__ = ["GENERIC_FAMILIES", "PdfFont", "family_matches", "named_families", "pdf_fonts"]

GENERIC_FAMILIES = frozenset({"serif", "sans-serif", "monospace", "cursive", "fantasy",
                              "system-ui", "ui-serif", "ui-sans-serif", "ui-monospace"})
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
# fsType: "restricted licence" forbids embedding; "bitmap only" forbids outlines.
_RESTRICTED, _USAGE_MASK, _BITMAP_ONLY = 0x0002, 0x000F, 0x0200


@dataclass(frozen=True, slots=True)
class PdfFont:
    """One font of a PDF: its name without the subset tag, embedded or not."""

    name: str
    embedded: bool
    fs_type: int | None = None

    @property
    def licence_allows_embedding(self) -> bool:
        if self.fs_type is None:
            return True
        restricted = self.fs_type & _USAGE_MASK == _RESTRICTED
        return not restricted and not self.fs_type & _BITMAP_ONLY


def _font_dicts(reader: PdfReader) -> Iterator[Any]:
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        if fonts is not None:
            yield from (ref.get_object() for ref in fonts.get_object().values())


def _fs_type(program: bytes) -> int | None:
    """``OS/2.fsType`` of a TrueType/OpenType program, or None if it has no OS/2 table."""
    if len(program) < 12:
        return None
    (count,) = struct.unpack_from(">H", program, 4)
    for i in range(count):
        if 12 + 16 * (i + 1) > len(program):
            return None
        tag, _checksum, offset, _length = struct.unpack_from(">4sLLL", program, 12 + 16 * i)
        if tag == b"OS/2" and offset + 10 <= len(program):
            return int(struct.unpack_from(">H", program, offset + 8)[0])
    return None


def _describe(font: Any) -> PdfFont:
    name = str(font.get("/BaseFont", "/untitled"))[1:]
    name = re.sub(r"^[A-Z]{6}\+", "", name)
    if font.get("/Subtype") == "/Type3":
        # Type 3 glyphs are drawn by procedures stored in the PDF itself.
        return PdfFont(name, embedded=True)
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    program = next((descriptor[k] for k in _FONT_FILES if k in descriptor), None)
    if program is None:
        return PdfFont(name, embedded=False)
    return PdfFont(name, embedded=True, fs_type=_fs_type(program.get_object().get_data()))


def pdf_fonts(reader: PdfReader) -> list[PdfFont]:
    """Every font the PDF's pages use, once each, in order of first use."""
    found: dict[str, PdfFont] = {}
    for font in _font_dicts(reader):
        described = _describe(font)
        found.setdefault(described.name, described)
    return list(found.values())


def named_families(stack: str) -> list[str]:
    """The named families of a CSS font stack, generic families left out."""
    names = (part.strip().strip("'\"").strip() for part in stack.split(","))
    return [n for n in names if n and n.lower() not in GENERIC_FAMILIES]


def _squash(text: str) -> str:
    return re.sub(r"[\s_-]+", "", text).lower()


def family_matches(font_name: str, family: str) -> bool:
    """True when the PDF font *font_name* ("DejaVu-Serif-Bold") is of *family*."""
    return _squash(font_name).startswith(_squash(family))
