"""Snooze and merge meet the channel sync, on both backends: a customer's message pulled from
the channel wakes a snoozed ticket at once, and a follow-up on a merged duplicate's
conversation lands in the ticket it was merged into."""

from __future__ import annotations

from datetime import timedelta

from deskpilot.desk import Desk
from deskpilot.models import Author, Status

from .fakes import FakeChannel
from .kit import START, Clock, fake_ticket
from .test_sync import inbound, sync


async def test_a_pulled_customer_message_wakes_a_snoozed_ticket(
    channel_desk: Desk, clock: Clock
) -> None:
    channel_desk.store.add_tickets([fake_ticket(1, status=Status.PENDING)])
    channel_desk.snooze("T-000001", "3d")
    assert channel_desk.count(channel_desk.view("open")) == 0
    fake = FakeChannel()
    fake.inbox.append(inbound(5, ticket_external_id="conv-1"))
    await sync(channel_desk, fake)
    clock.advance(minutes=6)  # the sync stored it: the desk looks a little later
    (row,) = channel_desk.page(channel_desk.view("open"), 0, 10)
    assert row.id == "T-000001" and row.snoozed_until == START + timedelta(minutes=5)
    assert row.back_from_snooze(channel_desk.clock())


async def test_a_follow_up_on_a_merged_duplicate_goes_to_its_target(channel_desk: Desk) -> None:
    first = fake_ticket(1)
    second = fake_ticket(2).model_copy(update={"customer": first.customer})
    channel_desk.store.add_tickets([first, second])
    channel_desk.merge("T-000002", into="T-000001")
    fake = FakeChannel()
    fake.inbox.append(inbound(7, ticket_external_id="conv-2", subject="Re: Question 2"))
    await sync(channel_desk, fake)
    target = channel_desk.ticket("T-000001")
    assert target.messages[-1].author is Author.CUSTOMER
    assert target.messages[-1].external_id == "<m7@customer.example>"
    source = channel_desk.ticket("T-000002")
    assert source.status is Status.CLOSED and len(source.messages) == 1  # just the merge note
