"""A CSAT survey by email, on real servers: a customer's mail in Dovecot becomes a ticket
(``deskpilot sync --once``), the agent solves it, and the next round sends the survey through
aiosmtpd, threaded under the customer's mail, with the five one-click links to ``deskpilot
serve``; a later round sends nothing more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.testing.mail import SmtpServer, TestMailbox

from .email_kit import (
    CUSTOMER,
    customer_mail,
    make_email_workspace,
    open_desk,
    sync_once,
    tickets_of,
)


@pytest.mark.slow
def test_the_survey_goes_out_by_email_once_threaded_under_the_customers_mail(
    tmp_path: Path,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli: Cli = make_email_workspace(tmp_path, mailbox, smtp_server, monkeypatch)
    config = cli.workspace_dir / "config.toml"
    config.write_text(
        config.read_text() + '\n[csat]\ndelay_minutes = 0\nbase_url = "https://help.acme.test"\n'
    )
    first = customer_mail("Where is my invoice?", "Hello,\n\nI cannot find invoice 77.\n\nAnn")
    mailbox.append(first)
    sync_once(cli)
    (row,) = tickets_of(cli)
    ticket_id = str(row["id"])
    with open_desk(cli) as desk:
        desk.solve(ticket_id)

    sync_once(cli)
    (received,) = smtp_server.received
    mail = received.message
    assert received.recipients == [CUSTOMER]
    assert mail["Subject"] == f"Re: Where is my invoice? [{ticket_id}]"
    assert mail["In-Reply-To"] == first["Message-ID"]
    plain = mail.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    links = re.findall(r"https://help\.acme\.test/csat/[\w-]+\?score=(\d)", text)
    assert sorted(links) == ["1", "2", "3", "4", "5"]
    with open_desk(cli) as desk:
        state = desk.store.survey_state(ticket_id)
        assert state is not None and state.message_id == mail["Message-ID"]
        assert state.token in text

    sync_once(cli)
    assert len(smtp_server.received) == 1  # once per ticket
