"""The subscriber web app (FastAPI): signup, confirmation, unsubscribe, preferences, webhooks.

``create_app(app)`` builds it over a wired ``publisher.app.App``;
``publisher serve`` runs it with uvicorn.
"""

from __future__ import annotations

from publisher.web.app import create_app

__all__ = ["create_app"]
