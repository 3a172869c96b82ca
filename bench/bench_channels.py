"""Email channel benchmark: mail from a real IMAP server to InboundMessages, and replies to a
real SMTP server, each against the bare client library in the same run.

Run:  python bench/bench_channels.py [--messages 500] [--replies 100]
Needs Dovecot (``DESKPILOT_TEST_IMAP_URL``, or the ``dovecot`` binary to start a throwaway one)
and aiosmtpd and trustme (the test extra).

Inbound: ``--messages`` mails as customers send them (plain, HTML only, a quoted reply in
German, one with a PDF attached, in turn) appended to a fresh folder. Baseline: imaplib logs in,
selects, searches and fetches BODY.PEEK[] in batches of 25, nothing parsed. DeskPilot: the
email connector's ``pull`` on the same folder (same batches), every mail parsed, its quoted
history stripped, its attachments read. Each figure is the median of 3 runs.
Outbound: ``--replies`` replies to aiosmtpd on loopback over STARTTLS with AUTH, one connection
each (as the outbox delivers them). Baseline: ``aiosmtplib.send`` of a prepared message.
DeskPilot: ``deliver`` (Markdown rendered, headers built), with and without the Sent copy
appended over IMAP.
Through the desk: the same mails in a fresh folder synced by the channel core into a fresh
workspace (``ChannelSync``: pulled, matched to tickets, customers created, stored with the cursor
in one transaction, triaged, marked unread), against the bare imaplib fetch of the same run; then
``--replies`` of those tickets answered (``send_reply``, not timed) and the outbox delivered by
the delivery worker (claim with a lease, deliver with the Sent copy, mark sent), against the bare
``aiosmtplib.send``. One run each (a synced folder is marked processed).
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import aiosmtplib

from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.builtin.email import EmailConfig, EmailConnector
from deskpilot.connectors.models import OutboundReply
from deskpilot.store.channels import DeliveryState
from deskpilot.testing.dovecot import ImapAccount, dovecot_binary
from deskpilot.testing.dovecot import start as start_dovecot
from deskpilot.testing.dovecot import stop as stop_dovecot
from deskpilot.testing.mail import EXPORTED_IMAP_URL, SmtpServer, TestMailbox
from deskpilot.workspace import Workspace

BATCH = 25
QUOTED = (
    "Danke, der Export geht wieder. Eine Frage noch: kann ich das Format wählen?\n\n"
    "Am Mo., 30. Nov. 2026 um 10:12 Uhr schrieb ACME Support <help@acme.test>:\n"
    + "> Hallo, bitte versuchen Sie es noch einmal.\n"
    * 20
)
HTML = (
    "<html><body><p>Hello,</p><p>the <b>dashboard</b> is empty since this morning, see "
    "<a href='https://app.test/d'>the page</a>.</p><ul><li>Firefox</li><li>Debian</li></ul>"
    "<div>Thanks, Ann</div></body></html>"
)


def customer_mail(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {number} <customer{number}@example.com>"
    message["To"] = "help@acme.test"
    message["Subject"] = f"Question {number} about my invoice"
    message["Message-ID"] = f"<bench-{number}@example.com>"
    message["Date"] = f"Mon, 30 Nov 2026 {number // 60 % 24:02d}:{number % 60:02d}:00 +0100"
    kind = number % 4
    if kind == 0:
        message.set_content("Hi,\n\nmy invoice shows the wrong VAT number.\n\nThanks,\nAnn\n")
    elif kind == 1:
        message.set_content(HTML, subtype="html")
    elif kind == 2:
        message["In-Reply-To"] = "<reply-1@acme.test>"
        message.set_content(QUOTED)
    else:
        message.set_content("The receipt is attached.")
        message.add_attachment(
            b"%PDF-1.4\n" + bytes(20_000), maintype="application", subtype="pdf", filename="r.pdf"
        )
    return message.as_bytes()


def median_of(runs: int, work: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def bare_imap_fetch(account: ImapAccount, folder: str) -> int:
    client = imaplib.IMAP4(account.host, account.port)
    client.login(account.user, account.password)
    client.select(folder, readonly=True)
    _, found = client.uid("SEARCH", "ALL")
    uids = found[0].split()
    fetched = 0
    for start in range(0, len(uids), BATCH):
        batch = b",".join(uids[start : start + BATCH]).decode()
        _, data = client.uid("FETCH", batch, "(BODY.PEEK[])")
        fetched += sum(1 for item in data if isinstance(item, tuple))
    client.logout()
    return fetched


def connector_for(
    account: ImapAccount, mailbox: TestMailbox, smtp: SmtpServer, **settings: object
) -> EmailConnector:
    values: dict[str, object] = {
        "address": "help@acme.test",
        "display_name": "ACME Support",
        "imap_host": account.host,
        "imap_port": account.port,
        "imap_ssl": False,
        "imap_user": account.user,
        "imap_password": account.password,
        "mailbox": mailbox.inbox,
        "sent_folder": mailbox.sent,
        "quarantine_folder": mailbox.quarantine,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_user": smtp.user,
        "smtp_password": smtp.password,
        "ca_file": smtp.ca_file,
        "fetch_batch": BATCH,
        "max_messages_per_pull": 1_000_000,
    } | settings
    return EmailConnector(EmailConfig.model_validate(values), ConnectorContext(name="email"))


def connector_pull(connector: EmailConnector) -> int:
    async def scenario() -> int:
        try:
            return len((await connector.pull(None)).messages)
        finally:
            await connector.aclose()

    return asyncio.run(scenario())


def reply(number: int) -> OutboundReply:
    return OutboundReply(
        ticket_id=f"T-{number:06d}",
        message_id=f"bench-{uuid.uuid4().hex}@deskpilot.acme.test",
        subject="Re: Question about my invoice",
        to_email=f"customer{number}@example.com",
        to_name=f"Customer {number}",
        body="Hi,\n\nthe **VAT number** is fixed: see [your invoices](https://app.test/i).\n\n"
        "1. Open *Billing*\n2. Download the new PDF\n\nBest,\nBob",
        in_reply_to=f"<bench-{number}@example.com>",
        references=[f"<bench-{number}@example.com>"],
    )


def desk_config(account: ImapAccount, mailbox: TestMailbox, smtp: SmtpServer) -> str:
    """``[connectors.email]`` as a user writes it; the passwords go in the environment."""
    return (
        "[connectors.email]\n"
        'address = "help@acme.test"\n'
        f'imap_host = "{account.host}"\nimap_port = {account.port}\nimap_ssl = false\n'
        f'imap_user = "{account.user}"\nmailbox = "{mailbox.inbox}"\n'
        f'sent_folder = "{mailbox.sent}"\nquarantine_folder = "{mailbox.quarantine}"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_user = "{smtp.user}"\n'
        f'ca_file = "{smtp.ca_file}"\nfetch_batch = {BATCH}\nmax_messages_per_pull = 1000000\n'
    )


def through_the_desk(
    account: ImapAccount, smtp: SmtpServer, messages: int, replies: int
) -> tuple[float, float]:
    """Seconds to sync ``messages`` mails into triaged tickets, and to deliver ``replies``
    queued replies through the outbox worker, on a fresh folder and workspace."""
    from deskpilot.desk import Desk

    mailbox = TestMailbox(account, f"bench-desk-{uuid.uuid4().hex[:8]}")
    with mailbox.client() as client:
        for number in range(messages):
            client.append(mailbox.inbox, customer_mail(number))
    os.environ["DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD"] = account.password
    os.environ["DESKPILOT_CONNECTORS__EMAIL__SMTP_PASSWORD"] = smtp.password
    workspace = Workspace.create(Path(tempfile.mkdtemp(prefix="deskpilot-bench-ws-")) / "ws")
    workspace.config_file.write_text(desk_config(account, mailbox, smtp))
    with Desk.open(workspace) as desk:
        desk.triage()  # trained before the clock starts, as serve's first round would be

        async def sync() -> None:
            try:
                await desk.channel_sync().sync("email", desk.ticket_sources()["email"])
            finally:
                await desk.aclose_connectors()

        start = time.perf_counter()
        asyncio.run(sync())
        sync_seconds = time.perf_counter() - start
        tickets = desk.queue(limit=None)
        assert len(tickets) == messages, len(tickets)
        assert all(desk.ticket(t.id).intent for t in tickets[:20])  # triaged
        for row in tickets[:replies]:
            desk.send_reply(row.id, "Hi,\n\nthe **VAT number** is fixed.\n\nBest,\nBob")

        async def deliver() -> int:
            try:
                return len(await desk.deliver_outbox())
            finally:
                await desk.aclose_connectors()

        start = time.perf_counter()
        delivered = asyncio.run(deliver())
        deliver_seconds = time.perf_counter() - start
        sent = [e for e in desk.outbox(limit=None) if e.state is DeliveryState.SENT]
        assert delivered == replies == len(sent)
    return sync_seconds, deliver_seconds


def time_async(
    count: int, send: Callable[[int], Awaitable[object]], close: Callable[[], Awaitable[None]]
) -> float:
    async def scenario() -> float:
        start = time.perf_counter()
        try:
            for number in range(count):
                await send(number)
        finally:
            await close()
        return time.perf_counter() - start

    return asyncio.run(scenario())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--replies", type=int, default=100)
    args = parser.parse_args()

    folder: Path | None = None
    if EXPORTED_IMAP_URL:
        account = ImapAccount.from_url(EXPORTED_IMAP_URL)
    elif dovecot_binary():
        folder = Path(tempfile.mkdtemp(prefix="deskpilot-bench-dovecot-"))
        account = start_dovecot(folder)
    else:
        sys.exit("needs Dovecot: set DESKPILOT_TEST_IMAP_URL or install dovecot-imapd")
    smtp = SmtpServer().start()
    try:
        mailbox = TestMailbox(account, f"bench-{uuid.uuid4().hex[:8]}")
        with mailbox.client() as client:
            for number in range(args.messages):
                client.append(mailbox.inbox, customer_mail(number))
        print(f"IMAP: Dovecot at {account.host}:{account.port}; SMTP: aiosmtpd, STARTTLS + AUTH")
        # A shared machine's load moves these figures; print it so readers can judge.
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

        bare = median_of(3, lambda: bare_imap_fetch(account, mailbox.inbox))
        ours = median_of(3, lambda: connector_pull(connector_for(account, mailbox, smtp)))
        assert connector_pull(connector_for(account, mailbox, smtp)) == args.messages
        print(f"\ninbound: {args.messages} mails (plain, HTML, quoted reply, PDF attached)")
        print(f"{'imaplib fetch (baseline)':<40} {args.messages / bare:>9.0f} messages/s")
        print(
            f"{'email connector pull -> InboundMessage':<40} {args.messages / ours:>9.0f} "
            f"messages/s   {ours / bare:.2f}x the baseline's time"
        )

        desk_sync, desk_deliver = through_the_desk(account, smtp, args.messages, args.replies)
        print(
            f"{'sync -> stored, triaged tickets (desk)':<40} {args.messages / desk_sync:>9.0f} "
            f"messages/s   {desk_sync / bare:.2f}x the baseline's time"
        )

        count = args.replies
        prepared = EmailMessage()
        prepared["From"] = "help@acme.test"
        prepared["To"] = "customer@example.com"
        prepared["Subject"] = "Re: Question about my invoice [T-000001]"
        prepared.set_content("Hi,\n\nthe VAT number is fixed.\n")
        context = EmailConfig(
            address="help@acme.test", imap_host="x", smtp_host="x", imap_password="x",
            ca_file=smtp.ca_file,
        ).tls_context()  # fmt: skip

        async def bare_send(_: int) -> object:
            return await aiosmtplib.send(
                prepared,
                hostname="127.0.0.1",
                port=smtp.port,
                start_tls=True,
                username=smtp.user,
                password=smtp.password,
                tls_context=context,
            )

        async def nothing() -> None:
            return None

        bare_seconds = time_async(count, bare_send, nothing)
        without_copy = connector_for(account, mailbox, smtp, save_sent_copy=False)
        with_copy = connector_for(account, mailbox, smtp)
        plain_seconds = time_async(
            count, lambda n: without_copy.deliver(reply(n)), without_copy.aclose
        )
        copy_seconds = time_async(count, lambda n: with_copy.deliver(reply(n)), with_copy.aclose)
        print(f"\noutbound: {count} replies, one SMTP connection each")
        print(f"{'aiosmtplib.send (baseline)':<40} {count / bare_seconds:>9.0f} replies/s")
        for name, seconds in (
            ("deliver, no Sent copy", plain_seconds),
            ("deliver + Sent copy over IMAP", copy_seconds),
        ):
            print(
                f"{name:<40} {count / seconds:>9.0f} replies/s   "
                f"{seconds / bare_seconds:.2f}x the baseline's time"
            )
        print(
            f"{'outbox worker (claim, deliver, Sent copy)':<40} {count / desk_deliver:>9.0f} "
            f"replies/s   {desk_deliver / bare_seconds:.2f}x the baseline's time"
        )
        assert len(smtp.received) == 4 * count
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        smtp.stop()
        if folder is not None:
            stop_dovecot(folder)


if __name__ == "__main__":
    main()
