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


def test_a_due_survey_is_queued_once_through_the_tickets_channel(
    channel_desk: Desk, clock: Clock
) -> None:
    channel_desk.store.add_tickets([fake_ticket(1), fake_ticket(2, source="")])
    channel_desk.solve("T-000001")
    channel_desk.solve("T-000002")  # no channel: no survey, said so
    assert channel_desk.queue_due_surveys() == []  # the delay has not passed
    clock.advance(minutes=60)
    queued = {q.ticket_id: q for q in channel_desk.queue_due_surveys()}
    assert queued["T-000001"].connector == "fake" and queued["T-000002"].connector is None
    assert queued["T-000002"].skipped == "the ticket has no channel to send through"
    (entry,) = channel_desk.outbox()
    assert (entry.ticket_id, entry.connector) == ("T-000001", "fake")
    assert "/csat/" in entry.reply.body and entry.reply.to_email == "customer1@example.com"
    assert channel_desk.queue_due_surveys() == []
    assert len(channel_desk.outbox()) == 1
