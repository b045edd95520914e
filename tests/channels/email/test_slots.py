"""Slots: markers in, values out, quoted-printable prepared once and still exact."""

from __future__ import annotations

import binascii
import re

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.email.slots import SLOT_KEYS, SlotRegistry, Slots, SlotTemplate


def _template(source: str, *, html: bool, nonce: str | None = None) -> SlotTemplate:
    registry = SlotRegistry(nonce)
    env = jinja2.Environment(autoescape=html, undefined=jinja2.StrictUndefined)
    text = env.from_string(source).render(recipient=Slots(registry))
    return SlotTemplate(text, registry, html=html)


def test_slots_fill_with_escaping_and_fallbacks() -> None:
    t = _template('<a href="{{ recipient.unsubscribe_url }}">x</a> Hi {{ recipient.name.or_('
                  '"reader & co") }}!', html=True)
    assert t.keys == {"unsubscribe_url", "name"}
    assert t.fill({"unsubscribe_url": "https://x/u?a=1&b=2", "name": "<Ann>"}) == (
        '<a href="https://x/u?a=1&amp;b=2">x</a> Hi &lt;Ann&gt;!')
    assert t.fill({"unsubscribe_url": "u", "name": ""}).endswith("Hi reader &amp; co!")
    plain = _template("Hi {{ recipient.name.or_('reader & co') }}", html=False)
    assert plain.fill({"name": ""}) == "Hi reader & co"
    assert plain.tagged(lambda i: f"[{i}]") == "Hi [0]"


def test_unknown_slots_are_template_errors() -> None:
    with pytest.raises(jinja2.UndefinedError):
        _template("{{ recipient.password }}", html=False)
    assert set(SLOT_KEYS) == {"email", "name", "preferences_url", "unsubscribe_url"}


_texts = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r"),
                 max_size=300) | st.sampled_from([".", ".\n.", "a\n.b", "." * 80])


@settings(max_examples=200, deadline=None)
@given(chunks=st.lists(_texts, min_size=1, max_size=5), values=st.lists(_texts, max_size=5),
       html=st.booleans())
def test_quoted_printable_fill_decodes_to_the_plain_fill(chunks: list[str], values: list[str],
                                                         html: bool) -> None:
    registry = SlotRegistry("slotfixednonce")
    keys = list(SLOT_KEYS)
    markers = [registry.marker(keys[i % len(keys)]) for i in range(len(chunks) - 1)]
    source = chunks[0] + "".join(m + c for m, c in zip(markers, chunks[1:], strict=True))
    template = SlotTemplate(source, registry, html=html)
    filled = {k: (values[i] if i < len(values) else "") for i, k in enumerate(keys)}
    encoded = template.quoted_printable().fill(filled)
    assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))
    assert b"\n" not in encoded.replace(b"\r\n", b"")
    decoded = binascii.a2b_qp(encoded).replace(b"\r\n", b"\n")
    assert decoded == template.fill(filled).encode("utf-8")
    # The SMTP form, dot-stuffed once at preparation, is what stuffing on the wire gives.
    stuffed = template.quoted_printable(stuffed=True).fill(filled)
    assert stuffed == re.sub(rb"(?m)^\.", b"..", encoded)
