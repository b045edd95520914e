"""The PDF's structure, read back with pypdf: pages, outline, text, metadata, fonts, boxes.

Structural, not byte-for-byte: a new WeasyPrint release may move a glyph,
but the outline, the text, the metadata and the page boxes must hold.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pypdf import PdfReader

from channels.pdf.fonts import pdf_fonts
from publisher.content import Issue
from tests.channels.pdf.conftest import Renders, small_issue

MM = 72 / 25.4
BLEED = 3 * MM  # 8.504 pt


def read(renders: Renders, issue: Issue, profile: str) -> PdfReader:
    return PdfReader(renders.pdf(issue, profile)[0])


def outline(entries: list[Any], level: int = 0) -> list[tuple[int, str]]:
    """pypdf's nested outline as (level, title) pairs in order."""
    flat: list[tuple[int, str]] = []
    for entry in entries:
        if isinstance(entry, list):
            flat.extend(outline(entry, level + 1))
        else:
            flat.append((level, str(entry.title)))
    return flat


def expected_outline(issue: Issue) -> list[tuple[int, str]]:
    wanted: list[tuple[int, str]] = []
    for section in issue.sections:
        if section.articles:
            wanted.append((0, section.name))
            wanted.extend((1, a.headline) for a in section.articles)
    return wanted


def catalog(reader: PdfReader) -> Any:
    """The document catalog (pypdf types it as a bare PdfObject)."""
    return reader.trailer["/Root"]


def text_of(reader: PdfReader) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_pages_are_cover_contents_one_per_section_and_back(renders: Renders) -> None:
    issue = small_issue()
    path, report = renders.pdf(issue, "screen")
    reader = PdfReader(path)
    # Cover, contents, one page per section (each fits on one), back page.
    assert len(reader.pages) == report.pages == 1 + 1 + 3 + 1
    assert "Page" not in reader.pages[0].extract_text()
    assert "Page 2 of 6" in reader.pages[1].extract_text()
    assert "1 High Street, Testbury" in reader.pages[-1].extract_text()


def test_each_section_starts_a_page_named_in_the_running_header(renders: Renders) -> None:
    reader = read(renders, small_issue(), "screen")
    for number, name in ((3, "NEWS"), (4, "SPORT"), (5, "ARTS")):
        assert name in reader.pages[number - 1].extract_text()


@pytest.mark.parametrize("which", ["small", "demo"])
def test_the_outline_is_the_sections_and_headlines_in_order(
        renders: Renders, demo_issue: Issue, which: str) -> None:
    issue = demo_issue if which == "demo" else small_issue()
    reader = read(renders, issue, "screen")
    assert outline(reader.outline) == expected_outline(issue)


def test_the_contents_give_each_article_its_page(renders: Renders) -> None:
    reader = read(renders, small_issue(), "screen")
    contents = re.sub(r"\s+", " ", reader.pages[1].extract_text())
    for headline, page in (("Council approves the new bridge", 3), ("Trains run late again", 3),
                           ("Testbury wins the cup", 4), ("A museum reopens", 5)):
        assert re.search(re.escape(headline) + r"[ .]*" + str(page), contents), headline


def test_every_headline_and_byline_is_text(renders: Renders, demo_issue: Issue) -> None:
    text = text_of(read(renders, demo_issue, "screen"))
    for article in demo_issue.articles:
        assert article.headline in text
        if article.authors:
            assert f"By {article.byline}" in text


def test_metadata(renders: Renders, demo_issue: Issue) -> None:
    reader = read(renders, demo_issue, "screen")
    meta = reader.metadata
    assert meta is not None
    assert meta.title == ("The Steppe Dispatch, Issue 1: "
                          "Partners, prices and a library in the steppe")
    assert meta.author is not None and "Dana Seitkali" in meta.author
    assert "Timur Abenov" in meta.author
    assert meta.subject == demo_issue.preheader
    keywords = str(meta.get("/Keywords"))
    assert "World" in keywords and "transport" in keywords
    assert meta.creation_date is not None
    assert meta.creation_date.date().isoformat() == "2026-12-04"
    assert catalog(reader)["/Lang"] == "en"


@pytest.mark.parametrize("profile", ["screen", "print", "archive", "accessible"])
def test_every_font_is_embedded(renders: Renders, demo_issue: Issue, profile: str) -> None:
    fonts = pdf_fonts(read(renders, demo_issue, profile))
    assert fonts
    assert all(f.embedded and f.licence_allows_embedding for f in fonts), fonts


def test_print_boxes_are_trim_and_trim_plus_bleed(renders: Renders, demo_issue: Issue) -> None:
    reader = read(renders, demo_issue, "print")
    for page in reader.pages:
        trim, bleed = page.trimbox, page.bleedbox
        assert float(trim.left) == pytest.approx(0, abs=0.01)
        assert float(trim.width) == pytest.approx(210 * MM, abs=0.01)
        assert float(trim.height) == pytest.approx(297 * MM, abs=0.01)
        for side in ("left", "bottom"):
            assert float(getattr(trim, side)) - float(getattr(bleed, side)) == pytest.approx(
                BLEED, abs=0.01)
        for side in ("right", "top"):
            assert float(getattr(bleed, side)) - float(getattr(trim, side)) == pytest.approx(
                BLEED, abs=0.01)


def test_print_links_are_not_live_but_screen_links_are(renders: Renders,
                                                       demo_issue: Issue) -> None:
    def uris(reader: PdfReader) -> list[str]:
        found = []
        for page in reader.pages:
            for annot in page.get("/Annots") or []:
                action = annot.get_object().get("/A")
                if action is not None and "/URI" in action:
                    found.append(str(action["/URI"]))
        return found

    assert "http://127.0.0.1:8000/archive" in uris(read(renders, demo_issue, "screen"))
    assert uris(read(renders, demo_issue, "print")) == []


def test_letter_is_us_letter(renders: Renders) -> None:
    box = read(renders, small_issue(), "letter").pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((612, 792), abs=0.01)


def test_archive_declares_pdf_a_3b(renders: Renders, demo_issue: Issue) -> None:
    reader = read(renders, demo_issue, "archive")
    assert reader.xmp_metadata is not None
    xmp = reader.xmp_metadata.stream.get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "/OutputIntents" in catalog(reader)


def test_accessible_is_tagged_with_language_and_title(renders: Renders,
                                                      demo_issue: Issue) -> None:
    reader = read(renders, demo_issue, "accessible")
    root = catalog(reader)
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.xmp_metadata is not None
    assert 'pdfuaid:part="1"' in reader.xmp_metadata.stream.get_data().decode()
