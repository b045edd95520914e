"""Confirmation and link tokens: round trips, tampering, expiry, scope, key rotation."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publisher.audience.tokens import ConfirmTokens, LinkTokens, TokenError
from publisher.errors import ConfigError, PublisherError

OLD = "old-key-0123456789abcdef"
NEW = "new-key-fedcba9876543210"
GONE = "gone-key-aaaaaaaaaaaaaaaa"
T0 = 1_800_000_000.0


class Clock:
    """A clock the test moves by hand, so expiry needs no sleeping."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def flip(text: str, index: int) -> str:
    """*text* with one base64url character changed in its top bit.

    The top bit is never one of the unused padding bits of a final character,
    so the change always alters the decoded bytes.
    """
    char = text[index]
    replacement = B64[B64.index(char) ^ 32] if char in B64 else "A"
    return text[:index] + replacement + text[index + 1 :]


# --- ConfirmTokens ---------------------------------------------------------


def test_confirm_round_trip() -> None:
    tokens = ConfirmTokens([NEW])
    assert tokens.loads(tokens.dumps(42, "weekly")) == (42, "weekly")


def test_confirm_token_is_url_safe() -> None:
    token = ConfirmTokens([NEW]).dumps(42, "weekly news/ü")
    assert all(c.isalnum() or c in "-_." for c in token)


@pytest.mark.parametrize("index", [0, 5, -1, -30])
def test_confirm_tampered(index: int) -> None:
    tokens = ConfirmTokens([NEW], clock=Clock())
    with pytest.raises(TokenError, match="invalid"):
        tokens.loads(flip(tokens.dumps(42, "weekly"), index))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "é" * 10, "." * 3])
def test_confirm_malformed(token: str) -> None:
    with pytest.raises(TokenError, match="invalid"):
        ConfirmTokens([NEW]).loads(token)


def test_confirm_expired_has_its_own_message() -> None:
    clock = Clock()
    tokens = ConfirmTokens([NEW], max_age=3600, clock=clock)
    token = tokens.dumps(42, "weekly")
    clock.now = T0 + 3600
    assert tokens.loads(token) == (42, "weekly")
    clock.now = T0 + 3601
    with pytest.raises(TokenError, match="expired") as caught:
        tokens.loads(token)
    assert "invalid" not in str(caught.value)


def test_confirm_other_salt_is_refused() -> None:
    token = ConfirmTokens([NEW], salt="publisher.other").dumps(42, "weekly")
    with pytest.raises(TokenError, match="invalid"):
        ConfirmTokens([NEW]).loads(token)


def test_confirm_signed_payload_of_wrong_shape_is_refused() -> None:
    tokens = ConfirmTokens([NEW])
    forged = tokens._serializer.dumps({"id": 42})
    with pytest.raises(TokenError, match="invalid"):
        tokens.loads(forged)


def test_confirm_key_rotation() -> None:
    before = ConfirmTokens([OLD]).dumps(1, "weekly")
    rotated = ConfirmTokens([OLD, NEW])
    assert rotated.loads(before) == (1, "weekly")
    after = rotated.dumps(2, "weekly")
    # Signed with the newest key: a verifier that dropped the old one accepts it.
    assert ConfirmTokens([NEW]).loads(after) == (2, "weekly")
    with pytest.raises(TokenError):
        ConfirmTokens([OLD]).loads(after)
    with pytest.raises(TokenError):
        ConfirmTokens([NEW]).loads(before)


def test_token_error_is_a_publisher_value_error() -> None:
    assert issubclass(TokenError, PublisherError)
    assert issubclass(TokenError, ValueError)


@pytest.mark.parametrize("keys", [[], ["short"], NEW])
@pytest.mark.parametrize("kind", [ConfirmTokens, LinkTokens])
def test_bad_keys_are_config_errors(kind: type[object], keys: list[str] | str) -> None:
    with pytest.raises(ConfigError, match="secret_keys"):
        kind(keys)  # type: ignore[call-arg]


@pytest.mark.parametrize(("subscriber_id", "list_id"), [(True, "weekly"), ("1", "weekly")])
def test_confirm_refuses_bad_ids(subscriber_id: object, list_id: str) -> None:
    with pytest.raises(TypeError):
        ConfirmTokens([NEW]).dumps(subscriber_id, list_id)  # type: ignore[arg-type]


