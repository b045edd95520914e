"""``publisher pdf`` and ``publisher render --channel pdf`` on the demo Issue."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from publisher.cli import main


def run(capsys: pytest.CaptureFixture[str], data: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_pdf_then_render_of_the_same_profile(capsys: pytest.CaptureFixture[str],
                                              demo_data: Path, tmp_path: Path) -> None:
    target = tmp_path / "print.pdf"
    code, out, err = run(capsys, demo_data, "pdf", "1", "--profile", "print", "-o", str(target))
    assert code == 0, err
    pages = len(PdfReader(target).pages)
    assert f"{target}: Issue 1 v1, print profile, {pages} page(s), rendered in" in out
    # Without the demo's settings its media folder is not allowed: placeholders, said aloud.
    assert err.count("warning: placeholder for file:") == 2
    assert "file: URLs are only allowed inside media_dirs" in err

    code, out, err = run(capsys, demo_data, "render", "1", "--channel", "pdf",
                         "--profile", "print", "--out", str(tmp_path / "out"))
    assert code == 0, err
    written = Path(out.strip())
    assert written == tmp_path / "out" / "issue-1-print.pdf"
    assert len(PdfReader(written).pages) == pages
    assert PdfReader(written).pages[0].trimbox == PdfReader(target).pages[0].trimbox


def test_unknown_profiles_and_options_are_bad_input(capsys: pytest.CaptureFixture[str],
                                                     demo_data: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, demo_data, "render", "1", "--channel", "pdf",
                       "--profile", "poster", "--out", str(tmp_path))
    assert code == 2 and "unknown PDF profile 'poster'" in err
    code, _, err = run(capsys, demo_data, "render", "1", "--channel", "pdf",
                       "--option", "dpi=300", "--out", str(tmp_path))
    assert code == 2 and "unknown PDF option 'dpi'" in err
    with pytest.raises(SystemExit) as exc:
        main(["--data-dir", str(demo_data), "pdf", "1", "--profile", "poster", "-o", "x.pdf"])
    assert exc.value.code == 2
    assert list(tmp_path.iterdir()) == []


def test_check_lists_the_pdf_findings(capsys: pytest.CaptureFixture[str],
                                      demo_data: Path) -> None:
    code, out, _ = run(capsys, demo_data, "check", "1", "--channel", "pdf")
    assert code == 0 and "0 error(s)" in out
    assert out.count("pdf-image-missing") == 2
