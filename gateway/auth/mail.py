"""Mail RouterAI sends to people: what each message says, and how it leaves.

`SmtpMailer` speaks SMTP to the server in `ROUTERAI_SMTP_URL`; without one, `LogMailer`
writes each message to the web app's log, so a local install still gets its confirmation
links (from the terminal). Sending is synchronous; callers run it off their event loop.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

from gateway.settings import Environment, Settings

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


class SmtpMailer:
    """Sends through one SMTP server: `smtp://[user:password@]host[:port]` (STARTTLS when the
    server offers it) or `smtps://…` (TLS from the first byte)."""

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("ROUTERAI_SMTP_URL must look like smtp://user:password@host:port")
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._tls else 587)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password or "")
        self._sender = sender

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.text)
        with self._connect() as smtp:
            if self._user is not None:
                smtp.login(self._user, self._password)
            smtp.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        if self._tls:
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=SMTP_TIMEOUT_S, context=ssl.create_default_context()
            )
        smtp = smtplib.SMTP(self._host, self._port, timeout=SMTP_TIMEOUT_S)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        return smtp


class LogMailer:
    """No SMTP server configured: each message goes to the log, for whoever runs RouterAI."""

    def send(self, mail: Mail) -> None:
        log.warning(
            "mail to %s (ROUTERAI_SMTP_URL is not set, so it is shown here)\nSubject: %s\n\n%s",
            mail.to,
            mail.subject,
            mail.text,
        )


def confirm_sign_up_mail(to: str, link: str, org_name: str) -> Mail:
    return Mail(
        to,
        "Confirm your email to finish signing up to RouterAI",
        f"Welcome to RouterAI.\n\n"
        f"Open this link to confirm your email and create {org_name}:\n\n{link}\n\n"
        "The link works once, for 24 hours. If you did not sign up, ignore this message: "
        "nothing is created until the link is opened.\n",
    )


def already_registered_mail(to: str, login_link: str) -> Mail:
    return Mail(
        to,
        "You already have a RouterAI account",
        "Someone, probably you, tried to sign up to RouterAI with this email address, "
        "which already has an account. Nothing was changed.\n\n"
        f"Log in here:\n\n{login_link}\n\n"
        "If it was not you, you can ignore this message.\n",
    )


def mailer_for(settings: Settings) -> Mailer:
    """SMTP when `ROUTERAI_SMTP_URL` is set, else the log; production requires SMTP (in a
    log, confirmation links would reach operators and never the people signing up)."""
    if settings.smtp_url is not None:
        return SmtpMailer(settings.smtp_url.get_secret_value(), settings.mail_from)
    if settings.environment is Environment.PRODUCTION:
        raise ValueError(
            "ROUTERAI_SMTP_URL must be set in production: sign-ups are confirmed by mail"
        )
    return LogMailer()
