"""The CLI end to end, on real SQLite files in a temporary directory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.cli import main
from publisher.commands.demo import DEMO_DIR

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "samples" / "wire-astana-times.txt"
if not SAMPLE.exists():  # the demo ships the same copy
    SAMPLE = DEMO_DIR / "articles" / "wire-astana-times.txt"


def run(capsys: pytest.CaptureFixture[str], data: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    monkeypatch.delenv("PUBLISHER_CONFIG", raising=False)
    return tmp_path / "data"


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    target = tmp_path / "articles"
    shutil.copytree(DEMO_DIR / "articles", target)
    return target


def test_parse_prints_the_json_form_and_stores_nothing(capsys: pytest.CaptureFixture[str],
                                                       data: Path) -> None:
    code, out, _ = run(capsys, data, "parse", str(SAMPLE))
    assert code == 0
    doc = json.loads(out)
    art = doc["article"]
    assert (doc["schema"], doc["kind"], art["section"]) == (1, "article", "Education")
    assert {b["type"] for b in art["body"]} == {"paragraph", "heading"}
    assert all("text" in b for b in art["body"])
    assert not data.exists()


def test_parse_with_an_explicit_format(capsys: pytest.CaptureFixture[str], data: Path,
                                       articles: Path) -> None:
    code, out, _ = run(capsys, data, "parse", "--format", "markdown",
                       str(articles / "glacier-survey-tien-shan.md"))
    assert code == 0 and json.loads(out)["article"]["id"] == "glacier-survey-tien-shan"


def test_import_is_idempotent(capsys: pytest.CaptureFixture[str], data: Path,
                              articles: Path) -> None:
    code, out, _ = run(capsys, data, "import", str(articles))
    assert code == 0 and "6 added" in out
    code, out, _ = run(capsys, data, "import", str(articles))
    assert code == 0 and "0 added" in out and "6 unchanged" in out
    code, out, err = run(capsys, data, "articles", "list", "--section", "World")
    assert out.count("\n") == 2 and "2 article(s)" in err


def test_one_bad_file_stores_nothing(capsys: pytest.CaptureFixture[str], data: Path,
                                     articles: Path) -> None:
    bad = articles / "zz-bad.md"
    bad.write_text("---\nheadline: x\nsection: [unclosed\n---\nbody\n", encoding="utf-8")
    code, _, err = run(capsys, data, "import", str(articles))
    assert code == 2
    assert "zz-bad.md" in err and err.count("\n") == 1
    code, _, err = run(capsys, data, "articles", "list")
    assert "0 article(s)" in err


def test_issue_create_list_show_export_import(capsys: pytest.CaptureFixture[str], data: Path,
                                              articles: Path, tmp_path: Path) -> None:
    run(capsys, data, "import", str(articles))
    plan = tmp_path / "plan.toml"
    plan.write_text((DEMO_DIR / "plan.toml").read_text(encoding="utf-8"), encoding="utf-8")
    code, out, _ = run(capsys, data, "issue", "create", str(plan))
    assert code == 0 and "Issue 1 v1 (new version)" in out
    assert "Kazakhstan to Deepen Ties" in out
    code, out, _ = run(capsys, data, "issue", "create", str(plan))
    assert "Issue 1 v1 (unchanged)" in out
    plan.write_text(plan.read_text().replace("Partners, prices", "Partners and prices"))
    code, out, _ = run(capsys, data, "issue", "create", str(plan))
    assert "Issue 1 v2 (new version)" in out
    code, out, _ = run(capsys, data, "issue", "list")
    assert out.startswith("Issue 1 v2:")
    export = tmp_path / "issue1.json"
    code, _, _ = run(capsys, data, "issue", "export", "1", "--version", "1", "-o", str(export))
    assert json.loads(export.read_text())["issue"]["title"].startswith("Partners, prices")
    code, out, _ = run(capsys, tmp_path / "other", "issue", "import", str(export))
    assert code == 0 and "Issue 1 v1 (new version)" in out
    code, out, _ = run(capsys, tmp_path / "other", "issue", "show", "1")
    assert "Education" in out


def test_a_plan_naming_a_missing_article_stores_nothing(capsys: pytest.CaptureFixture[str],
                                                        data: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('number = 1\ntitle = "T"\ndate = 2026-12-01\n'
                    '[[sections]]\nname = "World"\narticles = ["nope"]\n', encoding="utf-8")
    code, _, err = run(capsys, data, "issue", "create", str(plan))
    assert code == 2
    assert f"{plan}: field 'sections[0].articles[0]': no stored article with id 'nope'" in err
    code, _, err = run(capsys, data, "issue", "list")
    assert "0 Issue(s)" in err


def test_unknown_things_exit_1(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    assert run(capsys, data, "articles", "show", "nope")[0] == 1
    assert run(capsys, data, "issue", "show", "7")[0] == 1


def test_python_dash_m_and_the_console_script(tmp_path: Path) -> None:
    for cmd in ([sys.executable, "-m", "publisher", "--help"],
                [str(Path(sys.executable).parent / "publisher"), "--version"]):
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, check=False)
        assert done.returncode == 0 and "publisher" in done.stdout
