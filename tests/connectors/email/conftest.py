"""The email connector's tests run on real servers: Dovecot for IMAP (``.ci/run`` exports one;
otherwise one is started when installed, else those tests skip) and aiosmtpd for SMTP."""

from __future__ import annotations

import pytest

from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.builtin.email import EmailConfig, EmailConnector
from deskpilot.testing.dovecot import ImapAccount
from deskpilot.testing.mail import (
    SmtpServer,
    TestMailbox,
    imap_account,
    mailbox,
    smtp_server,
)

__all__ = ["connector_for", "imap_account", "mailbox", "smtp_server"]

TEAM = "help@acme.test"


def connector_for(
    mailbox: TestMailbox,
    smtp: SmtpServer | None = None,
    account: ImapAccount | None = None,
    **settings: object,
) -> EmailConnector:
    """An email connector on the test's own folders (and SMTP server, when given)."""
    imap = account or mailbox.account
    values: dict[str, object] = {
        "address": TEAM,
        "display_name": "ACME Support",
        "imap_host": imap.host,
        "imap_port": imap.port,
        "imap_ssl": False,
        "imap_user": imap.user,
        "imap_password": imap.password,
        "mailbox": mailbox.inbox,
        "quarantine_folder": mailbox.quarantine,
        "sent_folder": mailbox.sent,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port if smtp else 1,
        "timeout_seconds": 5,
    }
    if smtp is not None:
        values |= {
            "smtp_user": smtp.user,
            "smtp_password": smtp.password,
            "ca_file": smtp.ca_file,
        }
    values |= settings
    return EmailConnector(EmailConfig.model_validate(values), ConnectorContext(name="email"))


@pytest.fixture
def team() -> str:
    return TEAM
