"""The PDF channel's preflight: what a print shop would send back.

* ``pdf-image-dpi`` (warning): a raster image that prints below
  ``pdf.min_image_dpi`` at its printed width on the print profile. Every image
  fills the width of its box (digest.css), so the width follows from the
  profile: the text width for lead and cover images, a column for the body.
* ``pdf-image-missing`` (warning): an image the safe fetcher refused or could
  not get; the PDF prints a placeholder in its place.
* ``pdf-font-embed`` (error): a font the PDF would carry without its program,
  or whose licence (``OS/2.fsType``) forbids embedding.
* ``pdf-font-substituted`` (warning): no font of a brand font stack is
  installed, so the PDF falls back to another.
* ``pdf-empty-section`` (warning): a section without articles, which the
  PDF leaves out of its pages, contents and outline.

Fetches go through the safe fetcher and are remembered per URL, so running
preflight twice in one process fetches each image once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from channels.pdf.digest import cover_story
from channels.pdf.fonts import PdfFont, family_matches, named_families
from channels.pdf.images import Fetched, PlacedImage, fetch_one, image_url, issue_images
from channels.pdf.jobs import SpecimenFonts
from channels.pdf.profiles import profile_for
from publisher.content import Brand, Issue
from publisher.fetch import FetchOptions
from publisher.preflight import Check, Finding
from publisher.settings import Settings

__all__ = ["PdfChecks"]

_MM_PER_INCH = 25.4
_WORKERS = 8


class PdfChecks:
    """The channel's checks; *specimen* says which fonts a brand's stacks get."""

    def __init__(self, specimen: Callable[[Brand, Settings], SpecimenFonts]) -> None:
        self._specimen = specimen
        self._fetched: dict[tuple[FetchOptions, str], Fetched] = {}
        self._fonts: dict[Brand, SpecimenFonts] = {}

    def all(self) -> tuple[Check, ...]:
        return (self.image_resolution, self.missing_images, self.fonts, self.empty_sections)

    # -- images ---------------------------------------------------------------

    def _fetch(self, options: FetchOptions, urls: Iterable[str]) -> dict[str, Fetched]:
        todo = [u for u in dict.fromkeys(urls) if (options, u) not in self._fetched]
        if todo:
            with ThreadPoolExecutor(max_workers=min(_WORKERS, len(todo))) as pool:
                for got in pool.map(lambda u: fetch_one(options, u), todo):
                    self._fetched[(options, got.url)] = got
        return {url: got for (opts, url), got in self._fetched.items() if opts == options}

    def _placed(self, issue: Issue, settings: Settings
                ) -> Iterator[tuple[PlacedImage, str, Fetched]]:
        media = settings.fetch.media_dirs
        placed = list(issue_images(issue))
        fetched = self._fetch(settings.fetch, (image_url(p.image.src, media) for p in placed))
        for p in placed:
            url = image_url(p.image.src, media)
            yield p, url, fetched[url]

    def image_resolution(self, issue: Issue, settings: Settings) -> Iterator[Finding]:
        profile = profile_for("print", settings.pdf)
        _lead, cover_image = cover_story([s for s in issue.sections if s.articles])
        for placed, _url, got in self._placed(issue, settings):
            if got.size is None:
                continue  # vector, or not fetched (reported by missing_images)
            full = placed.place == "lead" or placed.image is cover_image
            width_mm = profile.content_width_mm if full else profile.column_width_mm
            dpi = got.size[0] / (width_mm / _MM_PER_INCH)
            if dpi < settings.pdf.min_image_dpi:
                yield Finding("warning", "pdf", "pdf-image-dpi",
                              f"image {placed.image.src} is {got.size[0]} px wide: {dpi:.0f} dpi "
                              f"at its printed width of {width_mm:.0f} mm on the print profile "
                              f"(at least {settings.pdf.min_image_dpi} wanted)",
                              placed.article.id)

    def missing_images(self, issue: Issue, settings: Settings) -> Iterator[Finding]:
        for placed, _url, got in self._placed(issue, settings):
            if got.error is not None:
                yield Finding("warning", "pdf", "pdf-image-missing",
                              f"image {placed.image.src} prints as a placeholder: {got.error}",
                              placed.article.id)
        logo = issue.publication.brand.logo
        if logo:
            url = image_url(logo, settings.fetch.media_dirs)
            got = self._fetch(settings.fetch, [url])[url]
            if got.error is not None:
                yield Finding("warning", "pdf", "pdf-image-missing",
                              f"the logo {logo} is left off the cover: {got.error}", "brand.logo")

    # -- fonts and sections -----------------------------------------------------

    def fonts(self, issue: Issue, settings: Settings) -> Iterator[Finding]:
        brand = issue.publication.brand
        if brand not in self._fonts:
            self._fonts[brand] = self._specimen(brand, settings)
        got = self._fonts[brand]
        for role, stack, fonts in (("heading", brand.heading_font, got.heading),
                                   ("body", brand.body_font, got.body)):
            yield from _embedding(role, fonts)
            yield from _substitution(role, stack, fonts)

    def empty_sections(self, issue: Issue, _settings: Settings) -> Iterator[Finding]:
        for section in issue.sections:
            if not section.articles:
                yield Finding("warning", "pdf", "pdf-empty-section",
                              f"section '{section.name}' has no articles: the PDF leaves it "
                              "out of its pages, contents and outline")


def _embedding(role: str, fonts: Iterable[PdfFont]) -> Iterator[Finding]:
    for font in fonts:
        if not font.embedded:
            yield Finding("error", "pdf", "pdf-font-embed",
                          f"{role} font {font.name} would not be embedded in the PDF")
        elif not font.licence_allows_embedding:
            yield Finding("error", "pdf", "pdf-font-embed",
                          f"{role} font {font.name} may not be embedded: its licence "
                          f"(fsType {font.fs_type:#06x}) forbids it; choose another font")


def _substitution(role: str, stack: str, fonts: Iterable[PdfFont]) -> Iterator[Finding]:
    named = named_families(stack)
    used = sorted({f.name for f in fonts})
    if named and not any(family_matches(f, family) for f in used for family in named):
        yield Finding("warning", "pdf", "pdf-font-substituted",
                      f"{role} font: none of {', '.join(named)} is installed here; "
                      f"the PDF uses {', '.join(used) or 'no font'}")
