"""A hand-built team history whose statistics are worked out by hand in the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskpilot.models import (
    Author,
    EditEvent,
    EditOutcome,
    Message,
    Sentiment,
    Status,
    Ticket,
    TriageRecord,
)
from deskpilot.store import Store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY = NOW - timedelta(days=2)


def _ticket(
    ticket_id: str,
    intent: str,
    status: Status,
    created: datetime,
    *,
    reply_after: timedelta | None = None,
    updated_after: timedelta = timedelta(0),
    csat: int | None = None,
    replier: str = "ada",
) -> Ticket:
    messages = [Message(author=Author.CUSTOMER, body=f"help with {ticket_id}", at=created)]
    if reply_after is not None:
        messages.append(
            Message(
                author=Author.AGENT, body="Done.", at=created + reply_after, author_name=replier
            )
        )
    return Ticket(
        id=ticket_id,
        subject=f"{intent} {ticket_id}",
        messages=messages,
        status=status,
        intent=intent,
        created_at=created,
        updated_at=created + updated_after,
        csat=csat,
    )


def _event(
    n: int,
    ticket_id: str,
    intent: str,
    outcome: EditOutcome,
    similarity: float | None,
    *,
    agent: str = "ada",
    drafter: str = "local",
    diff: list[list[str]] | None = None,
    draft_id: int | None = None,
) -> EditEvent:
    return EditEvent(
        id=f"e{n}",
        ticket_id=ticket_id,
        agent=agent,
        original_text="draft",
        current_text="final",
        outcome=outcome,
        intent=intent,
        drafter=drafter,
        prompt_version="v1",
        shown_at=DAY,
        updated_at=DAY,
        finished_at=DAY,
        similarity=similarity,
        diff=diff,
        draft_id=draft_id,
    )


def build_history(store: Store) -> None:
    """Five tickets, five finished edit events and one still being edited (replies are
    ada's unless named):

    T1 billing  solved     reply after 30 min, solved after 60, CSAT 5; sent as is (1.0)
    T2 billing  solved     reply (bo's) after 120 min, solved after 180, CSAT 3; regenerated
                           (0.4), then sent edited (0.8) by bo
    T3 access   escalated  no reply; triage said "angry customer"; escalated
    T4 access   pending    reply after 60 min, untouched for 10 days: abandoned; sent as is (1.0)
    T5 access   open       nothing yet; a draft being edited (pending, not counted)
    """
    old = NOW - timedelta(days=10, hours=1)
    store.add_tickets(
        [
            _ticket("T1", "billing", Status.SOLVED, DAY, reply_after=timedelta(minutes=30),
                    updated_after=timedelta(minutes=60), csat=5),
            _ticket("T2", "billing", Status.SOLVED, DAY, reply_after=timedelta(minutes=120),
                    updated_after=timedelta(minutes=180), csat=3, replier="bo"),
            _ticket("T3", "access", Status.ESCALATED, DAY),
            _ticket("T4", "access", Status.PENDING, old, reply_after=timedelta(minutes=60),
                    updated_after=timedelta(minutes=60)),
            _ticket("T5", "access", Status.OPEN, DAY),
        ]
    )  # fmt: skip
    store.save_triages(
        [
            TriageRecord(
                ticket_id="T3", intent="access", confidence=0.9, sentiment=Sentiment.ANGRY,
                handoff=True, handoff_reason="angry customer",
            )
        ]
    )  # fmt: skip
    for event in [
        _event(1, "T1", "billing", EditOutcome.SENT_AS_IS, 1.0),
        _event(2, "T2", "billing", EditOutcome.REGENERATED, 0.4, drafter="model"),
        _event(3, "T2", "billing", EditOutcome.SENT_EDITED, 0.8, agent="bo"),
        _event(4, "T3", "access", EditOutcome.ESCALATED, 0.0),
        _event(5, "T4", "access", EditOutcome.SENT_AS_IS, 1.0),
        _event(6, "T5", "access", EditOutcome.PENDING, None),
    ]:
        store.save_edit_event(event)
