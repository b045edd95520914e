"""Settings are read strictly; secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.errors import ConfigError
from publisher.settings import load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "publication.example.toml"


def _write(tmp_path: Path, text: str) -> Path:
    cfg = tmp_path / "config"
    cfg.mkdir(exist_ok=True)
    path = cfg / "publication.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_file_is_valid_and_complete(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLE)
    assert settings.publication.name == "The Steppe Dispatch"
    assert settings.publication.sections[0] == "World"
    assert settings.publication.brand.accent_color == "#d98c1f"
    assert settings.fetch.allow_private is False
    assert settings.db_url.endswith("/data/publisher.db")


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBLISHER_CONFIG", raising=False)
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    settings = load_settings()
    assert settings.source == "<defaults>"
    assert settings.data_dir == tmp_path / "data"


@pytest.mark.parametrize(("text", "field"), [
    ('[publication]\nname = "P"\nnmae = "x"\n', "publication.nmae"),
    ('[publication]\nname = 3\n', "publication.name"),
    ('[publication]\nname = "P"\ntimezone = "Mars/Olympus"\n', "publication.timezone"),
    ('[fetch]\ntimeout = "soon"\n', "fetch.timeout"),
    ('[publication.brand]\nlogo_size = 3\n', "publication.brand.logo_size"),
    ('[smtp]\nhost = "x"\n', "smtp"),
])
def test_bad_keys_name_the_key_and_the_file(tmp_path: Path, text: str, field: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.field == field
    assert str(path) in str(info.value)


def test_toml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '[publication]\nname = "P"\nbroken = \n')
    with pytest.raises(ConfigError, match=r"publication.toml:3: "):
        load_settings(path)


def test_a_password_in_the_file_is_refused(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    path = _write(tmp_path, '[store]\nurl = "postgresql+psycopg://u:hunter2@db/x"\n')
    with pytest.raises(ConfigError, match="PUBLISHER_DB") as info:
        load_settings(path)
    assert "hunter2" not in str(info.value)


def test_the_environment_and_cli_choose_the_database(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, '[store]\ndata_dir = "d"\n')
    monkeypatch.setenv("PUBLISHER_DB", "sqlite:///env.db")
    assert load_settings(path).db_url == "sqlite:///env.db"
    assert load_settings(path, db="sqlite:///cli.db").db_url == "sqlite:///cli.db"
    monkeypatch.delenv("PUBLISHER_DB")
    assert load_settings(path).db_url == f"sqlite:///{tmp_path / 'd' / 'publisher.db'}"
