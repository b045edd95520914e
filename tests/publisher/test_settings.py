"""Settings are read strictly; secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.errors import ConfigError
from publisher.settings import load_settings, secret_keys

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
    ('[fetch]\ntimeout = -1\n', "fetch.timeout"),
    ('[fetch]\ntrusted_networks = ["10.0.0.0/33"]\n', "fetch.trusted_networks"),
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


# --- [web], [email] and the signing keys ---------------------------------------------


def test_web_and_email_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLISHER_SMTP_PASSWORD", raising=False)
    settings = load_settings(_write(tmp_path, ""))
    web, mail = settings.web, settings.email
    assert (web.host, web.port, web.signup_rate_per_ip, web.signup_rate_per_address,
            web.confirm_max_age_days) == ("127.0.0.1", 8000, 5, 3, 7)
    assert (mail.transport, mail.smtp_port, mail.smtp_security, mail.smtp_user,
            mail.smtp_timeout) == ("outbox", 587, "starttls", "", 30.0)
    assert mail.outbox_dir == tmp_path / "data" / "outbox"


def test_the_example_web_and_email_tables_match_the_defaults() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.web.port == 8000
    assert settings.email.transport == "outbox"
    assert settings.email.outbox_dir.name == "outbox"


def test_smtp_settings_with_the_password_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", "hunter2")
    path = _write(tmp_path, '[email]\ntransport = "smtp"\nsmtp_host = "mail.example.org"\n'
                  'smtp_port = 465\nsmtp_security = "tls"\nsmtp_user = "news"\n'
                  'smtp_timeout = 5\n[web]\nport = 9000\nsignup_rate_per_ip = 50\n')
    settings = load_settings(path)
    mail = settings.email
    assert (mail.smtp_host, mail.smtp_port, mail.smtp_security, mail.smtp_user,
            mail.smtp_password, mail.smtp_timeout) == (
        "mail.example.org", 465, "tls", "news", "hunter2", 5.0)
    assert "hunter2" not in repr(settings)
    assert (settings.web.port, settings.web.signup_rate_per_ip) == (9000, 50)


@pytest.mark.parametrize(("text", "field"), [
    ('[web]\nport = 0\n', "web.port"),
    ('[web]\nport = 70000\n', "web.port"),
    ('[web]\nsignup_rate_per_ip = 0\n', "web.signup_rate_per_ip"),
    ('[web]\nconfirm_max_age_days = "7"\n', "web.confirm_max_age_days"),
    ('[web]\nhots = "x"\n', "web.hots"),
    ('[email]\ntransport = "carrier-pigeon"\n', "email.transport"),
    ('[email]\nsmtp_security = "ssl"\n', "email.smtp_security"),
    ('[email]\nsmtp_timeout = 0\n', "email.smtp_timeout"),
    ('[email]\nsmtp_password = "hunter2"\n', "email.smtp_password"),
    ('[email]\ntransport = "smtp"\nsmtp_user = "u"\n', "email.smtp_user"),
])
def test_bad_web_and_email_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  text: str, field: str) -> None:
    monkeypatch.delenv("PUBLISHER_SMTP_PASSWORD", raising=False)
    with pytest.raises(ConfigError) as info:
        load_settings(_write(tmp_path, text))
    assert info.value.field == field
    assert "hunter2" not in str(info.value)


def test_secret_keys_from_the_environment(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = "o" * 20, "n" * 20
    monkeypatch.setenv("PUBLISHER_SECRET_KEYS", f" {old} , {new},")
    settings = load_settings(_write(tmp_path, ""))
    assert secret_keys(settings) == (old, new)
    assert old not in repr(settings)
    assert not (settings.data_dir / "secret.key").exists()
    monkeypatch.setenv("PUBLISHER_SECRET_KEYS", f"{old},short")
    with pytest.raises(ConfigError) as info:
        load_settings(_write(tmp_path, ""))
    assert info.value.field == "PUBLISHER_SECRET_KEYS"
    assert old not in str(info.value)


def test_without_keys_one_is_generated_once_and_kept(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLISHER_SECRET_KEYS", raising=False)
    settings = load_settings(_write(tmp_path, ""))
    first = secret_keys(settings)
    path = settings.data_dir / "secret.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first) == 1 and len(first[0]) >= 32
    assert secret_keys(load_settings(_write(tmp_path, ""))) == first
    path.write_text("short\n")
    with pytest.raises(ConfigError, match=r"secret\.key"):
        secret_keys(settings)
