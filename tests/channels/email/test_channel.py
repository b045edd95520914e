"""The channel in the app: render command, settings, transport choice."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import pytest

from channels.email import EmailChannel, MaildirOutbox
from channels.email.mailgun import MailgunMailer
from channels.email.postmark import PostmarkMailer
from channels.email.sendgrid import SendGridMailer
from channels.email.smtp_pool import SmtpPool
from channels.email.transports import make_transport
from publisher.app import build_app
from publisher.cli import main
from publisher.content import Issue
from publisher.errors import ConfigError, ContentError
from publisher.settings import load_settings
from tests.channels.email.conftest import make_settings


def test_render_writes_html_text_and_a_sample_eml(channel: EmailChannel, issue: Issue,
                                                  tmp_path: Path) -> None:
    files = channel.render(issue, tmp_path / "out", {"digest_mode": "full"})
    assert [f.name for f in files] == ["email.html", "email.txt", "email.eml"]
    html = (tmp_path / "out" / "email.html").read_text(encoding="utf-8")
    assert "Hello Sample Reader," in html and "Why it matters" in html
    parsed = email.message_from_bytes((tmp_path / "out" / "email.eml").read_bytes(),
                                      policy=email.policy.default)
    assert parsed["To"] == "Sample Reader <reader@example.org>"
    text_only = channel.render(issue, tmp_path / "text", {"segment": "text"})
    assert [f.name for f in text_only] == ["email.txt", "email.eml"]
    with pytest.raises(ContentError):
        channel.render(issue, tmp_path / "x", {"digest_mode": "everything"})


def test_renders_are_cached_per_issue_version(channel: EmailChannel, issue: Issue) -> None:
    assert channel.prepare(issue) is channel.prepare(issue)
    assert channel.prepare(issue, "text") is not channel.prepare(issue)


def test_the_render_command(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    monkeypatch.delenv("PUBLISHER_CONFIG", raising=False)
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "demo", "--no-send"]) == 0
    out = tmp_path / "out"
    assert main(["--data-dir", str(data), "render", "1", "--channel", "email", "--out",
                 str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"email.html", "email.txt", "email.eml"}
    assert main(["--data-dir", str(data), "check", "1", "--channel", "email"]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_the_app_has_the_email_channel(tmp_path: Path) -> None:
    app = build_app(make_settings(tmp_path))
    assert isinstance(app.channel("email"), EmailChannel)
    assert isinstance(app.transport, MaildirOutbox)  # the default: nothing leaves
    codes = {c.__name__ for c in app.checks("email")}
    assert {"postal", "unsubscribe", "size", "links_and_images", "preheader"} <= codes
    app.close()


@pytest.mark.parametrize(("kind", "cls", "extra"), [
    ("smtp", SmtpPool, {"smtp_security": "none"}),
    ("postmark", PostmarkMailer, {"api_key": "k"}),
    ("sendgrid", SendGridMailer, {"api_key": "k"}),
    ("mailgun", MailgunMailer, {"api_key": "k", "mailgun_domain": "mg.example.org"}),
])
def test_make_transport_builds_the_configured_one(tmp_path: Path, kind: str, cls: type,
                                                  extra: dict[str, Any]) -> None:
    transport = make_transport(make_settings(tmp_path, transport=kind, **extra).email)
    assert isinstance(transport, cls)
    transport.close()


def _write(tmp_path: Path, email_table: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"[email]\n{email_table}", encoding="utf-8")
    return path


def test_email_settings_read_strictly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_SENDGRID_API_KEY", "sg-secret")
    monkeypatch.setenv("PUBLISHER_DKIM_PRIVATE_KEY", "pem-secret")
    settings = load_settings(_write(tmp_path, (
        'transport = "sendgrid"\ndigest_mode = "full"\nrate_per_second = 20\n'
        'rate_per_hour = 50000\npool_size = 8\nutm_source = "newsletter"\n'
        'dkim_selector = "s1"\ndkim_domain = "news.example.org"\ntemplates_dir = "theme"\n'
        'api_url = "http://127.0.0.1:9/"\n')))
    e = settings.email
    assert (e.transport, e.digest_mode, e.rate_per_second, e.rate_per_hour, e.pool_size) == (
        "sendgrid", "full", 20.0, 50000, 8)
    assert (e.api_key, e.dkim_private_key, e.api_url) == (
        "sg-secret", "pem-secret", "http://127.0.0.1:9")
    assert e.templates_dir == (tmp_path / "theme").resolve()
    assert "sg-secret" not in repr(settings) and "pem-secret" not in repr(settings)


@pytest.mark.parametrize(("text", "field"), [
    ('api_key = "x"\n', "email.api_key"),
    ('dkim_private_key = "x"\n', "email.dkim_private_key"),
    ('transport = "postmark"\n', "email.transport"),
    ('digest_mode = "all"\n', "email.digest_mode"),
    ('pool_size = 0\n', "email.pool_size"),
    ('rate_per_second = -1\n', "email.rate_per_second"),
    ('list_id = "a b"\n', "email.list_id"),
    ('dkim_selector = "s1"\n', "email.dkim_selector"),
    ('colour = "red"\n', "email.colour"),
])
def test_bad_email_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                            field: str) -> None:
    for var in ("PUBLISHER_POSTMARK_TOKEN", "PUBLISHER_DKIM_PRIVATE_KEY"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigError) as info:
        load_settings(_write(tmp_path, text))
    assert info.value.field == field
