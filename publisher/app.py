"""Composition root: ``build_app(settings)`` wires every concrete part, once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from channels.base import Channel, Transport
from channels.email import EmailChannel
from channels.email.transports import make_transport as make_email_transport
from channels.pdf import PdfChannel
from channels.social import SocialChannel
from publisher.audience.signup import SignupLimiter, SignupService
from publisher.audience.tokens import ConfirmTokens, LinkTokens
from publisher.errors import ContentError
from publisher.fetch import SafeFetcher
from publisher.preflight import CORE_CHECKS, Check
from publisher.scheduler import Planner, parse_offset
from publisher.settings import EmailOptions, Settings, secret_keys
from publisher.store import Store
from publisher.worker import Deliverer, Recurring, Worker, WorkerOptions

__all__ = ["App", "build_app", "make_transport"]

_DAY = 86400


@dataclass(slots=True)
class App:
    """The parts a command or the web app works with."""

    settings: Settings
    store: Store
    fetcher: SafeFetcher
    transport: Transport
    confirm_tokens: ConfirmTokens
    link_tokens: LinkTokens
    signup: SignupService
    channels: dict[str, Channel] = field(default_factory=dict)
    # What sends each channel when its dispatch step runs (see worker.py).
    deliverers: dict[str, Deliverer] = field(default_factory=dict)

    @property
    def planner(self) -> Planner:
        steps = self.settings.schedule.steps
        return Planner(self.store, {ch: parse_offset(off) for ch, off in steps})

    def make_worker(self) -> Worker:
        """A worker over this app's store and deliverers (not started)."""
        opts = self.settings.schedule
        return Worker(self.store, self.planner, self.deliverers, WorkerOptions(
            misfire_grace=timedelta(seconds=opts.misfire_grace_seconds),
            lease=timedelta(seconds=opts.lease_seconds), poll=opts.poll_seconds,
            threads=opts.threads), recurring=self._recurring())

    def _recurring(self) -> Recurring | None:
        rule = self.settings.schedule.recurring
        if rule is None:
            return None
        from publisher.recurring import run_recurring_once

        return Recurring(rule.day_of_week, rule.hour, rule.minute,
                         self.settings.publication.timezone,
                         lambda: run_recurring_once(self, rule))

    def channel(self, name: str) -> Channel:
        """The channel called *name*, or a clear error listing those that exist."""
        try:
            return self.channels[name]
        except KeyError:
            known = ", ".join(sorted(self.channels)) or "none"
            raise ContentError(f"unknown channel '{name}' (known: {known})",
                               field="channel") from None

    def checks(self, channel: str | None = None) -> list[Check]:
        """Core preflight checks plus those of one channel, or of every channel."""
        chosen = [self.channel(channel)] if channel else list(self.channels.values())
        return [*CORE_CHECKS, *(c for ch in chosen for c in ch.checks())]

    def close(self) -> None:
        self.transport.close()
        self.store.close()


def make_transport(options: EmailOptions) -> Transport:
    """The transport ``[email]`` asks for: the Maildir outbox (default), an SMTP pool,
    Postmark, SendGrid or Mailgun; each also delivers newsletter batches."""
    return make_email_transport(options)


def build_app(settings: Settings, *, transport: Transport | None = None) -> App:
    """Open the store (migrating it) and build the parts from *settings*.

    *transport* replaces the configured one (tests pass a ``MemoryOutbox``).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keys = secret_keys(settings)
    store = Store(settings.db_url)
    mail = transport if transport is not None else make_transport(settings.email)
    confirm = ConfirmTokens(keys, max_age=settings.web.confirm_max_age_days * _DAY)
    links = LinkTokens(keys)
    web = settings.web
    # One limiter per process: the web app serves every signup through it.
    limiter = SignupLimiter(web.signup_rate_per_ip, web.signup_rate_per_address)
    signup = SignupService(
        store, confirm, links, mail, settings.publication, settings.publication.base_url, limiter
    )
    app = App(settings=settings, store=store, fetcher=SafeFetcher(settings.fetch),
              transport=mail, confirm_tokens=confirm, link_tokens=links, signup=signup)
    app.channels.update(build_channels(app))
    app.deliverers.update(build_deliverers(app))
    return app


def build_channels(app: App) -> dict[str, Channel]:
    """Every channel adapter, by name; each channel adds its one line here."""
    channels: dict[str, Channel] = {}
    channels["email"] = EmailChannel(app.settings, app.link_tokens)
    channels["pdf"] = PdfChannel(app.settings)
    channels["social"] = SocialChannel(app.settings)
    return channels


def build_deliverers(app: App) -> dict[str, Deliverer]:
    """What sends each channel when its dispatch step runs."""
    # Imported here: these modules import the app's own parts.
    from channels.pdf.publish import PdfPublisher
    from channels.social.deliver import SocialDeliverer
    from publisher.dispatch import EmailDeliverer

    pdf, social = app.channels["pdf"], app.channels["social"]
    assert isinstance(pdf, PdfChannel) and isinstance(social, SocialChannel)
    return {
        "email": EmailDeliverer(app),
        "pdf": PdfPublisher(app.store, app.settings, pdf, app.transport, app.link_tokens),
        "social": SocialDeliverer(app.store, app.settings, app.fetcher, social),
    }
