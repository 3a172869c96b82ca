"""Faults through the whole email channel (issue 15 §8), on the real Dovecot and aiosmtpd, through
the real command line and ``deskpilot serve``: an SMTP server that refuses and then recovers, an
IMAP connection cut mid-fetch, a malformed message, mail no person wrote (an auto-reply, the
team's own mail), and ``serve`` killed with SIGKILL while a reply is in hand."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import Cli
from deskpilot.models import Author, Status
from deskpilot.store.channels import DeliveryState
from deskpilot.testing.mail import SmtpServer, TestMailbox
from deskpilot.testing.tcp_proxy import CuttingProxy

from .email_kit import (
    CUSTOMER,
    TEAM,
    customer_mail,
    email_config,
    make_email_workspace,
    open_desk,
    sync_once,
    sync_once_failing,
    tickets_of,
)
from .test_serve import start_serve


@pytest.fixture
def email_workspace(
    tmp_path: Path,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    return make_email_workspace(tmp_path, mailbox, smtp_server, monkeypatch)


def one_ticket(cli: Cli, mailbox: TestMailbox) -> tuple[str, str]:
    """A customer's mail synced into a ticket: (ticket id, the mail's Message-ID)."""
    mail = customer_mail("Where is my parcel?", "Order 77 has not arrived yet.")
    mailbox.append(mail)
    sync_once(cli)
    (row,) = tickets_of(cli)
    return str(row["id"]), str(mail["Message-ID"])


@pytest.mark.slow
def test_a_refusing_smtp_server_queues_the_reply_and_a_later_sync_delivers_it_once(
    email_workspace: Cli,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli = email_workspace
    monkeypatch.setenv("DESKPILOT_CHANNELS__RETRY_BASE_SECONDS", "0.5")
    ticket_id, _ = one_ticket(cli, mailbox)
    smtp_server.refuse_next_data("451 4.3.0 mailbox busy, try again later")

    result = cli("reply", ticket_id, "--text", "It left our warehouse today.")
    assert result.exit_code == 0, result.output
    assert "queued via email" in result.output and "451" in result.output
    assert smtp_server.received == []
    with open_desk(cli) as desk:
        (entry,) = desk.outbox()
        assert entry.state is DeliveryState.QUEUED and entry.attempts == 1
        # The reply is in the thread already; only its way out waits.
        assert desk.ticket(ticket_id).messages[-1].body == "It left our warehouse today."

    time.sleep(0.6)  # the backoff (0.5 s) passes
    assert "deliveries: 1 sent" in sync_once(cli)
    assert "deliveries: none due" in sync_once(cli)
    (received,) = smtp_server.received
    with open_desk(cli) as desk:
        (entry,) = desk.outbox()
    assert entry.state is DeliveryState.SENT and entry.attempts == 2
    assert received.message["Message-ID"] == entry.message_id


def test_an_imap_connection_cut_mid_fetch_loses_and_duplicates_nothing(
    tmp_path: Path,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli = make_email_workspace(tmp_path, mailbox, smtp_server, monkeypatch)
    bulky = "Line of a long complaint about order 9. " * 500  # ~20 kB a message
    sent = []
    for number in range(1, 6):
        mail = customer_mail(f"Problem {number}", f"Problem {number}.\n{bulky}")
        mail.replace_header("From", f"Customer {number} <c{number}@example.com>")
        mailbox.append(mail)
        sent.append(mail["Message-ID"])
    with CuttingProxy(mailbox.account.host, mailbox.account.port) as proxy:
        (cli.workspace_dir / "config.toml").write_text(
            email_config(mailbox, smtp_server, imap_port=proxy.port, extra="fetch_batch = 1\n")
        )
        proxy.cut_after(50_000)  # during the third message
        output = sync_once(cli, "--no-outbound")
        assert proxy.cuts == 1
        assert "IMAP connection dropped after UID 2" in output
        # The pull in hand kept the two it read; the same sync went on from there.
        assert "email: 5 new messages, 5 new tickets" in output

        assert "email: 0 new messages" in sync_once(cli, "--no-outbound")
    with open_desk(cli) as desk:
        tickets = [desk.ticket(str(row["id"])) for row in tickets_of(cli)]
    assert sorted(t.messages[0].external_id for t in tickets) == sorted(sent)
    assert all(len(t.messages) == 1 for t in tickets)
    # Everything stored is marked processed on the next pull: nothing is read again.
    flags = mailbox.flags()
    assert len(flags) == 5 and all("$DeskPilotProcessed" in f for f in flags.values())


def test_an_imap_connection_cut_before_anything_was_read_fails_the_sync_and_the_next_gets_all(
    tmp_path: Path,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli = make_email_workspace(tmp_path, mailbox, smtp_server, monkeypatch)
    mailbox.append(customer_mail("Problem", "The app crashes on start."))
    with CuttingProxy(mailbox.account.host, mailbox.account.port) as proxy:
        (cli.workspace_dir / "config.toml").write_text(
            email_config(mailbox, smtp_server, imap_port=proxy.port)
        )
        proxy.cut_after(10)  # in the server's greeting
        output = sync_once_failing(cli, "--no-outbound")
        assert "email: sync failed: ConnectorUnavailableError" in output
        assert tickets_of(cli) == []
        assert "email: 1 new message, 1 new ticket" in sync_once(cli, "--no-outbound")
    with open_desk(cli) as desk:
        (row,) = desk.queue()
        ticket = desk.ticket(row.id)
        assert ticket.customer is not None and ticket.customer.email == CUSTOMER


MALFORMED = (
    b"From: Bob <bob@example.com>\r\n"
    b"To: help@acme.test\r\n"
    b"Subject: broken\r\n"
    b"Message-ID: <broken-1@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed\r\n"  # no boundary: which part is the body cannot be told
    b"\r\n"
    b"--xyz\r\nContent-Type: text/plain\r\n\r\nhello\r\n--xyz--\r\n"
)


def test_a_malformed_message_is_quarantined_with_a_clear_log_line_and_the_rest_imported(
    email_workspace: Cli,
    mailbox: TestMailbox,
) -> None:
    cli = email_workspace
    mailbox.append(customer_mail("Before", "The first good one."))
    mailbox.append(MALFORMED)
    mailbox.append(customer_mail("After", "The second good one."))

    output = sync_once(cli, "--no-outbound")
    assert "email: 2 new messages, 2 new tickets" in output
    (line,) = [line for line in output.splitlines() if "quarantined" in line]
    assert "<broken-1@example.com>" in line and mailbox.quarantine in line
    assert "broken MIME structure (NoBoundaryInMultipartDefect)" in line
    assert sorted(str(row["subject"]) for row in tickets_of(cli)) == ["After", "Before"]
    (kept,) = mailbox.messages(mailbox.quarantine)
    assert kept["Message-ID"] == "<broken-1@example.com>"
    assert len(mailbox.uids()) == 2  # moved out of the inbox, the good ones stay

    assert "email: 0 new messages" in sync_once(cli, "--no-outbound")
    assert len(tickets_of(cli)) == 2


def test_an_auto_reply_and_the_teams_own_mail_make_no_ticket_and_reopen_nothing(
    email_workspace: Cli,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
) -> None:
    cli = email_workspace
    ticket_id, _ = one_ticket(cli, mailbox)
    assert cli("reply", ticket_id, "--text", "It left our warehouse today.").exit_code == 0
    (received,) = smtp_server.received
    reply_id = received.message["Message-ID"]
    with open_desk(cli) as desk:
        desk.solve(ticket_id)
        before = desk.ticket(ticket_id)

    out_of_office = customer_mail(
        f"Automatic reply: Re: Where is my parcel? [{ticket_id}]",
        "I am out of the office until Monday.",
        in_reply_to=reply_id,
        Auto_Submitted="auto-replied",
    )
    # Our own reply coming back (a Bcc to the team, a list, a forwarding loop).
    own = customer_mail(
        f"Re: Where is my parcel? [{ticket_id}]",
        "It left our warehouse today.",
        sender=TEAM,
        in_reply_to=reply_id,
    )
    mailbox.append(out_of_office)
    mailbox.append(own)

    output = sync_once(cli)
    assert "email: 0 new messages" in output and "reopened" not in output
    assert "deliveries: none due" in output
    assert "Auto-Submitted: auto-replied" in output
    assert "sent from the team's own address" in output
    assert [row["id"] for row in tickets_of(cli)] == [ticket_id]
    with open_desk(cli) as desk:
        after = desk.ticket(ticket_id)
        assert after.status is Status.SOLVED and after.messages == before.messages
        assert desk.channels.unread_since(ticket_id) is None
    assert len(smtp_server.received) == 1  # nothing answered the robot


@pytest.mark.slow
def test_serve_killed_while_delivering_by_email_sends_the_reply_once_after_restart(
    email_workspace: Cli,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
) -> None:
    cli = email_workspace
    ticket_id, _ = one_ticket(cli, mailbox)
    assert cli("reply", ticket_id, "--text", "Sent exactly once.", "--no-deliver").exit_code == 0

    # The SMTP server holds the first delivery at RCPT TO until serve has been killed.
    in_hand, killed = threading.Event(), threading.Event()
    plain_rcpt = smtp_server.handler.handle_RCPT

    async def held_rcpt(*args: Any) -> str:
        if not in_hand.is_set():
            in_hand.set()
            while not killed.is_set():
                await asyncio.sleep(0.05)
        return await plain_rcpt(*args)

    smtp_server.handler.handle_RCPT = held_rcpt  # type: ignore[method-assign, assignment]
    lease = timedelta(seconds=4)
    server = start_serve(cli.workspace_dir, "--no-intake", "--no-sync", lease_seconds=lease.seconds)
    try:
        assert in_hand.wait(60), "serve never reached the SMTP server"
    finally:
        server.kill()  # kill -9: no chance to record anything
        server.communicate(timeout=30)
        killed.set()
    with open_desk(cli) as desk:
        (entry,) = desk.outbox()
        assert entry.state is DeliveryState.SENDING  # the outcome was never written
        lease_ends = entry.updated_at + lease
    while datetime.now(UTC) <= lease_ends + timedelta(seconds=1):
        time.sleep(0.2)

    assert "deliveries: 1 sent" in sync_once(cli, "--no-inbound")
    assert "deliveries: none due" in sync_once(cli, "--no-inbound")
    (received,) = smtp_server.received
    with open_desk(cli) as desk:
        (entry,) = desk.outbox()
        assert entry.state is DeliveryState.SENT and entry.attempts == 2
        assert desk.ticket(ticket_id).messages[-1].author is Author.AGENT
    assert received.message["Message-ID"] == entry.message_id
    assert [m["Message-ID"] for m in mailbox.messages(mailbox.sent)] == [entry.message_id]


@pytest.mark.slow
def test_a_wrong_imap_password_fails_the_sync_in_one_line_naming_the_setting_not_the_secret(
    email_workspace: Cli,
    mailbox: TestMailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = "not-the-password-4711"
    monkeypatch.setenv("DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD", wrong)
    mailbox.append(customer_mail("Hello", "Anyone there?"))
    output = sync_once_failing(email_workspace, "--no-outbound")
    (line,) = [line for line in output.splitlines() if line.startswith("email:")]
    assert line.startswith("email: sync failed: ConnectorAuthError:")
    assert "DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD" in line or "imap_password" in line
    assert wrong not in output and "Traceback" not in output
    assert tickets_of(email_workspace) == []
    assert len(mailbox.uids()) == 1  # nothing taken from the mailbox
