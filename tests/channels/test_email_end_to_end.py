"""The channel core and the email connector together, on real servers (issue 15 §8): a
customer's mail in a Dovecot inbox becomes a ticket through ``deskpilot sync --once``, the
agent answers it from the TUI and from ``deskpilot reply``, aiosmtpd receives both with the
headers that thread them, and the customer's answer comes back into the same ticket.

Every step goes through the real command line or the real TUI on a workspace configured as a
user would configure it: ``[connectors.email]`` in config.toml, the passwords in the
environment.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import Cli
from deskpilot.models import Author, Status
from deskpilot.store.channels import DeliveryState
from deskpilot.testing.mail import SmtpServer, TestMailbox
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.ticket import TicketScreen

from .email_kit import (
    CUSTOMER,
    TEAM,
    customer_mail,
    make_email_workspace,
    open_desk,
    sync_once,
    tickets_of,
)


@pytest.fixture
def email_workspace(
    tmp_path: Path,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    return make_email_workspace(tmp_path, mailbox, smtp_server, monkeypatch)


async def send_from_the_tui(cli: Cli, ticket_id: str) -> str:
    """Open the ticket in the TUI and send the draft with ``a``; returns what was sent."""
    with open_desk(cli) as desk:
        app = DeskPilotApp(desk, theme="deskpilot-dark")
        async with app.run_test(size=(160, 48)) as pilot:
            app.open_ticket(ticket_id)
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TicketScreen)
            # The draft starts once the ticket's panels are painted (a frame apart), and "a"
            # sends it once its edit is tracked.
            for _ in range(250):
                if screen.draft_pane.edit_id is not None and not screen.painting:
                    break
                await app.workers.wait_for_complete()
                await pilot.pause(0.02)
            assert screen.draft_pane.text
            await pilot.press("a")
            await app.workers.wait_for_complete()
            await pilot.pause()
        sent = desk.ticket(ticket_id).messages[-1]
        assert sent.author is Author.AGENT
        return sent.body


@pytest.mark.slow
def test_a_customer_email_is_answered_twice_and_the_answer_reopens_its_ticket(
    email_workspace: Cli,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
) -> None:
    cli = email_workspace
    first = customer_mail(
        "Charged twice for order 1042",
        "Hello,\n\nmy card was charged twice for order 1042. Can you refund one?\n\nAnn",
    )
    mailbox.append(first)

    output = sync_once(cli)
    assert "email: 1 new message, 1 new ticket" in output
    (row,) = tickets_of(cli)
    ticket_id = str(row["id"])
    with open_desk(cli) as desk:
        ticket = desk.ticket(ticket_id)
        assert ticket.source == "email" and ticket.status is Status.NEW
        assert ticket.customer is not None and ticket.customer.email == CUSTOMER
        assert ticket.customer.name == "Ann Lee"
        assert ticket.subject == "Charged twice for order 1042"
        (message,) = ticket.messages
        assert message.external_id == first["Message-ID"]
        assert message.body.startswith("Hello,\n\nmy card was charged twice")
        assert desk.channels.unread_since(ticket_id) is not None

    tui_body = asyncio.run(send_from_the_tui(cli, ticket_id))
    result = cli("reply", ticket_id, "--text", "The duplicate charge is refunded.")
    assert result.exit_code == 0, result.output
    assert "sent via email" in result.output

    tui_mail, cli_mail = (received.message for received in smtp_server.received)
    assert [r.recipients for r in smtp_server.received] == [[CUSTOMER], [CUSTOMER]]
    with open_desk(cli) as desk:
        entries = sorted(desk.channels.entries(ticket_id=ticket_id), key=lambda e: e.id)
    assert [e.state for e in entries] == [DeliveryState.SENT, DeliveryState.SENT]
    for mail, entry, body in zip(
        (tui_mail, cli_mail), entries, (tui_body, "The duplicate charge is refunded."), strict=True
    ):
        assert mail["Message-ID"] == entry.message_id
        assert mail["Message-ID"].startswith("<") and mail["Message-ID"].endswith(">")
        assert mail["In-Reply-To"] == first["Message-ID"]
        assert first["Message-ID"] in mail["References"].split()
        assert mail["Subject"] == f"Re: Charged twice for order 1042 [{ticket_id}]"
        assert mail["From"].addresses[0].addr_spec == TEAM
        assert mail["Reply-To"].addresses[0].addr_spec == TEAM
        assert mail["From"].addresses[0].display_name == "ACME Support"
        assert mail["To"].addresses[0].addr_spec == CUSTOMER
        text_part = mail.get_body(("plain",))
        assert text_part is not None
        plain = text_part.get_content().replace("\r\n", "\n")  # the wire's CRLF
        assert plain.strip() == body.strip()
    # The second reply threads under the first as well.
    assert tui_mail["Message-ID"] in cli_mail["References"].split()
    # A copy of each went to the Sent folder, where find_delivered looks.
    sent_ids = [m["Message-ID"] for m in mailbox.messages(mailbox.sent)]
    assert sent_ids == [tui_mail["Message-ID"], cli_mail["Message-ID"]]

    answer = customer_mail(
        f"Re: Charged twice for order 1042 [{ticket_id}]",
        "Thank you, I see the refund now.\n\n"
        f"On Mon, 2 Nov 2026 at 09:00, ACME Support <{TEAM}> wrote:\n"
        "> The duplicate charge is refunded.\n"
        ">\n"
        "> On Mon, Ann Lee wrote:\n"
        ">> my card was charged twice for order 1042.\n",
        in_reply_to=cli_mail["Message-ID"],
        references=f"{first['Message-ID']} {tui_mail['Message-ID']} {cli_mail['Message-ID']}",
    )
    mailbox.append(answer)
    with open_desk(cli) as desk:
        assert desk.ticket(ticket_id).status is Status.PENDING
        desk.solve(ticket_id)
        assert desk.channels.unread_since(ticket_id) is None  # read when it was answered

    output = sync_once(cli)
    assert "1 new message" in output and f"reopened {ticket_id}" in output
    assert "new ticket" not in output
    assert [row["id"] for row in tickets_of(cli)] == [ticket_id]
    with open_desk(cli) as desk:
        ticket = desk.ticket(ticket_id)
        assert ticket.status is Status.OPEN
        assert desk.channels.unread_since(ticket_id) is not None
        latest = ticket.messages[-1]
        assert latest.author is Author.CUSTOMER
        assert latest.external_id == answer["Message-ID"]
        assert latest.body == "Thank you, I see the refund now."
        assert [m.author for m in ticket.messages] == [
            Author.CUSTOMER,
            Author.AGENT,
            Author.AGENT,
            Author.CUSTOMER,
        ]
        assert "reopen" in [a.action for a in desk.store.list_actions(ticket_id)]

    # Syncing again brings nothing twice.
    assert "email: 0 new messages" in sync_once(cli)
    assert len(smtp_server.received) == 2


@pytest.mark.slow
def test_an_imported_ticket_is_answered_by_email_and_found_again_by_its_subject_tag(
    email_workspace: Cli,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    """A ticket from ``import tickets`` (no channel of its own, an id of the team's own shape)
    is answered through ``[connectors.email]``; the customer's client drops In-Reply-To, so the
    tag in the subject is all that leads back, and then a later answer threads by its ids."""
    cli = email_workspace
    records = tmp_path / "tickets.jsonl"
    records.write_text(
        '{"id": "ZD-4512", "subject": "Locked out", "body": "I cannot get in since this '
        f'morning", "customer": {{"email": "{CUSTOMER}", "name": "Ann Lee"}}}}\n'
    )
    assert cli("import", "tickets", str(records)).exit_code == 0
    result = cli("reply", "ZD-4512", "--text", "Your account is unlocked.")
    assert result.exit_code == 0 and "sent via email" in result.output, result.output
    (received,) = smtp_server.received
    sent = received.message
    assert sent["Subject"] == "Re: Locked out [ZD-4512]"
    assert sent["In-Reply-To"] is None and sent["References"] is None  # nothing to answer

    mailbox.append(customer_mail("Re: Locked out [ZD-4512]", "Thanks, I am in again."))
    output = sync_once(cli, "--no-outbound")
    assert "1 follow-up" in output and "reopened ZD-4512" in output
    assert "new ticket" not in output
    later = customer_mail(
        "One more thing", "Can I change my password too?", in_reply_to=sent["Message-ID"]
    )
    mailbox.append(later)
    with open_desk(cli) as desk:
        desk.solve("ZD-4512")
    assert "reopened ZD-4512" in sync_once(cli, "--no-outbound")
    assert [row["id"] for row in tickets_of(cli)] == ["ZD-4512"]
    with open_desk(cli) as desk:
        ticket = desk.ticket("ZD-4512")
        assert ticket.source == "" and desk.reply_channel("ZD-4512") == "email"
        assert [m.body for m in ticket.messages[-2:]] == [
            "Thanks, I am in again.",
            "Can I change my password too?",
        ]
        assert ticket.messages[-1].external_id == later["Message-ID"]


@pytest.mark.slow
def test_serve_pulls_the_inbox_delivers_replies_and_reports_the_email_channel_on_health(
    email_workspace: Cli,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
) -> None:
    from .test_serve import free_port, start_serve, wait_for

    cli = email_workspace
    mailbox.append(customer_mail("Invoice missing", "I never got the invoice for May."))
    port = free_port()
    server = start_serve(
        cli.workspace_dir, "--port", str(port), sync_seconds=0.3, deliver_seconds=0.2
    )
    health_url = f"http://127.0.0.1:{port}/health"

    def email_health(imported: int, sent: int) -> dict[str, Any] | None:
        email = httpx.get(health_url).json()["channels"].get("email")
        return email if email and (email["imported"], email["sent"]) == (imported, sent) else None

    try:
        wait_for(lambda: email_health(1, 0), server)
        (row,) = tickets_of(cli)
        ticket_id = str(row["id"])
        queued = cli("reply", ticket_id, "--text", "It is attached now.", "--no-deliver")
        assert queued.exit_code == 0, queued.output
        health = wait_for(lambda: email_health(1, 1), server)
    finally:
        server.send_signal(signal.SIGTERM)
        _out, log = server.communicate(timeout=60)
    assert server.returncode == 0, log
    assert health["pulls"] and health["last_error"] == "" and health["outbox_depth"] == 0
    (received,) = smtp_server.received
    assert received.message["Subject"] == f"Re: Invoice missing [{ticket_id}]"
    assert f"new ticket {ticket_id} from {CUSTOMER}" in log
    assert f"on {ticket_id} delivered via email" in log
