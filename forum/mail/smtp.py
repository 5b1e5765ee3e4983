"""SMTP through the standard library, with the settings the Flask ecosystem uses (MAIL_*)."""
import smtplib
import ssl
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Iterator, Mapping

# What a failed delivery raises: the server is unreachable, refuses, or hangs up.
SEND_ERRORS = (OSError, smtplib.SMTPException)


class MailNotConfigured(RuntimeError):
    """MAIL_SERVER is not set: the forum sends no e-mail."""


def is_configured(config: Mapping) -> bool:
    """True when a mail server is set."""
    return bool(config.get("MAIL_SERVER"))


def connect(config: Mapping) -> smtplib.SMTP:
    """An open SMTP connection, with SSL or STARTTLS and a login as configured."""
    if not is_configured(config):
        raise MailNotConfigured("MAIL_SERVER is not set.")
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    timeout = config.get("MAIL_TIMEOUT") or 20
    if config.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        close(smtp)
        raise
    return smtp


def close(smtp: smtplib.SMTP) -> None:
    """Say goodbye to the server, or just drop the connection when it is gone."""
    try:
        smtp.quit()
    except SEND_ERRORS:
        smtp.close()


@contextmanager
def connection(config: Mapping) -> Iterator[smtplib.SMTP]:
    """connect(), closed afterwards."""
    smtp = connect(config)
    try:
        yield smtp
    finally:
        close(smtp)


def send(smtp: smtplib.SMTP, message: EmailMessage) -> None:
    """Hand one message to the server; raises when it is not accepted."""
    smtp.send_message(message)


def is_permanent(error: Exception) -> bool:
    """True when the server refused this message for good (5xx on its address or content).

    Refusals of the sender or the login are the forum's settings, not the message's:
    those stay pending until the settings are fixed.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and 500 <= error.smtp_code < 600
