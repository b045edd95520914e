"""The channel renders every platform, and its checks catch missing alt text and long posts."""

from __future__ import annotations

import json
from pathlib import Path

from channels.social.channel import RENDERED, SocialChannel
from publisher.content import Article, Image
from publisher.settings import load_settings
from tests.channels.social.conftest import issue_of


def _channel(tmp_path: Path) -> SocialChannel:
    return SocialChannel(load_settings(None, data_dir=tmp_path))


def test_render_writes_each_platform_as_json_and_text(tmp_path: Path) -> None:
    art = Article(id="a", headline="Ferries", dek="Two ships.",
                  lead_image=Image(src="https://i.example/a.jpg", alt="A ship"))
    paths = _channel(tmp_path).render(issue_of(art), tmp_path, {})
    assert {p.name for p in paths} == {f"{p}.{e}" for p in RENDERED for e in ("json", "txt")}
    mastodon = json.loads((tmp_path / "mastodon.json").read_text(encoding="utf-8"))
    assert mastodon["posts"][1]["media"] == [{"src": "https://i.example/a.jpg", "alt": "A ship"}]
    bluesky = json.loads((tmp_path / "bluesky.json").read_text(encoding="utf-8"))
    assert bluesky["posts"][1]["card"]["thumb"] == "https://i.example/a.jpg"


def test_an_image_without_alt_text_fails_the_social_check(tmp_path: Path) -> None:
    art = Article(id="a", headline="Ferries", lead_image=Image(src="https://i.example/a.jpg"))
    channel = _channel(tmp_path)
    found = list(channel.images_have_alt_text(issue_of(art), channel.settings))
    assert {f.code for f in found} == {"post-alt"} and all(f.where == "a" for f in found)


def test_a_post_over_its_limit_fails_the_social_check(tmp_path: Path) -> None:
    # A link longer than Bluesky's whole limit cannot be fitted.
    art = Article(id="a", headline="H", canonical_url="https://e.org/" + "p" * 400)
    channel = _channel(tmp_path)
    found = list(channel.posts_fit(issue_of(art), channel.settings))
    assert any(f.code == "post-length" and "bluesky" in f.message for f in found)
