"""``check`` runs preflight on a stored Issue; ``render`` names unknown channels."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.cli import main


def run(capsys: pytest.CaptureFixture[str], data: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
         ) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    monkeypatch.delenv("PUBLISHER_CONFIG", raising=False)
    data = tmp_path / "data"
    assert run(capsys, data, "demo", "--no-send")[0] == 0
    return data


def test_the_demo_issue_passes_preflight(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, out, _ = run(capsys, data, "check", "1")
    assert code == 0 and "0 error(s)" in out and "ready" in out


def test_an_image_without_alt_text_blocks_sending(capsys: pytest.CaptureFixture[str],
                                                  data: Path, tmp_path: Path) -> None:
    art = tmp_path / "noalt.md"
    art.write_text("---\nid: noalt\nheadline: No alt\nsection: World\n---\n\n"
                   "![](https://img.example/x.jpg)\n", encoding="utf-8")
    plan = tmp_path / "plan.toml"
    plan.write_text('number = 2\ntitle = "Two"\ndate = 2026-12-11\n'
                    '[[sections]]\nname = "World"\narticles = ["noalt"]\n', encoding="utf-8")
    assert run(capsys, data, "import", str(art))[0] == 0
    assert run(capsys, data, "issue", "create", str(plan))[0] == 0
    code, out, _ = run(capsys, data, "check", "2")
    assert code == 1
    assert ("error   all    image-alt: image https://img.example/x.jpg has no alt text "
            "[noalt]") in out


def test_render_refuses_an_unknown_channel(capsys: pytest.CaptureFixture[str], data: Path,
                                           tmp_path: Path) -> None:
    code, _, err = run(capsys, data, "render", "1", "--channel", "fax", "--out",
                       str(tmp_path / "out"))
    assert code == 2 and "unknown channel 'fax'" in err


def test_a_malformed_option_is_a_clear_error(capsys: pytest.CaptureFixture[str], data: Path,
                                             tmp_path: Path) -> None:
    code, _, err = run(capsys, data, "render", "1", "--channel", "pdf", "--option", "novalue",
                       "--out", str(tmp_path / "out"))
    assert code == 2 and "field '--option': wants KEY=VALUE, not 'novalue'" in err
