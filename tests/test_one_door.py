"""The desk is the one door: what changes a ticket through it is on the audit trail."""

from __future__ import annotations

from deskpilot.desk import Desk
from deskpilot.models import Author, IntentSource, Message, Status, Ticket


def _ticket(ticket_id: str, status: Status = Status.NEW) -> Ticket:
    body = "I was charged twice for my subscription this month, please refund one."
    return Ticket(
        id=ticket_id,
        subject="Charged twice",
        messages=[Message(author=Author.CUSTOMER, body=body)],
        status=status,
    )


def test_tickets_taken_in_are_stored_triaged_and_audited(desk: Desk) -> None:
    added = desk.take_in([_ticket("R-1"), _ticket("R-2", Status.SOLVED)], source="replay")
    assert added == ["R-1", "R-2"]
    assert desk.take_in([_ticket("R-1")], source="replay") == []  # never twice
    assert desk.triage_record("R-1") is not None  # unsolved: triaged on arrival
    assert desk.triage_record("R-2") is None
    intake = [r for r in desk.store.list_actions(action="intake")]
    assert [(r.ticket_id, r.params["source"]) for r in intake] == [
        ("R-1", "replay"),
        ("R-2", "replay"),
    ]


def test_a_label_is_kept_and_audited(desk: Desk) -> None:
    desk.take_in([_ticket("R-1")], source="replay")
    before = desk.ticket("R-1").intent
    desk.label_intent("R-1", "billing_refund")
    ticket = desk.ticket("R-1")
    assert (ticket.intent, ticket.intent_source) == ("billing_refund", IntentSource.LABEL)
    (record,) = desk.store.list_actions("R-1", action="label_intent")
    assert record.params == {"from": before, "to": "billing_refund"}
    assert record.actor == desk.agent


def test_a_tag_is_added_once_and_audited(desk: Desk) -> None:
    desk.take_in([_ticket("R-1")], source="replay")
    desk.add_tag("R-1", "vip", actor="autopilot")
    desk.add_tag("R-1", "vip", actor="autopilot")
    assert desk.ticket("R-1").tags.count("vip") == 1
    (record,) = desk.store.list_actions("R-1", action="tag")
    assert (record.actor, record.params) == ("autopilot", {"tag": "vip"})
