"""The PDF preflight: fonts, empty sections (images are in test_security.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from channels.pdf import PdfChannel
from channels.pdf.checks import PdfChecks
from channels.pdf.fonts import PdfFont, family_matches, named_families
from channels.pdf.jobs import SpecimenFonts
from publisher.content import Brand, IssueSection
from publisher.preflight import run_preflight
from publisher.settings import Settings
from tests.channels.pdf.conftest import PUBLICATION, article, settings_for, small_issue

DEJAVU = (PdfFont("DejaVu-Serif", True, 0), PdfFont("DejaVu-Serif-Bold", True, 0))


def specimen_of(*fonts: PdfFont) -> PdfChecks:
    def specimen(_brand: Brand, _settings: Settings) -> SpecimenFonts:
        return SpecimenFonts(heading=fonts, body=DEJAVU)
    return PdfChecks(specimen)


def codes(checks: PdfChecks, brand: Brand, tmp_path: Path) -> list[tuple[str, str]]:
    issue = replace(small_issue(), publication=replace(PUBLICATION, brand=brand))
    found = checks.fonts(issue, settings_for(tmp_path / "data"))
    return [(f.severity, f.code) for f in found]


def test_fonts_whose_licence_forbids_embedding_are_errors(tmp_path: Path) -> None:
    brand = Brand(heading_font="Secret Sans, sans-serif", body_font="DejaVu Serif, serif")
    restricted = specimen_of(PdfFont("Secret-Sans", True, 0x0002))
    assert codes(restricted, brand, tmp_path) == [("error", "pdf-font-embed")]
    missing = specimen_of(PdfFont("Secret-Sans", False))
    assert codes(missing, brand, tmp_path) == [("error", "pdf-font-embed")]


def test_a_stack_with_none_of_its_fonts_installed_is_a_warning(tmp_path: Path) -> None:
    brand = Brand(heading_font="Georgia, 'Times New Roman', serif", body_font="DejaVu Serif")
    assert codes(specimen_of(*DEJAVU), brand, tmp_path) == [("warning", "pdf-font-substituted")]
    brand = Brand(heading_font="'DejaVu Serif', serif", body_font="serif")
    assert codes(specimen_of(*DEJAVU), brand, tmp_path) == []


def test_font_names() -> None:
    assert named_families("Georgia, 'Times New Roman', \"A B\", serif") == [
        "Georgia", "Times New Roman", "A B"]
    assert family_matches("DejaVu-Serif-Bold", "DejaVu Serif")
    assert not family_matches("DejaVu-Sans", "DejaVu Serif")
    assert not PdfFont("X", True, 0x0200).licence_allows_embedding
    assert PdfFont("X", True, 0x0008).licence_allows_embedding


def test_the_real_specimen_and_an_empty_section(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    issue = small_issue(IssueSection(name="News", articles=(article("x", "Only", "News"),)),
                        IssueSection(name="Sport", articles=()))
    brand = Brand(heading_font="'DejaVu Serif', serif", body_font="Nonesuch Grotesk")
    issue = replace(issue, publication=replace(PUBLICATION, brand=brand))
    report = run_preflight(issue, settings, PdfChannel(settings).checks())
    assert [(f.code, f.message) for f in report.findings] == [
        ("pdf-empty-section", "section 'Sport' has no articles: the PDF leaves it out of its "
                              "pages, contents and outline"),
        ("pdf-font-substituted", "body font: none of Nonesuch Grotesk is installed here; the PDF "
                                 "uses DejaVu-Sans, DejaVu-Sans-Bold, DejaVu-Sans-Oblique"),
    ]
