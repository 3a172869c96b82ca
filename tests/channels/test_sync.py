"""Inbound: pulled messages find their ticket by each rule, are stored once, reopen and
re-triage answered tickets, mark them unread, and keep their attachments in the workspace."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from pathlib import Path

from deskpilot.channels.sync import ChannelSync
from deskpilot.connectors.models import InboundAttachment, InboundMessage, Pulled
from deskpilot.desk import Desk
from deskpilot.feedback.stats import compute_stats
from deskpilot.models import Author, Status

from .fakes import FakeChannel
from .kit import START, Clock, fake_ticket, open_desk


def inbound(number: int, **fields: object) -> InboundMessage:
    values: dict[str, object] = {
        "external_id": f"<m{number}@customer.example>",
        "from_email": "customer1@example.com",
        "from_name": "Customer 1",
        "subject": "Re: Question 1",
        "body": f"Follow-up number {number}: it still charges me twice.",
        "at": START + timedelta(minutes=number),
    }
    return InboundMessage.model_validate(values | fields)


async def sync(desk: Desk, fake: FakeChannel) -> None:
    report = await desk.channel_sync().sync("fake", fake)
    assert report.error == ""


async def test_a_follow_up_finds_its_ticket_by_conversation_id(channel_desk: Desk) -> None:
    channel_desk.store.add_tickets([fake_ticket(1, status=Status.PENDING)])
    fake = FakeChannel()
    fake.inbox.append(inbound(1, ticket_external_id="conv-1", subject="anything"))
    await sync(channel_desk, fake)
    ticket = channel_desk.ticket("T-000001")
    assert [m.author for m in ticket.messages] == [Author.CUSTOMER, Author.CUSTOMER]
    assert ticket.messages[-1].external_id == "<m1@customer.example>"


async def test_an_answer_to_our_reply_finds_its_ticket_by_in_reply_to(
    channel_desk: Desk,
) -> None:
    channel_desk.store.add_tickets([fake_ticket(1, source="", email="customer1@example.com")])
    channel_desk.settings.connectors["email"] = {"address": "help@acme.example"}
    channel_desk.send_reply("T-000001", "Fixed it.")
    our_id = channel_desk.ticket("T-000001").messages[-1].external_id
    fake = FakeChannel()
    fake.inbox.append(inbound(1, in_reply_to=["<unknown@x>", our_id], subject="no tag"))
    await channel_desk.channel_sync().sync("email", fake)
    assert channel_desk.ticket("T-000001").messages[-1].body.startswith("Follow-up number 1")


async def test_a_tag_in_the_subject_finds_its_ticket(channel_desk: Desk) -> None:
    channel_desk.store.add_tickets([fake_ticket(1), fake_ticket(2)])
    fake = FakeChannel()
    fake.inbox.append(inbound(1, subject="Re: Question [URGENT] [T-000002]"))
    await sync(channel_desk, fake)
    assert len(channel_desk.ticket("T-000001").messages) == 1
    assert len(channel_desk.ticket("T-000002").messages) == 2


async def test_an_unmatched_message_starts_a_ticket_with_a_new_customer(
    channel_desk: Desk,
) -> None:
    fake = FakeChannel()
    fake.inbox.append(
        inbound(1, subject="Cannot log in", from_email="New.Person@Example.com", from_name="New")
    )
    fake.inbox.append(inbound(2, subject="Billing", from_email="customer9@example.com"))
    channel_desk.store.add_tickets([fake_ticket(9)])  # customer9 is known
    await sync(channel_desk, fake)
    new = [t for t in channel_desk.queue(limit=None) if t.id not in {"T-000009"}]
    assert len(new) == 2
    by_subject = {t.subject: channel_desk.ticket(t.id) for t in new}
    login = by_subject["Cannot log in"]
    assert login.customer is not None and login.customer.email == "new.person@example.com"
    assert login.customer.name == "New" and login.source == "fake"
    assert login.status is Status.NEW and login.intent is not None  # triaged on arrival
    billing = by_subject["Billing"]
    assert billing.customer is not None and billing.customer.id == "C-9"
    assert all(t.unread for t in new)


async def test_pulling_twice_stores_nothing_twice(channel_desk: Desk) -> None:
    channel_desk.store.add_tickets([fake_ticket(1)])
    fake = FakeChannel()
    fake.inbox += [inbound(1, ticket_external_id="conv-1"), inbound(1, ticket_external_id="conv-1")]
    await sync(channel_desk, fake)
    assert channel_desk.channels.cursor("fake") == "2"
    channel_desk.channels.save_cursor("fake", "0", 0, START)  # as if the cursor were lost
    report = await channel_desk.channel_sync().sync("fake", fake)
    assert report.imported == 0 and report.skipped == 2
    assert len(channel_desk.ticket("T-000001").messages) == 2


async def test_our_own_delivered_reply_coming_back_is_not_stored_again(
    channel_desk: Desk,
) -> None:
    channel_desk.store.add_tickets([fake_ticket(1)])
    channel_desk.send_reply("T-000001", "Done.")
    from .kit import worker_for

    fake = FakeChannel()
    await worker_for(channel_desk, fake).deliver_due()
    # A help desk lists our reply among the conversation's comments, under its own id.
    fake.inbox.append(
        inbound(1, external_id="fake-1", ticket_external_id="conv-1", author=Author.AGENT)
    )
    report = await channel_desk.channel_sync().sync("fake", fake)
    assert report.skipped == 1 and len(channel_desk.ticket("T-000001").messages) == 2


async def test_a_follow_up_reopens_a_solved_ticket_retriages_and_marks_it_unread(
    channel_desk: Desk,
) -> None:
    channel_desk.store.add_tickets([fake_ticket(1, status=Status.SOLVED)])
    channel_desk.store.update_ticket("T-000001", intent="billing_dispute")
    fake = FakeChannel()
    fake.inbox.append(
        inbound(1, ticket_external_id="conv-1", body="I forgot my password and cannot log in")
    )
    await sync(channel_desk, fake)
    ticket = channel_desk.ticket("T-000001")
    assert ticket.status is Status.OPEN
    (reopen,) = channel_desk.store.list_actions("T-000001", action="reopen")
    assert reopen.params["from"] == "solved" and reopen.actor == "fake"
    (message,) = channel_desk.store.list_actions("T-000001", action="customer_message")
    assert message.actor == "fake" and message.params["source"] == "fake"
    assert message.params["chars"] == len("I forgot my password and cannot log in")
    assert compute_stats(channel_desk.store, now=START).reopens == 1  # a KPI of its own
    assert channel_desk.store.get_triage("T-000001") is not None
    (row,) = [t for t in channel_desk.queue(limit=None) if t.id == "T-000001"]
    assert row.unread
    assert channel_desk.mark_read("T-000001")
    (row,) = [t for t in channel_desk.queue(limit=None) if t.id == "T-000001"]
    assert not row.unread and not channel_desk.mark_read("T-000001")


async def test_an_agent_reply_made_in_the_help_desk_is_an_agent_message(
    channel_desk: Desk,
) -> None:
    channel_desk.store.add_tickets([fake_ticket(1, status=Status.PENDING)])
    fake = FakeChannel()
    fake.inbox.append(
        inbound(1, ticket_external_id="conv-1", author=Author.AGENT, from_name="Zed Agent")
    )
    await sync(channel_desk, fake)
    ticket = channel_desk.ticket("T-000001")
    assert ticket.messages[-1].author is Author.AGENT
    assert ticket.messages[-1].author_name == "Zed Agent"
    assert ticket.status is Status.PENDING  # an agent's words reopen nothing
    assert channel_desk.channels.unread_since("T-000001") is None


async def test_attachments_are_kept_in_the_workspace_never_run(channel_desk: Desk) -> None:
    channel_desk.store.add_tickets([fake_ticket(1)])
    fake = FakeChannel()
    fake.inbox.append(
        inbound(
            1,
            ticket_external_id="conv-1",
            attachments=[
                InboundAttachment(
                    name="../../evil.sh", content_type="text/x-sh", data=b"#!/bin/sh\nrm -rf /\n"
                ),
                InboundAttachment(name="invoice.pdf", content_type="application/pdf", data=b"%PDF"),
            ],
        )
    )
    await sync(channel_desk, fake)
    stored = channel_desk.ticket("T-000001").messages[-1].attachments
    assert [a.name for a in stored] == ["../../evil.sh", "invoice.pdf"]
    assert [a.size for a in stored] == [len(b"#!/bin/sh\nrm -rf /\n"), 4]
    root = channel_desk.workspace.attachments_dir
    paths = [root / a.stored_as for a in stored]
    assert [p.parent for p in paths] == [root / "T-000001"] * 2
    assert paths[0].name == "1-evil.sh" and paths[0].read_bytes().startswith(b"#!/bin/sh")
    assert paths[0].stat().st_mode & 0o111 == 0  # never executable


async def test_a_failing_pull_is_recorded_and_keeps_the_cursor(
    channel_desk: Desk, clock: Clock
) -> None:
    class Broken(FakeChannel):
        async def pull(self, cursor: str | None) -> Pulled:
            raise ConnectionResetError("the server went away")

    report = await channel_desk.channel_sync().sync("fake", Broken())
    assert "went away" in report.error
    (state,) = channel_desk.channels.sync_states()
    assert state.cursor is None and state.last_ok_at is None and "went away" in state.last_error


def test_the_sync_takes_narrow_collaborators() -> None:
    # The sync and the worker are built from the store and callables, not the desk.
    import inspect

    assert "desk" not in inspect.signature(ChannelSync.__init__).parameters


def test_two_processes_storing_the_same_pull_store_it_once(
    database_url: str, tmp_path: Path, clock: Clock
) -> None:
    fake = FakeChannel()
    fake.inbox += [inbound(n, ticket_external_id="conv-1") for n in range(1, 6)]
    with open_desk(database_url, tmp_path / "first", clock) as desk:
        desk.store.add_tickets([fake_ticket(1)])
    errors: list[BaseException] = []

    def sync_in(folder: str) -> None:
        try:
            with open_desk(database_url, tmp_path / folder, clock) as desk:
                asyncio.run(desk.channel_sync().sync("fake", fake))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=sync_in, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_desk(database_url, tmp_path / "check", clock) as desk:
        bodies = [m.body for m in desk.ticket("T-000001").messages[1:]]
    assert bodies == [f"Follow-up number {n}: it still charges me twice." for n in range(1, 6)]
