"""Mail leaves through a real SMTP server (a fake one on 127.0.0.1), or into the log."""

from __future__ import annotations

import logging
import smtplib

import pytest

from gateway.auth.mail import (
    LogMailer,
    SmtpMailer,
    confirm_sign_up_mail,
    mailer_for,
)
from gateway.settings import Settings
from tests.fixtures.mail import link_in, smtp_server

SENDER = "RouterAI <no-reply@routerai.test>"
LINK = "https://app.routerai.test/signup/confirm?token=abc"


def test_smtp_delivers_the_message_as_written() -> None:
    with smtp_server() as (mailbox, url):
        SmtpMailer(url, SENDER).send(confirm_sign_up_mail("ada@example.com", LINK, "Acme"))

    (message,) = mailbox.messages
    assert (message["From"], message["To"]) == (SENDER, "ada@example.com")
    assert message["Subject"] == "Confirm your email to finish signing up to RouterAI"
    assert link_in(message) == LINK
    assert "create Acme" in message.get_content()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_logs_in_with_the_urls_credentials() -> None:
    with smtp_server(("routerai", "p@ss word")) as (mailbox, url):
        port = url.rsplit(":", 1)[1]
        escaped = f"smtp://routerai:p%40ss%20word@127.0.0.1:{port}"
        SmtpMailer(escaped, SENDER).send(confirm_sign_up_mail("ada@example.com", LINK, "Acme"))
        with pytest.raises(smtplib.SMTPSenderRefused):  # the server requires a login
            SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER).send(
                confirm_sign_up_mail("eve@example.com", LINK, "Eve")
            )

    assert [m["To"] for m in mailbox.messages] == ["ada@example.com"]


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_a_malformed_smtp_url_is_refused_at_start(url: str) -> None:
    with pytest.raises(ValueError, match="ROUTERAI_SMTP_URL"):
        SmtpMailer(url, SENDER)


def test_without_smtp_mail_goes_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(ROUTERAI_ENV="test")
    mailer = mailer_for(settings)
    assert isinstance(mailer, LogMailer)

    with caplog.at_level(logging.WARNING, logger="gateway.auth.mail"):
        mailer.send(confirm_sign_up_mail("ada@example.com", LINK, "Acme"))

    assert "ada@example.com" in caplog.text and LINK in caplog.text


def test_with_smtp_configured_mail_goes_there() -> None:
    settings = Settings(ROUTERAI_ENV="test", ROUTERAI_SMTP_URL="smtp://127.0.0.1:2525")
    assert isinstance(mailer_for(settings), SmtpMailer)


def test_production_refuses_to_start_without_smtp() -> None:
    production = {
        "ROUTERAI_ENV": "production",
        "ROUTERAI_SECRET_KEY": "s" * 40,
        "ROUTERAI_METRICS_TOKEN": "m" * 32,
    }
    with pytest.raises(ValueError, match="ROUTERAI_SMTP_URL must be set in production"):
        mailer_for(Settings(**production))
    with_smtp = Settings(**production, ROUTERAI_SMTP_URL="smtps://u:p@mail.example.com")
    assert isinstance(mailer_for(with_smtp), SmtpMailer)
