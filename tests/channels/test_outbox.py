"""Replies through the outbox: written with their entry in one transaction, delivered once
through the ticket's channel, retried with backoff, failed with a reason, reconciled with the
channel when an attempt's outcome was unknown, never delivered twice by two desks."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.models import Author, Status
from deskpilot.store.channels import DeliveryState

from .fakes import FakeChannel
from .kit import Clock, fake_ticket, open_desk, worker_for


def send(desk: Desk, number: int = 1, text: str = "Here is the corrected invoice.") -> str:
    desk.store.add_tickets([fake_ticket(number)])
    desk.send_reply(f"T-{number:06d}", text)
    entries = desk.channels.entries(ticket_id=f"T-{number:06d}")
    assert len(entries) == 1
    return entries[0].message_id


def test_a_reply_is_written_with_its_outbox_entry_and_a_fixed_message_id(
    channel_desk: Desk,
) -> None:
    message_id = send(channel_desk)
    ticket = channel_desk.ticket("T-000001")
    reply = ticket.messages[-1]
    entry = channel_desk.channels.entry(message_id)
    assert reply.author is Author.AGENT and reply.external_id == message_id
    assert message_id.startswith("<") and message_id.endswith("@deskpilot.localhost>")
    assert entry.state is DeliveryState.QUEUED and entry.connector == "fake"
    assert entry.reply.to_email == "customer1@example.com"
    assert entry.reply.in_reply_to == "<q1@customer.example>"
    assert entry.reply.references == ["<q1@customer.example>"]  # its ancestors
    assert entry.reply.ticket_external_id == "conv-1"
    assert ticket.status is Status.PENDING
    send_audit = channel_desk.store.list_actions("T-000001", action="send")[0]
    assert send_audit.params["channel"] == "fake" and send_audit.params["message_id"] == message_id


def test_a_failed_send_leaves_neither_message_nor_entry(channel_desk: Desk) -> None:
    channel_desk.store.add_tickets([fake_ticket(1)])
    channel_desk.store.claim("T-000001", "grace", lease=channel_desk.settings.team.lease)
    with pytest.raises(DeskPilotError):
        channel_desk.send_reply("T-000001", "This must not go out.")
    assert len(channel_desk.ticket("T-000001").messages) == 1
    assert channel_desk.outbox() == []


def test_a_ticket_without_a_channel_keeps_the_reply_and_says_so(channel_desk: Desk) -> None:
    channel_desk.store.add_tickets([fake_ticket(1, source="")])
    assert channel_desk.reply_channel("T-000001") is None
    channel_desk.send_reply("T-000001", "Noted.")
    assert channel_desk.ticket("T-000001").messages[-1].body == "Noted."
    assert channel_desk.outbox() == []


def test_an_intake_ticket_is_answered_by_email_when_the_workspace_has_it(
    channel_desk: Desk,
) -> None:
    channel_desk.settings.connectors["email"] = {"address": "Help@Acme.example"}
    channel_desk.store.add_tickets([fake_ticket(1, source="")])
    message_id = send_existing(channel_desk, "T-000001")
    entry = channel_desk.channels.entry(message_id)
    assert entry.connector == "email"
    assert message_id.endswith("@deskpilot.acme.example>")


def send_existing(desk: Desk, ticket_id: str) -> str:
    desk.send_reply(ticket_id, "Thanks, fixed.")
    return desk.channels.entries(ticket_id=ticket_id)[0].message_id


async def test_a_transient_failure_is_retried_with_backoff_then_delivered_once(
    channel_desk: Desk, clock: Clock
) -> None:
    message_id = send(channel_desk)
    fake = FakeChannel(["transient", "refused", "ok"])
    worker = worker_for(channel_desk, fake)

    first = await worker.deliver_due()
    entry = channel_desk.channels.entry(message_id)
    assert [o.state for o in first] == [DeliveryState.QUEUED]
    assert entry.attempts == 1 and "try again later" in entry.last_error
    assert entry.next_try == clock.now + worker.backoff(1)
    assert await worker.deliver_due() == []  # not due yet: nothing is tried

    clock.advance(seconds=30)
    await worker.deliver_due()
    entry = channel_desk.channels.entry(message_id)
    assert entry.attempts == 2 and "cannot connect" in entry.last_error
    assert entry.next_try == clock.now + worker.backoff(2) and worker.backoff(2).seconds == 60

    clock.advance(seconds=60)
    await worker.deliver_due()
    entry = channel_desk.channels.entry(message_id)
    assert entry.state is DeliveryState.SENT and entry.external_id == "fake-1"
    assert fake.sends == {message_id: 1}
    assert fake.lookups == []  # neither failure could have delivered it: no need to ask


async def test_a_permanent_failure_stops_shows_its_reason_and_can_be_retried(
    channel_desk: Desk, clock: Clock
) -> None:
    message_id = send(channel_desk)
    fake = FakeChannel(["permanent"])
    worker = worker_for(channel_desk, fake)
    await worker.deliver_due()
    entry = channel_desk.channels.entry(message_id)
    assert entry.state is DeliveryState.FAILED
    assert entry.describe() == "✗ failed: the server refused the recipient (550)"
    clock.advance(hours=5)
    assert await worker.deliver_due() == []  # a failed reply waits for an agent

    with pytest.raises(DeskPilotError, match="no reply '999'"):
        channel_desk.retry_reply(999)
    channel_desk.retry_reply(entry.id)
    await worker.deliver_due()
    assert channel_desk.channels.entry(message_id).state is DeliveryState.SENT
    assert fake.sends == {message_id: 1}
    assert "retry_reply" in [a.action for a in channel_desk.store.list_actions("T-000001")]


async def test_retrying_a_reply_that_has_not_failed_is_refused(channel_desk: Desk) -> None:
    message_id = send(channel_desk)
    with pytest.raises(DeskPilotError, match="is queued, not failed"):
        channel_desk.retry_reply(message_id)


async def test_giving_up_after_max_attempts_fails_with_the_last_reason(
    channel_desk: Desk, clock: Clock
) -> None:
    message_id = send(channel_desk)
    fake = FakeChannel(["transient"] * 10)
    worker = worker_for(channel_desk, fake)
    for _ in range(4):
        await worker.deliver_due()
        clock.advance(hours=1)
    entry = channel_desk.channels.entry(message_id)
    assert entry.state is DeliveryState.FAILED and entry.attempts == 4
    assert entry.last_error.startswith("gave up after 4 attempts: ")
    assert fake.sends == {}


async def test_an_unknown_outcome_is_reconciled_with_the_channel_not_resent(
    channel_desk: Desk, clock: Clock
) -> None:
    message_id = send(channel_desk)
    fake = FakeChannel(["accept-then-drop"])
    worker = worker_for(channel_desk, fake)
    await worker.deliver_due()
    entry = channel_desk.channels.entry(message_id)
    assert entry.state is DeliveryState.QUEUED and entry.check_first
    assert "outcome unknown" in entry.last_error

    clock.advance(seconds=30)
    await worker.deliver_due()
    entry = channel_desk.channels.entry(message_id)
    assert entry.state is DeliveryState.SENT and entry.external_id == "fake-1"
    assert fake.lookups == [message_id]
    assert fake.sends == {message_id: 1}  # asked, found, never sent again


async def test_an_unknown_outcome_that_did_not_arrive_is_sent_once(
    channel_desk: Desk, clock: Clock
) -> None:
    message_id = send(channel_desk)
    fake = FakeChannel(["drop"])
    worker = worker_for(channel_desk, fake)
    await worker.deliver_due()
    clock.advance(seconds=30)
    await worker.deliver_due()
    assert fake.lookups == [message_id]
    assert fake.sends == {message_id: 1}
    assert channel_desk.channels.entry(message_id).state is DeliveryState.SENT


@pytest.mark.parametrize("arrived", [True, False], ids=["arrived", "never-arrived"])
async def test_a_worker_killed_while_sending_is_recovered_without_a_duplicate(
    channel_desk: Desk, clock: Clock, arrived: bool
) -> None:
    """The worker claimed the reply (and the server may have accepted it), then died before
    writing the outcome: the row stays ``sending`` until its lease runs out."""
    message_id = send(channel_desk)
    fake = FakeChannel()
    (claimed,) = channel_desk.channels.claim_due(clock.now, channel_desk.settings.channels.lease)
    if arrived:
        fake._accept(claimed.reply)  # the server took it; the process was killed right after
    assert channel_desk.channels.entry(message_id).state is DeliveryState.SENDING

    worker = worker_for(channel_desk, fake)
    assert await worker.deliver_due() == []  # its lease still runs: nobody else touches it
    clock.advance(seconds=61)
    await worker.deliver_due()
    entry = channel_desk.channels.entry(message_id)
    assert entry.state is DeliveryState.SENT and entry.attempts == 2
    assert fake.lookups == [message_id]
    assert fake.sends == {message_id: 1}
    # The dead worker's late answer cannot overwrite what the live one recorded.
    assert not channel_desk.channels.mark_failed(claimed, "late", clock.now)
    assert channel_desk.channels.entry(message_id).state is DeliveryState.SENT


def test_two_desks_delivering_at_once_deliver_each_reply_once(
    database_url: str, tmp_path: Path, clock: Clock
) -> None:
    replies = 30
    fake = FakeChannel(delay=0.005)
    with open_desk(database_url, tmp_path / "one", clock, agent="ada") as desk:
        for number in range(replies):
            send(desk, number)
    errors: list[BaseException] = []

    def deliver(agent: str) -> None:
        try:
            with open_desk(database_url, tmp_path / agent, clock, agent=agent) as desk:
                asyncio.run(worker_for(desk, fake).deliver_due())
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=deliver, args=(a,)) for a in ("grace", "linus")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(fake.sends) == replies and set(fake.sends.values()) == {1}
    with open_desk(database_url, tmp_path / "check", clock) as desk:
        states = {e.state for e in desk.outbox(limit=None)}
    assert states == {DeliveryState.SENT}
