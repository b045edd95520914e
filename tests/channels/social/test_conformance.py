"""The X counter against twitter-text's published conformance data, and its own library."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet  # type: ignore[import-untyped]
from twitter_text.regexp.emoji import emoji_dict  # type: ignore[import-untyped]

from channels.social import xtext

HERE = Path(__file__).parent / "conformance" / "validate.yml"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / \
    "twitter-text" / "validate.yml"
GROUPS = ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest")


def _cases() -> list[Any]:
    tests = yaml.safe_load(HERE.read_text(encoding="utf-8"))["tests"]
    return [pytest.param(case, id=f"{group}: {case['description']}")
            for group in GROUPS for case in tests[group]]


@pytest.mark.parametrize("case", _cases())
def test_weighted_length_validity_and_ranges(case: dict[str, Any]) -> None:
    assert asdict(xtext.parse(case["text"])) == case["expected"]


def test_the_copy_matches_the_shared_file_when_it_is_there() -> None:
    if not SHARED.is_file():
        pytest.skip("no ../shared beside the repository")
    assert HERE.read_bytes() == SHARED.read_bytes()


def test_every_twemoji_sequence_trips_the_fast_path_check() -> None:
    # xtext skips the emoji scan for texts without these characters.
    assert all(xtext._MAY_HOLD_EMOJI.search(e) for e in emoji_dict)


_pieces = st.sampled_from([
    "a", "Z", " ", "\n", "é", "e\u0301", "日本", "😷", "👨‍👩‍👧‍👦", "🙋🏽", "©", "1⃣", "‼",
    "https://example.org/a?b=1", "example.com", "#tag", "@user", "\ufffe", "\u202a", ".",
    "x" * 40])


@settings(max_examples=150, deadline=None)
@given(st.lists(_pieces, max_size=25).map("".join))
def test_agrees_with_the_library_parse_tweet(text: str) -> None:
    assert asdict(xtext.parse(text)) == parse_tweet(text).asdict()
