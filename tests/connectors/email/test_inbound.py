"""Mail into a real Dovecot inbox, out of ``pull``: each message once, in order, with its body,
headers and attachments; machines' mail, the team's own and broken mail never reach the desk;
a dropped connection loses and repeats nothing."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage

import pytest

from deskpilot.connectors.builtin.email import EmailConnector
from deskpilot.connectors.errors import ConnectorAuthError, ConnectorUnavailableError
from deskpilot.connectors.models import Pulled
from deskpilot.testing.mail import TestMailbox
from deskpilot.testing.tcp_proxy import CuttingProxy

from .conftest import connector_for
from .test_mime import mail

KEYWORD = "$DeskPilotProcessed"


def pull(connector: EmailConnector, cursor: str | None) -> Pulled:
    async def scenario() -> Pulled:
        try:
            return await connector.pull(cursor)
        finally:
            await connector.aclose()

    return asyncio.run(scenario())


def customer_mail(number: int, body: str = "", **headers: str) -> EmailMessage:
    return mail(
        body or f"Message number {number}.",
        Message_ID=f"<c{number}@example.com>",
        Subject=f"Question {number}",
        **headers,
    )


def test_mail_appended_to_the_inbox_is_pulled_once(mailbox: TestMailbox) -> None:
    sent = customer_mail(1, "The export fails with error 500.", In_Reply_To="<r1@acme.test>")
    sent.add_attachment(b"%PDF-1.4\n", maintype="application", subtype="pdf", filename="a.pdf")
    mailbox.append(sent)
    connector = connector_for(mailbox)

    first = pull(connector, None)
    assert [m.external_id for m in first.messages] == ["<c1@example.com>"]
    message = first.messages[0]
    assert message.body == "The export fails with error 500."
    assert message.from_email == "ann@example.com" and message.subject == "Question 1"
    assert message.in_reply_to == ["<r1@acme.test>"]
    assert [(a.name, a.content_type, a.data) for a in message.attachments] == [
        ("a.pdf", "application/pdf", b"%PDF-1.4\n")
    ]
    again = pull(connector, first.cursor)
    assert again.messages == [] and again.cursor == first.cursor


def test_new_mail_after_a_pull_comes_with_the_next_and_the_stored_ones_are_flagged(
    mailbox: TestMailbox,
) -> None:
    first_uid = mailbox.append(customer_mail(1))
    connector = connector_for(mailbox)
    first = pull(connector, None)
    assert mailbox.flags()[first_uid] == set(), "not marked before the desk stored it"
    later = [mailbox.append(customer_mail(n)) for n in (2, 3)]

    second = pull(connector, first.cursor)
    assert [m.external_id for m in second.messages] == ["<c2@example.com>", "<c3@example.com>"]
    flags = mailbox.flags()
    assert KEYWORD in flags[first_uid] and "\\Seen" not in flags[first_uid]
    assert all(KEYWORD not in flags[uid] for uid in later)
    third = pull(connector, second.cursor)
    assert third.messages == [] and all(KEYWORD in f for f in mailbox.flags().values())


def test_processed_mail_can_be_moved_to_a_folder(mailbox: TestMailbox) -> None:
    mailbox.append(customer_mail(1))
    connector = connector_for(mailbox, processed_folder=mailbox.processed)
    first = pull(connector, None)
    assert len(first.messages) == 1 and len(mailbox.uids()) == 1
    second = pull(connector, first.cursor)
    assert second.messages == []
    assert mailbox.uids() == [] and len(mailbox.uids(mailbox.processed)) == 1


def test_a_first_sync_skips_mail_already_marked_processed(mailbox: TestMailbox) -> None:
    old = mailbox.append(customer_mail(1))
    with mailbox.client() as client:
        client.select_folder(mailbox.inbox)
        client.add_flags([old], [KEYWORD])
    mailbox.append(customer_mail(2))
    pulled = pull(connector_for(mailbox), None)
    assert [m.external_id for m in pulled.messages] == ["<c2@example.com>"]


def test_a_new_uidvalidity_reads_the_mailbox_again(
    mailbox: TestMailbox, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox.append(customer_mail(1))
    connector = connector_for(mailbox)
    first = pull(connector, None)
    mailbox.recreate_inbox()  # the server's mailbox was rebuilt: old UIDs mean nothing
    mailbox.append(customer_mail(1))
    mailbox.append(customer_mail(2))
    with caplog.at_level(logging.WARNING):
        again = pull(connector, first.cursor)
    # Both are handed over; the desk drops <c1> by its Message-ID.
    assert [m.external_id for m in again.messages] == ["<c1@example.com>", "<c2@example.com>"]
    assert again.cursor != first.cursor and "UIDVALIDITY" in caplog.text


def test_a_quoted_reply_arrives_as_its_new_text_only(mailbox: TestMailbox) -> None:
    body = (
        "Thanks, the export works now.\n\n"
        "On Mon, Nov 30, 2026 at 10:12 AM ACME Support <help@acme.test> wrote:\n"
        "> Hi Ann,\n> please try again.\n"
    )
    mailbox.append(customer_mail(1, body, In_Reply_To="<r1@acme.test>"))
    pulled = pull(connector_for(mailbox), None)
    assert pulled.messages[0].body == "Thanks, the export works now."


def test_encodings_from_several_clients(mailbox: TestMailbox) -> None:
    latin = (
        b"From: =?ISO-8859-1?Q?J=FCrgen?= <juergen@example.de>\r\nTo: help@acme.test\r\n"
        b"Subject: =?ISO-8859-1?Q?M=E4rz?=\r\nMessage-ID: <de@example.de>\r\n"
        b"Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "Grüße aus Köln".encode("latin-1")
        + b"\r\n"
    )
    html = customer_mail(2)
    html.set_content("<p>Only <b>HTML</b> here, caf&eacute;.</p>", subtype="html")
    mailbox.append(latin)
    mailbox.append(html)
    messages = pull(connector_for(mailbox), None).messages
    assert [(m.from_name, m.subject, m.body) for m in messages] == [
        ("Jürgen", "März", "Grüße aus Köln"),
        ("Ann Lee", "Question 2", "Only HTML here, café."),
    ]


def test_auto_replies_bounces_and_our_own_mail_are_skipped_and_marked(
    mailbox: TestMailbox, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox.append(customer_mail(1, Auto_Submitted="auto-replied"))
    mailbox.append(customer_mail(2, From="MAILER-DAEMON@mx.example.com"))
    mailbox.append(customer_mail(3, From="ACME Support <help@acme.test>"))  # a loop
    mailbox.append(customer_mail(4, Precedence="bulk"))
    mailbox.append(customer_mail(5))
    connector = connector_for(mailbox)
    with caplog.at_level(logging.INFO):
        first = pull(connector, None)
    assert [m.external_id for m in first.messages] == ["<c5@example.com>"]
    said = caplog.text
    assert "Auto-Submitted" in said and "mailer-daemon" in said and "own address" in said
    pull(connector, first.cursor)
    assert all(KEYWORD in flags for flags in mailbox.flags().values())


def test_a_malformed_message_is_quarantined_and_the_rest_goes_on(
    mailbox: TestMailbox, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox.append(customer_mail(1))
    mailbox.append(
        b"Message-ID: <broken@example.com>\r\nFrom: a@example.com\r\n"
        b"Content-Type: multipart/mixed; boundary=zzz\r\n\r\nno parts at all\r\n"
    )
    mailbox.append(customer_mail(3))
    with caplog.at_level(logging.WARNING):
        pulled = pull(connector_for(mailbox), None)
    assert [m.external_id for m in pulled.messages] == ["<c1@example.com>", "<c3@example.com>"]
    quarantined = mailbox.messages(mailbox.quarantine)
    assert [m["Message-ID"] for m in quarantined] == ["<broken@example.com>"]
    assert len(mailbox.uids()) == 2
    assert "quarantined" in caplog.text and "<broken@example.com>" in caplog.text


def test_a_connection_dropped_mid_fetch_loses_and_repeats_nothing(mailbox: TestMailbox) -> None:
    padding = "x" * 20_000  # each message about 20 kB: the cut falls inside the second batch
    for number in range(1, 7):
        mailbox.append(customer_mail(number, f"Message {number}.\n{padding}"))
    account = mailbox.account
    with CuttingProxy(account.host, account.port) as proxy:
        connector = connector_for(mailbox, imap_port=proxy.port, fetch_batch=2)
        proxy.cut_after(60_000)
        first = pull(connector, None)
        assert proxy.cuts == 1
        assert 1 <= len(first.messages) < 6, "part came, the rest waits"
        second = pull(connector, first.cursor)
    pulled = [m.external_id for m in first.messages + second.messages]
    assert pulled == [f"<c{n}@example.com>" for n in range(1, 7)]


def test_a_connection_dropped_before_anything_came_fails_the_pull(mailbox: TestMailbox) -> None:
    mailbox.append(customer_mail(1))
    account = mailbox.account
    with CuttingProxy(account.host, account.port) as proxy:
        proxy.cut_after(10)  # during the greeting
        with pytest.raises(ConnectorUnavailableError, match="imap_host"):
            pull(connector_for(mailbox, imap_port=proxy.port), None)
        again = pull(connector_for(mailbox, imap_port=proxy.port), None)
    assert [m.external_id for m in again.messages] == ["<c1@example.com>"]


def test_a_wrong_password_names_the_setting_never_the_secret(mailbox: TestMailbox) -> None:
    connector = connector_for(mailbox, imap_password="not-the-password-123")
    with pytest.raises(ConnectorAuthError) as raised:
        pull(connector, None)
    said = str(raised.value)
    assert "DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD" in said
    assert "not-the-password-123" not in said


def test_waiting_for_mail_returns_when_mail_lands(mailbox: TestMailbox) -> None:
    connector = connector_for(mailbox)
    first = pull(connector, None)

    async def scenario() -> tuple[bool, bool]:
        try:
            quiet = await connector.wait_for_mail(first.cursor, timeout=0.5)
            waiting = asyncio.create_task(connector.wait_for_mail(first.cursor, timeout=30))
            await asyncio.to_thread(mailbox.append, customer_mail(1))
            return quiet, await waiting
        finally:
            await connector.aclose()

    quiet, woken = asyncio.run(scenario())
    assert (quiet, woken) == (False, True)
    assert [m.external_id for m in pull(connector, first.cursor).messages] == ["<c1@example.com>"]
