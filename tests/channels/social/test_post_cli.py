"""``publisher social post`` against a local Mastodon: a thread resumes at post 3, once each."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.cli import main
from tests.channels.social.fakeapi import Reply, Request, fake_api

TOKEN = "test-token-not-a-secret"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class Mastodon:
    """Statuses get ids 101, 102, ...; the 3rd status POST fails once with 503."""

    def __init__(self) -> None:
        self.posted: list[Request] = []
        self.failed_once = False

    def __call__(self, req: Request) -> Reply:
        if req.headers.get("authorization") != f"Bearer {TOKEN}" and req.path != \
                "/api/v2/instance":
            return 401, {}, {"error": "The access token was revoked"}
        if req.path == "/api/v2/instance":
            return 200, {}, {"configuration": {"statuses": {
                "max_characters": 500, "characters_reserved_per_url": 23}}}
        if req.path == "/api/v1/statuses":
            if len(self.posted) == 2 and not self.failed_once:
                self.failed_once = True
                return 503, {}, {"error": "busy"}
            self.posted.append(req)
            return 200, {}, {"id": str(100 + len(self.posted))}
        return 200, {}, {"id": "1"}


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
          ) -> tuple[Path, Path]:
    monkeypatch.chdir(tmp_path)
    for name in ("PUBLISHER_DB", "PUBLISHER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUBLISHER_TEST_MASTODON", TOKEN)
    data = tmp_path / "data"
    for i in range(4):
        (tmp_path / f"a{i}.md").write_text(
            f"---\nid: art-{i}\nheadline: Story number {i} about grain and ferries\n"
            f"section: World\ndek: The dek of story {i}. It has two sentences.\n"
            f"authors: [Erlan Kassymov]\ntags: [trade]\n---\n\nBody {i}.\n", encoding="utf-8")
    plan = tmp_path / "plan.toml"
    plan.write_text('number = 1\ntitle = "One"\ndate = 2026-12-04\n[[sections]]\n'
                    'name = "World"\narticles = ["art-0", "art-1", "art-2", "art-3"]\n',
                    encoding="utf-8")
    assert run(capsys, "--data-dir", str(data), "import", *(
        str(tmp_path / f"a{i}.md") for i in range(4)))[0] == 0
    assert run(capsys, "--data-dir", str(data), "issue", "create", str(plan))[0] == 0
    return tmp_path, data


def _config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "social.toml"
    config.write_text(
        '[social]\nmax_retries = 0\nretry_after_cap = 0.05\n'
        '[social.accounts.masto]\nplatform = "mastodon"\n'
        f'base_url = "{url}"\nhandle = "@desk@example.social"\n'
        'credentials_env = "PUBLISHER_TEST_MASTODON"\n', encoding="utf-8")
    return config


def _post(capsys: pytest.CaptureFixture[str], config: Path, data: Path,
          *extra: str) -> tuple[int, str, str]:
    return run(capsys, "--config", str(config), "--data-dir", str(data), "social", "post",
               "1", *extra)


def test_a_thread_that_failed_at_post_3_resumes_at_post_3(
        capsys: pytest.CaptureFixture[str], setup: tuple[Path, Path]) -> None:
    tmp_path, data = setup
    mastodon = Mastodon()
    with fake_api(mastodon) as api:
        config = _config(tmp_path, api.url)
        code, out, _ = _post(capsys, config, data)
        assert code == 1 and "masto: sent 2" in out and "post 3 deferred" in out
        code, out, _ = _post(capsys, config, data)
        assert code == 0 and "masto: sent 3, already sent 2" in out
        code, out, _ = _post(capsys, config, data)
        assert code == 0 and "sent 0, already sent 5" in out
    bodies = [r.json() for r in mastodon.posted]
    assert len(bodies) == 5
    assert [b.get("in_reply_to_id") for b in bodies] == [None, "101", "102", "103", "104"]
    keys = [r.headers["idempotency-key"] for r in mastodon.posted]
    assert len(set(keys)) == 5
    # The failed attempt and its retry carried the same key: the server could dedupe.
    attempts = [r.headers["idempotency-key"] for r in api.calls("/api/v1/statuses")]
    assert attempts.count(keys[2]) == 2 and all(b["status"].endswith(
        f"{i}/5") for i, b in enumerate(bodies, 1))
    from publisher.settings import load_settings
    from publisher.store import Store
    store = Store(load_settings(config, data_dir=data).db_url)
    with store.read() as conn:
        assert store.ledger.counts(conn, 1, "social") == {"sent": 5}
        row = store.ledger.get(conn, 1, "social", "masto:3")
        assert row is not None and row.remote_id == "103" and row.attempts == 2
    store.close()


def test_dry_run_sends_nothing_and_needs_no_credentials(
        capsys: pytest.CaptureFixture[str], setup: tuple[Path, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path, data = setup
    monkeypatch.delenv("PUBLISHER_TEST_MASTODON")
    with fake_api(Mastodon()) as api:
        code, out, _ = _post(capsys, _config(tmp_path, api.url), data, "--dry-run")
    assert code == 0 and "masto 1/5" in out and "[to post]" in out and api.requests == []


def test_revoked_credentials_name_the_account_and_claim_nothing(
        capsys: pytest.CaptureFixture[str], setup: tuple[Path, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path, data = setup
    monkeypatch.setenv("PUBLISHER_TEST_MASTODON", "revoked")
    with fake_api(Mastodon()) as api:
        code, _, err = _post(capsys, _config(tmp_path, api.url), data)
    assert code == 1
    assert "account 'masto' (mastodon)" in err and "PUBLISHER_TEST_MASTODON" in err
    assert "revoked" in err and "expired or revoked" in err
    assert api.calls("/api/v1/statuses") == []


def test_a_missing_variable_is_named(capsys: pytest.CaptureFixture[str],
                                     setup: tuple[Path, Path],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path, data = setup
    monkeypatch.delenv("PUBLISHER_TEST_MASTODON")
    code, _, err = _post(capsys, _config(tmp_path, "http://127.0.0.1:9"), data)
    assert code == 1 and "PUBLISHER_TEST_MASTODON is not set" in err


def test_an_unknown_account_is_refused(capsys: pytest.CaptureFixture[str],
                                      setup: tuple[Path, Path]) -> None:
    tmp_path, data = setup
    code, _, err = _post(capsys, _config(tmp_path, "http://127.0.0.1:9"), data,
                         "--account", "nope")
    assert code == 2 and "no social account 'nope' (known: masto)" in err


def test_a_secret_in_the_settings_file_is_refused(tmp_path: Path) -> None:
    from publisher.errors import ConfigError
    from publisher.settings import load_settings
    config = tmp_path / "s.toml"
    config.write_text('[social.accounts.m]\nplatform = "mastodon"\nbase_url = "https://m.x"\n'
                      'credentials_env = "M"\ntoken = "abc"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="is a secret"):
        load_settings(config, data_dir=tmp_path)
