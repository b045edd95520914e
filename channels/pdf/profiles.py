"""PDF profiles: one per kind of output, all rendered from the same HTML.

==========  ==================  ========================================
profile     page                what differs
==========  ==================  ========================================
screen      A4                  RGB, live links (the reader's copy)
print       ``pdf.trim_size``   bleed (``pdf.bleed_mm``), crop and cross
                                marks, links printed as plain text
letter      US Letter           as screen
archive     A4                  PDF/A-3b (``pdf_variant``)
accessible  A4                  PDF/UA-1: tagged, with language and title
==========  ==================  ========================================

Every profile carries the same metadata (title, authors, subject, keywords,
language, creation date); the template writes it into ``<head>``. A profile
is a plain value: it is pickled into the render subprocess and its ``repr``
is part of the cache key, so a change of trim size never serves a stale PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from publisher.errors import ContentError
from publisher.settings import PdfOptions

__all__ = ["COLUMN_GAP_MM", "MARGINS_MM", "PROFILE_NAMES", "Profile", "profile_for"]

PROFILE_NAMES = ("screen", "print", "letter", "archive", "accessible")

# Page margins (top, right, bottom, left) and the gap between body columns.
# The template and the image resolution check both read them from here.
MARGINS_MM = (22.0, 18.0, 22.0, 18.0)
COLUMN_GAP_MM = 6.0
_A4 = (210.0, 297.0)
_LETTER = (215.9, 279.4)


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """Page geometry and PDF flavour of one output."""

    name: str
    width_mm: float
    height_mm: float
    bleed_mm: float = 0.0
    marks: bool = False
    live_links: bool = True
    columns: int = 1
    pdf_variant: str | None = None
    pdf_tags: bool = False

    @property
    def content_width_mm(self) -> float:
        """Width of the text block: what a full-width image prints at."""
        return self.width_mm - MARGINS_MM[1] - MARGINS_MM[3]

    @property
    def column_width_mm(self) -> float:
        """Width of one body column: what an image inside the body prints at."""
        gaps = COLUMN_GAP_MM * (self.columns - 1)
        return (self.content_width_mm - gaps) / self.columns

    def write_options(self) -> dict[str, Any]:
        """Keyword arguments for WeasyPrint's ``write_pdf``.

        ``pdf_identifier=True`` makes WeasyPrint derive the file identifier
        from the content, so the same Issue gives the same bytes.
        """
        return {"pdf_variant": self.pdf_variant, "pdf_tags": self.pdf_tags,
                "pdf_identifier": True}

    def css(self) -> dict[str, str]:
        """Geometry as CSS values for the template (numbers only, never user text)."""
        top, right, bottom, left = MARGINS_MM
        return {
            "size": f"{self.width_mm}mm {self.height_mm}mm",
            "margin": f"{top}mm {right}mm {bottom}mm {left}mm",
            "bleed": f"{self.bleed_mm}mm" if self.bleed_mm else "",
            "marks": "crop cross" if self.marks else "none",
            "column_gap": f"{COLUMN_GAP_MM}mm",
            # Keeps the cover on one page whatever the trim size.
            "cover_image_height": f"{round(self.height_mm * 0.3, 1)}mm",
        }


def profile_for(name: str, options: PdfOptions) -> Profile:
    """The profile called *name* under the ``[pdf]`` settings."""
    width, height = options.trim_size
    common: dict[str, Any] = {"name": name, "columns": options.columns}
    if name == "print":
        return Profile(width_mm=width, height_mm=height, bleed_mm=options.bleed_mm,
                       marks=True, live_links=False, **common)
    if name == "letter":
        return Profile(width_mm=_LETTER[0], height_mm=_LETTER[1], **common)
    if name == "archive":
        return Profile(width_mm=_A4[0], height_mm=_A4[1], pdf_variant="pdf/a-3b", **common)
    if name == "accessible":
        return Profile(width_mm=_A4[0], height_mm=_A4[1], pdf_variant="pdf/ua-1",
                       pdf_tags=True, **common)
    if name == "screen":
        return Profile(width_mm=_A4[0], height_mm=_A4[1], **common)
    raise ContentError(f"unknown PDF profile '{name}' (known: {', '.join(PROFILE_NAMES)})",
                       field="profile")
