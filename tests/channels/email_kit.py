"""Helpers of the email end-to-end tests: a workspace configured for the test's Dovecot folders
and aiosmtpd server as a user would configure it (``[connectors.email]`` in config.toml, the
passwords in the environment), customers' mail, and the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.desk import Desk
from deskpilot.testing.mail import SmtpServer, TestMailbox
from deskpilot.workspace import Workspace

TEAM = "help@acme.test"
CUSTOMER = "ann.lee@example.com"


def email_config(
    mailbox: TestMailbox, smtp: SmtpServer, imap_port: int | None = None, extra: str = ""
) -> str:
    """``[connectors.email]`` as the README tells a user to write it (no secrets in it)."""
    account = mailbox.account
    return (
        "[connectors.email]\n"
        f'address = "{TEAM}"\n'
        'display_name = "ACME Support"\n'
        f'imap_host = "{account.host}"\n'
        f"imap_port = {imap_port or account.port}\n"
        "imap_ssl = false\n"
        f'imap_user = "{account.user}"\n'
        f'mailbox = "{mailbox.inbox}"\n'
        f'quarantine_folder = "{mailbox.quarantine}"\n'
        f'sent_folder = "{mailbox.sent}"\n'
        'smtp_host = "127.0.0.1"\n'
        f"smtp_port = {smtp.port}\n"
        'smtp_security = "starttls"\n'
        f'smtp_user = "{smtp.user}"\n'
        f'ca_file = "{smtp.ca_file}"\n'
        "timeout_seconds = 5\n" + extra
    )


def make_email_workspace(
    tmp_path: Path,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    cli = Cli(tmp_path / "ws")
    assert cli("init").exit_code == 0
    (cli.workspace_dir / "config.toml").write_text(email_config(mailbox, smtp_server))
    monkeypatch.setenv("DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD", mailbox.account.password)
    monkeypatch.setenv("DESKPILOT_CONNECTORS__EMAIL__SMTP_PASSWORD", smtp_server.password)
    return cli


def customer_mail(
    subject: str,
    body: str,
    *,
    sender: str = CUSTOMER,
    in_reply_to: str = "",
    references: str = "",
    **headers: str,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"Ann Lee <{sender}>"
    mail["To"] = TEAM
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = make_msgid(domain="example.com")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = references or in_reply_to
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail


def sync_once(cli: Cli, *extra: str) -> str:
    result = cli("sync", "--once", *extra)
    assert result.exit_code == 0, result.output
    return result.output


def sync_once_failing(cli: Cli, *extra: str) -> str:
    """A round in which a channel's pull failed: exit code 2 (cron sees it), output kept."""
    result = cli("sync", "--once", *extra)
    assert result.exit_code == 2, result.output
    return result.output


def open_desk(cli: Cli) -> Desk:
    return Desk.open(Workspace.existing(cli.workspace_dir))


def tickets_of(cli: Cli) -> list[dict[str, object]]:
    result = cli("queue", "--json", "--status", "all")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))
