"""Replies out through a real SMTP server (aiosmtpd with STARTTLS and AUTH): the headers that
thread them, the text a customer reads, a copy in the Sent folder, and what each refusal means
for the outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from deskpilot.connectors.builtin.email import EmailConnector
from deskpilot.connectors.builtin.email.compose import reply_subject
from deskpilot.connectors.builtin.email.markdown_text import markdown_to_text
from deskpilot.connectors.errors import ConnectorError, DeliveryError
from deskpilot.connectors.models import Delivered, OutboundReply
from deskpilot.testing.mail import SmtpServer, TestMailbox

from .conftest import connector_for

T = TypeVar("T")


def run(connector: EmailConnector, work: Callable[[EmailConnector], Awaitable[T]]) -> T:
    async def scenario() -> T:
        try:
            return await work(connector)
        finally:
            await connector.aclose()

    return asyncio.run(scenario())


def a_reply(number: int = 1, **fields: object) -> OutboundReply:
    values: dict[str, object] = {
        "ticket_id": "T-000123",
        "message_id": f"reply-{number}.T-000123@deskpilot.acme.test",
        "subject": "Re: RE: Export fails",
        "to_email": "ann@example.com",
        "to_name": "Ann Lee",
        "body": "Hi **Ann**,\n\nplease try the [export page](https://app.test/export):\n\n"
        "1. Open `Settings`\n2. Click *Export*\n\n# Thanks",
        "in_reply_to": "<c2@example.com>",
        "references": ["<c1@example.com>", "<r1@acme.test>", "<c2@example.com>"],
    }
    values |= fields
    return OutboundReply.model_validate(values)


def test_a_reply_reaches_the_smtp_server_threaded_and_tagged(
    mailbox: TestMailbox, smtp_server: SmtpServer
) -> None:
    connector = connector_for(mailbox, smtp_server, html=True)
    delivered = run(connector, lambda c: c.deliver(a_reply()))

    assert delivered.external_id == "<reply-1.T-000123@deskpilot.acme.test>"
    (received,) = smtp_server.received
    assert received.login == smtp_server.user, "authenticated after STARTTLS"
    assert received.sender == "help@acme.test" and received.recipients == ["ann@example.com"]
    mail = received.message
    assert mail["Message-ID"] == "<reply-1.T-000123@deskpilot.acme.test>"
    assert mail["In-Reply-To"] == "<c2@example.com>"
    assert mail["References"] == "<c1@example.com> <r1@acme.test> <c2@example.com>"
    assert mail["Subject"] == "Re: Export fails [T-000123]"
    assert mail["From"] == mail["Reply-To"] == "ACME Support <help@acme.test>"
    assert mail["To"] == "Ann Lee <ann@example.com>"
    assert mail["Date"] is not None and mail["Auto-Submitted"] is None
    plain = mail.get_body(preferencelist=("plain",))
    assert plain is not None
    assert plain.get_content().replace("\r\n", "\n") == (
        "Hi Ann,\n\nplease try the export page (https://app.test/export):\n\n"
        "1. Open Settings\n2. Click Export\n\nThanks\n"
    )
    html = mail.get_body(preferencelist=("html",))
    assert html is not None and "<strong>Ann</strong>" in html.get_content()


def test_a_copy_goes_to_the_sent_folder_and_find_delivered_finds_it(
    mailbox: TestMailbox, smtp_server: SmtpServer
) -> None:
    connector = connector_for(mailbox, smtp_server)
    sent, never_sent = a_reply(1), a_reply(2)

    async def scenario(c: EmailConnector) -> tuple[Delivered | None, Delivered | None]:
        await c.deliver(sent)
        return await c.find_delivered(sent), await c.find_delivered(never_sent)

    found, not_found = run(connector, scenario)
    copies = mailbox.messages(mailbox.sent)
    assert [m["Message-ID"] for m in copies] == ["<reply-1.T-000123@deskpilot.acme.test>"]
    assert found is not None and found.external_id == "<reply-1.T-000123@deskpilot.acme.test>"
    assert not_found is None


def test_no_sent_copy_when_the_provider_files_it_itself(
    mailbox: TestMailbox, smtp_server: SmtpServer
) -> None:
    connector = connector_for(mailbox, smtp_server, save_sent_copy=False)
    run(connector, lambda c: c.deliver(a_reply()))
    assert len(smtp_server.received) == 1 and mailbox.messages(mailbox.sent) == []


def test_a_refusing_server_is_a_transient_failure_then_the_reply_goes_once(
    mailbox: TestMailbox, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse_next_data("451 4.3.0 mailbox busy, try again later")
    connector = connector_for(mailbox, smtp_server)
    with pytest.raises(DeliveryError) as raised:
        run(connector, lambda c: c.deliver(a_reply()))
    assert raised.value.permanent is False and "451" in str(raised.value)
    assert smtp_server.received == []
    assert run(connector, lambda c: c.find_delivered(a_reply())) is None

    run(connector, lambda c: c.deliver(a_reply()))
    assert [r.message["Message-ID"] for r in smtp_server.received] == [
        "<reply-1.T-000123@deskpilot.acme.test>"
    ]


def test_a_refused_recipient_is_permanent(mailbox: TestMailbox, smtp_server: SmtpServer) -> None:
    smtp_server.refuse_recipient("gone@example.com", "550 5.1.1 <gone@example.com>: no such user")
    connector = connector_for(mailbox, smtp_server)
    with pytest.raises(DeliveryError) as raised:
        run(connector, lambda c: c.deliver(a_reply(to_email="gone@example.com")))
    assert raised.value.permanent is True and "no such user" in str(raised.value)
    assert smtp_server.received == [] and mailbox.messages(mailbox.sent) == []


def test_an_unreachable_server_is_transient(mailbox: TestMailbox) -> None:
    connector = connector_for(mailbox, smtp_port=1)  # nothing listens on port 1
    with pytest.raises(DeliveryError) as raised:
        run(connector, lambda c: c.deliver(a_reply()))
    assert raised.value.permanent is False and "SMTP server" in str(raised.value)


def test_a_wrong_smtp_password_names_the_setting_never_the_secret(
    mailbox: TestMailbox, smtp_server: SmtpServer
) -> None:
    connector = connector_for(mailbox, smtp_server, smtp_password="wrong-password-456")
    with pytest.raises(DeliveryError) as raised:
        run(connector, lambda c: c.deliver(a_reply()))
    said = str(raised.value)
    assert "DESKPILOT_CONNECTORS__EMAIL__SMTP_PASSWORD" in said and "wrong-password-456" not in said
    assert smtp_server.received == []


def test_a_connection_lost_after_the_data_is_an_unknown_outcome(
    mailbox: TestMailbox, smtp_server: SmtpServer
) -> None:
    smtp_server.drop_after_next_data()
    connector = connector_for(mailbox, smtp_server)
    with pytest.raises(ConnectorError) as raised:
        run(connector, lambda c: c.deliver(a_reply()))
    # Not a DeliveryError: the outbox must ask find_delivered before sending again.
    assert not isinstance(raised.value, DeliveryError) and "unknown" in str(raised.value)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_plain_tls_and_no_tls_servers(mailbox: TestMailbox) -> None:
    for security in ("ssl", "none"):
        server = SmtpServer(security=security).start()
        try:
            connector = connector_for(mailbox, server, smtp_security=security)
            run(connector, lambda c: c.deliver(a_reply()))
            assert len(server.received) == 1, security
        finally:
            server.stop()


def test_check_logs_in_to_both_servers(mailbox: TestMailbox, smtp_server: SmtpServer) -> None:
    said = run(connector_for(mailbox, smtp_server), lambda c: c.check())
    assert "IMAP" in said and "SMTP" in said and mailbox.inbox in said


# --- what the customer reads ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Export fails", "Re: Export fails [T-000123]"),
        ("Re: Export fails", "Re: Export fails [T-000123]"),
        ("RE: Aw: re: Export fails [T-000123]", "Re: Export fails [T-000123]"),
        ("Re[2]: Export\n fails", "Re: Export fails [T-000123]"),
        ("", "Re: Your request [T-000123]"),
    ],
)
def test_the_subject_has_one_re_and_one_tag(subject: str, expected: str) -> None:
    assert reply_subject(subject, "T-000123") == expected


def test_a_ticket_id_of_another_shape_is_tagged_once_too() -> None:
    assert reply_subject("Re: Login [ACME-55]", "ACME-55") == "Re: Login [ACME-55]"


def test_markdown_becomes_plain_text_without_marks() -> None:
    text = markdown_to_text(
        "## Next steps\n\nRun `deskpilot sync` **now**, or see <https://docs.test>.\n\n"
        "- first\n- second\n  1. nested\n\n> you wrote: it fails\n\n```\npip install x\n```\n"
    )
    assert text == (
        "Next steps\n\nRun deskpilot sync now, or see https://docs.test.\n\n"
        "- first\n- second\n   1. nested\n\n> you wrote: it fails\n\n    pip install x\n"
    )
    assert not any(mark in text for mark in ("`", "**", "##"))


def test_a_sent_copy_that_cannot_be_filed_does_not_fail_the_delivery(
    mailbox: TestMailbox, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    connector = connector_for(mailbox, smtp_server, imap_port=1)  # the IMAP server is away
    with caplog.at_level(logging.WARNING):
        delivered = run(connector, lambda c: c.deliver(a_reply()))
    assert delivered.external_id == "<reply-1.T-000123@deskpilot.acme.test>"
    assert len(smtp_server.received) == 1
    assert "was sent but its copy could not be filed" in caplog.text