def test_confirm_refuses_empty_list_id() -> None:
    with pytest.raises(ValueError, match="list_id"):
        ConfirmTokens([NEW]).dumps(1, "")


# --- LinkTokens ------------------------------------------------------------


@given(st.integers(min_value=0, max_value=2**53), st.text(min_size=1, max_size=60))
def test_link_round_trip(subscriber_id: int, list_id: str) -> None:
    tokens = LinkTokens([NEW])
    token = tokens.make("unsubscribe", subscriber_id, list_id)
    assert all(c.isalnum() or c in "-_." for c in token)
    assert tokens.verify(token, "unsubscribe") == (subscriber_id, list_id)
    assert tokens.verify(token, "unsubscribe", list_id) == (subscriber_id, list_id)


def test_link_token_is_stable() -> None:
    # No expiry and no randomness: the same link in every copy of an Issue.
    assert LinkTokens([NEW]).make("preferences", 7, "weekly") == LinkTokens([NEW]).make(
        "preferences", 7, "weekly"
    )


def test_link_tampered_in_each_part() -> None:
    tokens = LinkTokens([NEW])
    token = tokens.make("unsubscribe", 42, "weekly")
    body, mac = token.split(".")
    for index in range(len(body)):
        with pytest.raises(TokenError, match="invalid"):
            tokens.verify(f"{flip(body, index)}.{mac}", "unsubscribe")
    for index in range(len(mac)):
        with pytest.raises(TokenError, match="invalid"):
            tokens.verify(f"{body}.{flip(mac, index)}", "unsubscribe")


@pytest.mark.parametrize("token", ["", ".", "abc", "abc.", ".abc", "a.b.c", "é.é", "x" * 600])
def test_link_malformed(token: str) -> None:
    with pytest.raises(TokenError, match="invalid"):
        LinkTokens([NEW]).verify(token, "unsubscribe")


def test_link_refuses_a_token_it_could_not_verify() -> None:
    with pytest.raises(ValueError, match="too long"):
        LinkTokens([NEW]).make("unsubscribe", 1, "x" * 400)


def test_link_wrong_purpose() -> None:
    tokens = LinkTokens([NEW])
    token = tokens.make("preferences", 42, "weekly")
    with pytest.raises(TokenError, match="not for unsubscribe"):
        tokens.verify(token, "unsubscribe")


def test_link_wrong_list() -> None:
    tokens = LinkTokens([NEW])
    token = tokens.make("unsubscribe", 42, "weekly")
    with pytest.raises(TokenError, match="another list"):
        tokens.verify(token, "unsubscribe", expected_list_id="daily")


def test_link_unknown_purpose_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="purpose"):
        LinkTokens([NEW]).make("delete", 1, "weekly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="purpose"):
        LinkTokens([NEW]).verify("a.b", "delete")  # type: ignore[arg-type]


def test_link_mac_binds_the_payload_not_just_the_ids() -> None:
    # A validly signed body with a swapped payload is still just a bad MAC.
    tokens = LinkTokens([NEW])
    _, mac = tokens.make("unsubscribe", 42, "weekly").split(".")
    other = base64.urlsafe_b64encode(json.dumps(["unsubscribe", 43, "weekly"]).encode())
    with pytest.raises(TokenError, match="invalid"):
        tokens.verify(f"{other.decode().rstrip('=')}.{mac}", "unsubscribe")


def test_link_key_rotation() -> None:
    before = LinkTokens([OLD]).make("unsubscribe", 1, "weekly")
    rotated = LinkTokens([OLD, NEW])
    assert rotated.verify(before, "unsubscribe") == (1, "weekly")
    after = rotated.make("unsubscribe", 1, "weekly")
    assert after != before
    assert after == LinkTokens([NEW]).make("unsubscribe", 1, "weekly")
    assert LinkTokens([NEW]).verify(after, "unsubscribe") == (1, "weekly")
    with pytest.raises(TokenError):
        LinkTokens([NEW, GONE]).verify(before, "unsubscribe")
