"""Each poster against a local server playing its platform: request shapes, idempotency, 429."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from channels.social.compose import Composer
from channels.social.dispatch import post_account
from channels.social.posters import PostError, make_poster, render_platform
from channels.social.posters.base import PostKey
from channels.social.posters.bluesky import record_key
from publisher.content import Article, Author, Image, Quote
from publisher.fetch import FetchResult
from publisher.settings import SocialAccount, SocialOptions
from publisher.store import Store
from publisher.store.db import sqlite_url
from tests.channels.social.conftest import issue_of
from tests.channels.social.fakeapi import Reply, Request, fake_api

OPTIONS = SocialOptions(max_retries=2, retry_after_cap=0.5, timeout=5)
ARTICLES = tuple(Article(
    id=f"a{i}", headline=f"Story {i} about ferries", dek=f"Dek {i}. More words here.",
    authors=(Author(name="Erlan Kassymov"),), tags=("trade", "central asia"),
    canonical_url=f"https://news.example.org/a{i}",
    lead_image=Image(src=f"https://img.example/{i}.jpg", alt=f"Ferry {i}"),
    body=(Quote(text="Every sailing counts.", attribution="A. Nurlanova"),)) for i in range(3))
ISSUE = issue_of(*ARTICLES)


def fetch(url: str) -> FetchResult:
    return FetchResult(url=url, content=b"\x89PNG fake", content_type="image/png")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(sqlite_url(tmp_path / "p.db"))


def account(platform: str, url: str, monkeypatch: pytest.MonkeyPatch, secret: str,
            **kw: Any) -> SocialAccount:
    monkeypatch.setenv("PUBLISHER_TEST_SECRET", secret)
    return SocialAccount(name=f"{platform}-1", platform=platform, base_url=url,
                         credentials_env="PUBLISHER_TEST_SECRET", **kw)


def run(store: Store, acc: SocialAccount, composer: Composer,
        sleeps: list[float] | None = None) -> Any:
    poster = make_poster(acc, OPTIONS, fetch, sleep=(sleeps if sleeps is not None else [])
                         .append)
    rule = poster.verify()
    posts = composer.posts(ISSUE, render_platform(acc), rule)
    try:
        return post_account(store, ISSUE, poster, posts), posts
    finally:
        poster.close()


# -- Bluesky ------------------------------------------------------------------

class Pds:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.lose_answer_once = True

    def __call__(self, req: Request) -> Reply:
        if req.path.endswith("createSession"):
            body = req.json()
            if body["password"] != "app-pass":
                return 401, {}, {"error": "AuthenticationRequired", "message": "bad password"}
            return 200, {}, {"did": "did:plc:desk", "accessJwt": "jwt-1"}
        if req.path.endswith("uploadBlob"):
            return 200, {}, {"blob": {"$type": "blob", "ref": {"$link": "bafyblob"},
                                      "mimeType": "image/png", "size": 9}}
        if req.path.endswith("getRecord"):
            rkey = req.query["rkey"][0]
            return 200, {}, {"uri": f"at://did:plc:desk/app.bsky.feed.post/{rkey}",
                             "cid": f"cid-{rkey}", "value": self.records[rkey]}
        write = req.json()["writes"][0]
        if write["rkey"] in self.records:
            return 400, {}, {"error": "InvalidRequest", "message": "Record already exists"}
        self.records[write["rkey"]] = write["value"]
        if len(self.records) == 2 and self.lose_answer_once:
            # Written, but the answer is lost: the retry must find it, not post again.
            self.lose_answer_once = False
            return 502, {}, {"error": "gateway"}
        rkey = write["rkey"]
        return 200, {}, {"results": [{"$type": "com.atproto.repo.applyWrites#createResult",
                                      "uri": f"at://did:plc:desk/app.bsky.feed.post/{rkey}",
                                      "cid": f"cid-{rkey}"}]}


def test_bluesky_writes_each_post_once_under_a_derived_key(
        store: Store, composer: Composer, monkeypatch: pytest.MonkeyPatch) -> None:
    pds = Pds()
    with fake_api(pds) as api:
        acc = account("bluesky", api.url, monkeypatch, "app-pass", handle="desk.bsky.social")
        result, _ = run(store, acc, composer)
    assert result.ok and result.sent == [1, 2, 3, 4]
    assert len(pds.records) == 4
    writes = [r.json() for r in api.calls("/xrpc/com.atproto.repo.applyWrites")]
    assert writes[0]["repo"] == "did:plc:desk" and writes[0]["validate"] is True
    keys = [record_key(PostKey(1, ISSUE.date, "bluesky-1", i)) for i in range(1, 5)]
    assert list(pds.records) == keys and keys == sorted(keys)
    assert all(len(k) == 13 for k in keys)
    first, second, third = (pds.records[k] for k in keys[:3])
    assert "reply" not in first
    assert second["reply"]["root"] == second["reply"]["parent"] == {
        "uri": f"at://did:plc:desk/app.bsky.feed.post/{keys[0]}", "cid": f"cid-{keys[0]}"}
    assert third["reply"]["root"]["cid"] == f"cid-{keys[0]}"
    assert third["reply"]["parent"]["cid"] == f"cid-{keys[1]}"
    assert second["embed"]["$type"] == "app.bsky.embed.external"
    assert second["embed"]["external"]["thumb"]["ref"]["$link"] == "bafyblob"
    link = next(f for f in second["facets"]
                if f["features"][0]["$type"] == "app.bsky.richtext.facet#link")
    raw = second["text"].encode()
    span = raw[link["index"]["byteStart"]:link["index"]["byteEnd"]]
    assert span.decode() == link["features"][0]["uri"] == "https://news.example.org/a0"
    assert all(r.headers["authorization"] == "Bearer jwt-1" for r in api.requests
               if "createSession" not in r.path)


def test_bluesky_bad_password_names_the_account(
        store: Store, composer: Composer, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_api(Pds()) as api:
        acc = account("bluesky", api.url, monkeypatch, "wrong", handle="desk.bsky.social")
        with pytest.raises(PermissionError,
                           match=r"account .bluesky-1. .*PUBLISHER_TEST_SECRET"):
            run(store, acc, composer)


# -- Mastodon media, 429 ------------------------------------------------------

def test_mastodon_uploads_media_with_its_alt_text_and_honours_retry_after(
        store: Store, composer: Composer, monkeypatch: pytest.MonkeyPatch) -> None:
    limited = {"left": 1}

    def respond(req: Request) -> Reply:
        if req.path == "/api/v2/instance":
            return 200, {}, {"configuration": {"statuses": {
                "max_characters": 1000, "characters_reserved_per_url": 30}}}
        if req.path == "/api/v2/media":
            return 200, {}, {"id": "m1", "url": "https://files/m1.png"}
        if req.path == "/api/v1/statuses" and limited["left"]:
            limited["left"] -= 1
            return 429, {"Retry-After": "0.2"}, {"error": "Too many requests"}
        return 200, {}, {"id": str(len(api.requests))}

    sleeps: list[float] = []
    with fake_api(respond) as api:
        acc = account("mastodon", api.url, monkeypatch, "tok")
        result, posts = run(store, acc, composer, sleeps)
    assert result.ok and sleeps == [0.2]
    assert posts[0].limit == 1000
    uploads = api.calls("/api/v2/media")
    assert len(uploads) == 3 and b'name="description"' in uploads[0].body
    assert b"Ferry 0" in uploads[0].body
    statuses = [r.json() for r in api.calls("/api/v1/statuses")]
    assert statuses[-1]["media_ids"] == ["m1"]


def test_a_retry_after_beyond_the_cap_defers_the_post(
        store: Store, composer: Composer, monkeypatch: pytest.MonkeyPatch) -> None:
    def respond(req: Request) -> Reply:
        if req.path == "/api/v1/statuses":
            return 429, {"Retry-After": "3600"}, {"error": "Too many requests"}
        return 200, {}, {"id": "1", "url": "u"}

    sleeps: list[float] = []
    with fake_api(respond) as api:
        result, _ = run(store, account("mastodon", api.url, monkeypatch, "t"), composer, sleeps)
    assert not result.ok and "deferred" in result.stopped and sleeps == []
    with store.read() as conn:
        assert store.ledger.counts(conn, 1, "social") == {"deferred": 1}


# -- X ------------------------------------------------------------------------

def test_x_signs_with_oauth1_and_replies_in_a_thread(
        store: Store, composer: Composer, monkeypatch: pytest.MonkeyPatch) -> None:
    def respond(req: Request) -> Reply:
        if req.path == "/2/tweets":
            return 201, {}, {"data": {"id": f"t{len(api.calls('/2/tweets'))}", "text": "."}}
        return 200, {}, {"data": {"id": "u1"}}

    with fake_api(respond) as api:
        acc = account("x", api.url, monkeypatch, "ck:cs:at:as")
        result, posts = run(store, acc, composer)
    assert result.ok
    tweets = api.calls("/2/tweets")
    assert all(r.headers["authorization"].startswith("OAuth ") for r in tweets)
    assert 'oauth_consumer_key="ck"' in tweets[0].headers["authorization"]
    assert 'oauth_token="at"' in tweets[0].headers["authorization"]
    bodies = [r.json() for r in tweets]
    assert "reply" not in bodies[0]
    assert [b["reply"]["in_reply_to_tweet_id"] for b in bodies[1:]] == ["t1", "t2", "t3"]
    assert all(p.length <= 280 for p in posts)


def test_x_credentials_must_hold_four_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    acc = account("x", "http://127.0.0.1:9", monkeypatch, "only-one")
    with pytest.raises(PermissionError,
                       match="API_KEY:API_SECRET:ACCESS_TOKEN:ACCESS_SECRET"):
        make_poster(acc, OPTIONS, fetch)


# -- LinkedIn, Telegram, webhooks --------------------------------------------

def test_linkedin_posts_an_escaped_digest_with_an_article_card(
        store: Store, composer: Composer, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_api(lambda req: (201, {"x-restli-id": "urn:li:share:7"}, b"")) as api:
        acc = account("linkedin", api.url, monkeypatch, "li-token",
                      handle="urn:li:organization:42")
        result, _ = run(store, acc, composer)
    assert result.ok
    (req,) = api.calls("/rest/posts")
    body = req.json()
    assert req.headers["linkedin-version"] and req.headers["x-restli-protocol-version"]
    assert req.headers["authorization"] == "Bearer li-token"
    assert body["author"] == "urn:li:organization:42" and body["lifecycleState"] == "PUBLISHED"
    assert body["content"]["article"]["source"] == "https://news.example.org/issues/1"
    assert "https://news.example.org/a0" in body["commentary"]
    with store.read() as conn:
        row = store.ledger.get(conn, 1, "social", "linkedin-1:1")
        assert row is not None and row.remote_id == "urn:li:share:7"


def test_telegram_sends_photos_with_captions_and_keeps_the_token_out_of_errors(
        store: Store, composer: Composer, monkeypatch: pytest.MonkeyPatch) -> None:
    def respond(req: Request) -> Reply:
        if req.path.endswith("/sendPhoto") and len(api.calls(req.path)) == 2:
            return 400, {}, {"ok": False, "description": "Bad Request: wrong file"}
        return 200, {}, {"ok": True, "result": {"message_id": len(api.requests)}}

    with fake_api(respond) as api:
        acc = account("telegram", api.url, monkeypatch, "123:SECRET", handle="@dispatch")
        result, posts = run(store, acc, composer)
    assert api.requests[0].path == "/bot123:SECRET/getMe"
    message = api.calls("/bot123:SECRET/sendMessage")[0].json()
    assert message["parse_mode"] == "HTML" and message["chat_id"] == "@dispatch"
    photo = api.calls("/bot123:SECRET/sendPhoto")[0].json()
    assert photo["photo"] == "https://img.example/0.jpg" and posts[1].limit == 1024
    assert "<b>Story 0 about ferries</b>" in photo["caption"]
    assert not result.ok and "SECRET" not in result.stopped and "400" in result.stopped


@pytest.mark.parametrize(("shape", "field"), [("slack", "text"), ("discord", "content"),
                                              ("mattermost", "text")])
def test_webhooks_post_their_own_json_shape(
        store: Store, composer: Composer, monkeypatch: pytest.MonkeyPatch, shape: str,
        field: str) -> None:
    with fake_api(lambda req: (200, {}, {"id": "m9"})) as api:
        acc = account("webhook", "", monkeypatch, f"{api_url(api)}/hooks/abc", shape=shape,
                      handle="Dispatch")
        result, _ = run(store, acc, composer)
    assert result.ok
    (req,) = api.calls("/hooks/abc")
    body = req.json()
    assert "Story 2 about ferries" in body[field]
    if shape == "discord":
        assert body["allowed_mentions"] == {"parse": []} and req.query == {"wait": ["true"]}
    if shape == "slack":
        assert "<https://news.example.org/a0|Story 0 about ferries>" in body["text"]


def api_url(api: Any) -> str:
    return str(api.url)


def test_a_5xx_after_the_retries_is_deferred_and_the_next_run_resumes(
        store: Store, composer: Composer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}

    def respond(req: Request) -> Reply:
        if req.path == "/api/v1/statuses":
            calls["n"] += 1
            if calls["n"] in (3, 4, 5):  # post 3: the first try and both retries
                return 500, {}, {"error": "oops"}
        return 200, {}, {"id": str(calls["n"]), "url": "u"}

    with fake_api(respond) as api:
        acc = account("mastodon", api.url, monkeypatch, "t")
        first, _ = run(store, acc, composer)
        second, _ = run(store, acc, composer)
    assert first.sent == [1, 2] and "post 3 deferred" in first.stopped
    assert second.skipped == [1, 2] and second.sent == [3, 4]
    replies = [r.json().get("in_reply_to_id") for r in api.calls("/api/v1/statuses")]
    assert replies == [None, "1", "2", "2", "2", "2", "6"]


def test_post_errors_carry_the_ledger_status() -> None:
    assert PostError("x", "unknown").status == "unknown"
