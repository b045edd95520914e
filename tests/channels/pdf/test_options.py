"""The ``[pdf]`` settings and the profiles made from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.pdf.profiles import PROFILE_NAMES, profile_for
from publisher.errors import ConfigError, ContentError
from publisher.settings import PdfOptions, load_settings


def load(tmp_path: Path, text: str) -> PdfOptions:
    cfg = tmp_path / "config"
    cfg.mkdir(exist_ok=True)
    (cfg / "publication.toml").write_text(text, encoding="utf-8")
    return load_settings(cfg / "publication.toml").pdf


def test_defaults(tmp_path: Path) -> None:
    opts = load(tmp_path, "")
    assert opts.trim_size == (210.0, 297.0) and opts.bleed_mm == 3.0 and opts.columns == 1
    assert opts.cache_dir == tmp_path / "data" / "pdf-cache"


@pytest.mark.parametrize(("value", "size"), [('"A5"', (148.0, 210.0)),
                                             ('"letter"', (215.9, 279.4)),
                                             ('"170x240"', (170.0, 240.0))])
def test_trim_sizes(tmp_path: Path, value: str, size: tuple[float, float]) -> None:
    assert load(tmp_path, f"[pdf]\ntrim_size = {value}\n").trim_size == size


@pytest.mark.parametrize(("text", "field"), [
    ('trim_size = "A9"', "pdf.trim_size"),
    ('trim_size = "10x20"', "pdf.trim_size"),
    ('trim_size = "axb"', "pdf.trim_size"),
    ("columns = 3", "pdf.columns"),
    ("bleed_mm = 20", "pdf.bleed_mm"),
    ("timeout = 0", "pdf.timeout"),
    ("memory_mb = 0", "pdf.memory_mb"),
    ('cache = "yes"', "pdf.cache"),
    ("colour = true", "pdf.colour"),
])
def test_bad_values_name_the_key(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, f"[pdf]\n{text}\n")
    assert info.value.field == field


def test_profiles() -> None:
    opts = PdfOptions(trim_size=(170.0, 240.0), columns=2)
    printed = profile_for("print", opts)
    assert (printed.width_mm, printed.height_mm, printed.bleed_mm, printed.marks) == (
        170.0, 240.0, 3.0, True)
    assert printed.column_width_mm == pytest.approx((170 - 36 - 6) / 2)
    assert profile_for("archive", opts).write_options()["pdf_variant"] == "pdf/a-3b"
    assert profile_for("accessible", opts).write_options()["pdf_variant"] == "pdf/ua-1"
    assert {profile_for(n, opts).name for n in PROFILE_NAMES} == set(PROFILE_NAMES)
    with pytest.raises(ContentError, match="unknown PDF profile 'poster'"):
        profile_for("poster", opts)
