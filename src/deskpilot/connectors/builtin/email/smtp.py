"""Sending one reply over SMTP, and what each failure means for the outbox.

aiosmtplib (asyncio, STARTTLS, implicit TLS, AUTH) speaks the protocol one command at a time
here, so a failure can be placed: before the message's data was handed over, nothing was sent
(a 4xx or a dropped connection: try again later; a 5xx: the server will never take it); once the
data is out, a dropped connection leaves the outcome unknown, and that is reported as such so the
outbox asks ``find_delivered`` before sending again.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

import aiosmtplib

from deskpilot.connectors.errors import ConnectorError, DeliveryError

from .config import EmailConfig

_CONNECTION_ERRORS = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    OSError,
)


class DeliveryOutcomeUnknown(ConnectorError):
    """The connection failed after the message was handed over: it may have gone."""


def smtp_client(config: EmailConfig) -> aiosmtplib.SMTP:
    security = config.smtp_security
    return aiosmtplib.SMTP(
        hostname=config.smtp_host,
        port=config.smtp_port,
        use_tls=security == "ssl",
        start_tls=security == "starttls",  # required when chosen: never falls back to plain
        timeout=config.timeout_seconds,
        tls_context=config.tls_context() if security != "none" else None,
    )


async def open_smtp(config: EmailConfig, password_hint: str) -> aiosmtplib.SMTP:
    """A connected (TLS as configured) and, when the server offers AUTH, logged-in client."""
    client = smtp_client(config)
    try:
        await client.connect()
        if client.is_ehlo_or_helo_needed:  # after STARTTLS the extensions must be asked again
            await client.ehlo()
        secret = config.smtp_secret()
        if secret and client.supports_extension("auth"):
            await client.login(config.smtp_login_user, secret)
    except aiosmtplib.SMTPAuthenticationError:
        client.close()
        # Not permanent: once the password is fixed, waiting replies go out by themselves.
        raise DeliveryError(
            f"the SMTP server at {config.smtp_host}:{config.smtp_port} refused user "
            f"'{config.smtp_login_user}' (check smtp_user and {password_hint})",
            permanent=False,
        ) from None
    except aiosmtplib.SMTPNotSupported as error:
        client.close()
        raise DeliveryError(
            f"the SMTP server at {config.smtp_host}:{config.smtp_port} does not support "
            f"{config.smtp_security} (check smtp_security and smtp_port): {error.message}",
            permanent=False,
        ) from None
    except (*_CONNECTION_ERRORS, aiosmtplib.SMTPResponseException) as error:
        client.close()
        raise DeliveryError(
            f"cannot reach the SMTP server at {config.smtp_host}:{config.smtp_port}: "
            f"{_said(error)}",
            permanent=False,
        ) from None
    return client


async def send(client: aiosmtplib.SMTP, message: EmailMessage, sender: str, to: str) -> None:
    """MAIL, RCPT, DATA on an open client, each failure mapped (see the module docstring)."""
    data = message.as_bytes(policy=policy.SMTP)
    try:
        await client.mail(sender)
        await client.rcpt(to)
    except aiosmtplib.SMTPResponseException as error:
        await _reset(client)
        refused = "recipient" if isinstance(error, aiosmtplib.SMTPRecipientRefused) else "sender"
        raise DeliveryError(
            f"the SMTP server refused the {refused} ({_said(error)})",
            permanent=500 <= error.code < 600,
        ) from None
    except _CONNECTION_ERRORS as error:
        raise DeliveryError(
            f"the SMTP connection failed: {_said(error)}", permanent=False
        ) from None
    try:
        await client.data(data)
    except aiosmtplib.SMTPResponseException as error:
        await _reset(client)
        raise DeliveryError(
            f"the SMTP server refused the message ({_said(error)})",
            permanent=500 <= error.code < 600,
        ) from None
    except _CONNECTION_ERRORS as error:
        raise DeliveryOutcomeUnknown(
            f"the SMTP connection failed while the message was being handed over "
            f"({_said(error)}); whether it was accepted is unknown"
        ) from None


async def close(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except Exception:  # the reply went (or failed) already; QUIT is manners
        client.close()


async def _reset(client: aiosmtplib.SMTP) -> None:
    try:
        await client.rset()
    except Exception:  # the connection is closed afterwards anyway
        client.close()


def _said(error: BaseException) -> str:
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}".strip()
    return str(error) or type(error).__name__
