"""Subscribers: opt-in tokens, CSV import and export, bounce and complaint parsing.

The modules here are pure (no database, no web): ``tokens`` signs and checks
the links a subscriber clicks, ``csvio`` reads and writes subscriber lists,
``bounces`` turns DSNs, abuse reports and provider webhooks into events.
"""

from __future__ import annotations

__all__: list[str] = []
