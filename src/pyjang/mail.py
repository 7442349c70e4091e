"""Send e-mail over SMTP, or write it to the log in development.

``SMTP_HOST`` names the server (``SMTP_PORT``, ``SMTP_USER``, ``SMTP_PASS``
and ``SMTP_FROM`` complete it). Port 465 speaks TLS from the first byte;
other ports upgrade with STARTTLS when the server offers it. Without
``SMTP_HOST`` a development instance logs each mail instead of sending it,
and a production instance logs an error and sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from pyjang.settings import Settings

__all__ = ["SMTP_TIMEOUT", "Mail", "send_mail"]

logger = logging.getLogger(__name__)

SMTP_TIMEOUT = 15.0
IMPLICIT_TLS_PORT = 465


@dataclass(frozen=True)
class Mail:
    """A plain-text message to one recipient."""

    to: str
    subject: str
    body: str

    def message(self, sender: str) -> EmailMessage:
        """Return this mail as a MIME message from ``sender``."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message.set_content(self.body)
        return message


async def send_mail(settings: Settings, mail: Mail) -> bool:
    """Send ``mail``; return True once the server (or the log) took it.

    Failures are logged, never raised: a caller answering a request goes
    on the same whether or not the mail left.
    """
    if not settings.smtp_host:
        if settings.debug:
            logger.info(
                "mail not sent (no SMTP_HOST): to=%s subject=%s\n%s",
                mail.to,
                mail.subject,
                mail.body,
            )
            return True
        logger.error("SMTP_HOST is not set; mail to %s was not sent", mail.to)
        return False
    password = settings.smtp_pass.get_secret_value() if settings.smtp_pass else None
    try:
        await aiosmtplib.send(
            mail.message(settings.smtp_from),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user or None,
            password=password,
            use_tls=settings.smtp_port == IMPLICIT_TLS_PORT,
            timeout=SMTP_TIMEOUT,
        )
    except (aiosmtplib.SMTPException, OSError) as error:
        logger.error("mail to %s failed: %s", mail.to, error)
        return False
    logger.info("mail sent to %s subject=%s", mail.to, mail.subject)
    return True
