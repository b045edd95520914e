"""``make_transport``: the transport ``[email] transport`` names, built once.

The composition root (``publisher/app.py``) calls this; everything that
sends mail (confirmations, proofs, newsletters) then shares the one object,
its connections and its rate limit.
"""

from __future__ import annotations

from channels.email.delivery import MailTransport
from channels.email.maildir import MaildirOutbox
from channels.email.mailgun import MailgunMailer
from channels.email.postmark import PostmarkMailer
from channels.email.ratelimit import RateLimit
from channels.email.sendgrid import SendGridMailer
from channels.email.smtp_pool import SmtpPool
from publisher.settings import EmailOptions

__all__ = ["make_transport"]


def make_transport(options: EmailOptions) -> MailTransport:
    """The configured transport; the Maildir outbox unless another is asked for."""
    limit = RateLimit(options.rate_per_second, options.rate_per_hour)
    o = options
    if o.transport == "smtp":
        return SmtpPool(o.smtp_host, o.smtp_port, o.smtp_security, o.smtp_user,
                        o.smtp_password, o.smtp_timeout, size=o.pool_size,
                        per_connection=o.messages_per_connection, limit=limit)
    if o.transport == "postmark":
        return PostmarkMailer(o.api_key, o.api_url, stream=o.postmark_stream,
                              timeout=o.api_timeout, limit=limit, pool=o.pool_size)
    if o.transport == "sendgrid":
        return SendGridMailer(o.api_key, o.api_url, timeout=o.api_timeout, limit=limit,
                              pool=o.pool_size)
    if o.transport == "mailgun":
        return MailgunMailer(o.api_key, o.api_url, domain=o.mailgun_domain,
                             timeout=o.api_timeout, limit=limit, pool=o.pool_size)
    return MaildirOutbox(o.outbox_dir)
