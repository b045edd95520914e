"""``publisher serve``: options and settings reach uvicorn; the app it serves is ours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from publisher.cli import main


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    monkeypatch.chdir(tmp_path)
    for name in ("PUBLISHER_DB", "PUBLISHER_CONFIG", "PUBLISHER_SECRET_KEYS"):
        monkeypatch.delenv(name, raising=False)
    calls: list[dict[str, Any]] = []

    def fake_run(app: object, **kwargs: Any) -> None:
        calls.append({"app": app, **kwargs})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return calls


def test_serve_defaults_to_loopback_8000(runs: list[dict[str, Any]], tmp_path: Path) -> None:
    assert main(["--data-dir", str(tmp_path / "data"), "serve"]) == 0
    [call] = runs
    assert (call["host"], call["port"]) == ("127.0.0.1", 8000)
    assert isinstance(call["app"], FastAPI)
    assert call["access_log"] is False
    assert (tmp_path / "data" / "secret.key").exists()


def test_serve_options_override_settings(runs: list[dict[str, Any]], tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "publication.toml").write_text('[web]\nhost = "0.0.0.0"\nport = 8100\n')
    assert main(["serve"]) == 0
    assert main(["serve", "--host", "::1", "--port", "9001"]) == 0
    assert [(c["host"], c["port"]) for c in runs] == [("0.0.0.0", 8100), ("::1", 9001)]


def test_serve_refuses_a_bad_port(runs: list[dict[str, Any]],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--port", "70000"])
    assert "between 1 and 65535" in capsys.readouterr().err
    assert runs == []
