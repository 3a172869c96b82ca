"""A hand-built history for the lead's reports, whose every figure is worked out by hand in
test_leads.py. Times are minutes after DAY (Wednesday 2026-11-18 12:00 UTC) unless said.

Default [sla] targets, first response / resolution: urgent 60 / 480, high 240 / 1440,
normal 1440 / 4320, low 4320 / 10080 minutes.

L1 urgent email pro     ada replies at 30 (send audited), ada solves at 120 (audited); CSAT 5
L2 urgent chat  free    bo replies at 90, solved at 600 (no audit trail: an import); CSAT 2
L3 normal email pro     ada replies at 60 and 120, solved at 180; the customer writes at 240
L4 high   web   ent.    no reply, open since it came in
L5 low    email free    written NOW - 60 min, new
L6 normal email starter bo escalates at 30 (audited), no reply
L7 normal email pro     ten days before NOW, replied after 60 min, pending ever since
L8 low    chat  starter bo replies at 20 and solves at 60 (audited); ada reopens it at 180
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskpilot.models import (
    ActionRecord,
    Channel,
    EditEvent,
    EditOutcome,
    Priority,
    Status,
    Tier,
)
from deskpilot.store import ReplyFact, TicketFacts

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday
DAY = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=7)


def at(minutes: float) -> datetime:
    return DAY + timedelta(minutes=minutes)


def _facts(
    ticket_id: str,
    priority: Priority,
    channel: Channel,
    tier: Tier,
    status: Status,
    *,
    created: datetime = DAY,
    updated: datetime | None = None,
    first_reply: datetime | None = None,
    csat: int | None = None,
    last_customer: datetime | None = None,
) -> TicketFacts:
    return TicketFacts(
        id=ticket_id,
        intent="billing",
        status=status,
        created_at=created,
        updated_at=updated or created,
        csat=csat,
        first_reply_at=first_reply,
        customer_spoke_last=False,
        handoff_reason=None,
        page=None,
        priority=priority,
        channel=channel,
        tier=tier,
        last_customer_at=last_customer or created,
    )


OLD = NOW - timedelta(days=10)

TICKETS = [
    _facts("L1", Priority.URGENT, Channel.EMAIL, Tier.PRO, Status.SOLVED,
           updated=at(120), first_reply=at(30), csat=5),
    _facts("L2", Priority.URGENT, Channel.CHAT, Tier.FREE, Status.SOLVED,
           updated=at(600), first_reply=at(90), csat=2),
    _facts("L3", Priority.NORMAL, Channel.EMAIL, Tier.PRO, Status.SOLVED,
           updated=at(180), first_reply=at(60), csat=3, last_customer=at(240)),
    _facts("L4", Priority.HIGH, Channel.WEB, Tier.ENTERPRISE, Status.OPEN),
    _facts("L5", Priority.LOW, Channel.EMAIL, Tier.FREE, Status.NEW,
           created=NOW - timedelta(minutes=60)),
    _facts("L6", Priority.NORMAL, Channel.EMAIL, Tier.STARTER, Status.ESCALATED, updated=at(30)),
    _facts("L7", Priority.NORMAL, Channel.EMAIL, Tier.PRO, Status.PENDING, created=OLD,
           updated=OLD + timedelta(minutes=60), first_reply=OLD + timedelta(minutes=60)),
    _facts("L8", Priority.LOW, Channel.CHAT, Tier.STARTER, Status.OPEN,
           updated=at(180), first_reply=at(20)),
]  # fmt: skip

REPLIES = [
    ReplyFact("L1", "ada", at(30)),
    ReplyFact("L2", "bo", at(90)),
    ReplyFact("L3", "ada", at(60)),
    ReplyFact("L3", "ada", at(120)),
    ReplyFact("L7", "cy", OLD + timedelta(minutes=60)),
    ReplyFact("L8", "bo", at(20)),
]


def _action(ticket_id: str, actor: str, action: str, minutes: float, **params: str) -> ActionRecord:
    return ActionRecord(
        ticket_id=ticket_id, actor=actor, action=action, params=params, at=at(minutes)
    )


ACTIONS = [
    _action("L1", "ada", "send", 30),
    _action("L1", "ada", "set_status", 120, status="solved"),
    _action("L6", "bo", "escalate", 30),
    _action("L8", "bo", "send", 20),
    _action("L8", "bo", "set_status", 60, status="solved"),
    _action("L8", "ada", "set_status", 180, status="open"),
    _action("L3", "ada", "note", 100),  # not a status change: ignored
]


def _event(
    n: int, ticket_id: str, agent: str, shown: float, done: float, outcome: EditOutcome
) -> EditEvent:
    return EditEvent(
        id=f"le{n}", ticket_id=ticket_id, agent=agent, original_text="d", current_text="f",
        outcome=outcome, shown_at=at(shown), updated_at=at(done), finished_at=at(done),
    )  # fmt: skip


EVENTS = [
    _event(1, "L1", "ada", 10, 30, EditOutcome.SENT_AS_IS),  # 20 min
    _event(2, "L3", "ada", 30, 60, EditOutcome.SENT_EDITED),  # 30 min
    _event(3, "L2", "bo", 60, 90, EditOutcome.SENT_AS_IS),  # 30 min
    _event(4, "L8", "bo", 0, 5, EditOutcome.DISCARDED),  # not a reply: no handle time
]
