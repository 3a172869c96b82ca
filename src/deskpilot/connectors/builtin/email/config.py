"""``[connectors.email]``: where the team's mailbox is and how DeskPilot signs in to it.

IMAP brings customers' mail in, SMTP sends the agents' replies out; both usually sit at the
same provider with the same account. Passwords (app passwords, for most providers) come only
from ``DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD`` and ``..._SMTP_PASSWORD`` (or secrets.env).
"""

from __future__ import annotations

import functools
import ssl
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from deskpilot.connectors.base import ConnectorConfig

SmtpSecurity = Literal["starttls", "ssl", "none"]
_ADDRESS = r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$"


class EmailConfig(ConnectorConfig):
    address: str = Field(pattern=_ADDRESS)  # the team's address: From, Reply-To, loop guard
    display_name: str = ""  # "ACME Support": shown beside the address in the customer's inbox

    imap_host: str = Field(min_length=1)
    imap_port: int = Field(993, ge=1, le=65535)
    imap_ssl: bool = True  # implicit TLS (993); false: plain, upgraded with STARTTLS if offered
    imap_user: str = ""  # empty: the address
    imap_password: SecretStr | None = None
    mailbox: str = "INBOX"
    # Where processed mail goes; empty: it stays in the mailbox with the processed keyword.
    processed_folder: str = ""
    quarantine_folder: str = "DeskPilot Quarantine"  # mail DeskPilot cannot read
    sent_folder: str = "Sent"  # where replies are looked for by Message-ID (find_delivered)
    # Append a copy of each reply to sent_folder. Turn off where the provider files mail sent
    # through its SMTP server itself (Gmail, Microsoft 365), or each reply is there twice.
    save_sent_copy: bool = True

    smtp_host: str = Field(min_length=1)
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: SmtpSecurity = "starttls"
    smtp_user: str = ""  # empty: the IMAP user
    smtp_password: SecretStr | None = None  # absent: the IMAP password (the same account)

    # A CA bundle (PEM) for servers whose certificate a private CA signed; empty: the system's.
    ca_file: str = ""
    html: bool = False  # send an HTML part beside the plain text
    timeout_seconds: float = Field(30.0, gt=0)
    fetch_batch: int = Field(25, ge=1, le=1000)  # messages per IMAP FETCH
    max_messages_per_pull: int = Field(500, ge=1)  # the rest comes with the next pull
    # A server without custom keywords gets \Seen instead (see imap.Mailbox.processed_flag).
    processed_keyword: str = Field("$DeskPilotProcessed", pattern=r"^\$?[A-Za-z0-9_.-]+$")

    @field_validator("address")
    @classmethod
    def _lowercase_address(cls, value: str) -> str:
        return value.strip().lower()

    @model_validator(mode="after")
    def _passwords(self) -> EmailConfig:
        if self.imap_password is None:
            raise ValueError(
                "set the IMAP password (an app password for most providers) in "
                "DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD"
            )
        return self

    @property
    def login_user(self) -> str:
        return self.imap_user.strip() or self.address

    @property
    def smtp_login_user(self) -> str:
        return self.smtp_user.strip() or self.login_user

    def smtp_secret(self) -> str:
        secret = self.smtp_password or self.imap_password
        return secret.get_secret_value() if secret else ""

    def tls_context(self) -> ssl.SSLContext:
        """Certificates are always verified; ``ca_file`` only says whom to trust."""
        return _tls_context(self.ca_file)

    def imap_secret(self) -> str:
        return self.imap_password.get_secret_value() if self.imap_password else ""


@functools.lru_cache(maxsize=8)
def _tls_context(ca_file: str) -> ssl.SSLContext:
    # Loading the trust store takes milliseconds; every connection would otherwise pay it.
    return ssl.create_default_context(cafile=ca_file or None)
