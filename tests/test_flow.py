"""Ownership and flow on the desk: who a ticket belongs to, the next ticket, reopening, what
arrived while the agent drafted; and the commands over them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskpilot.actions.named_invoice import named_invoice
from deskpilot.cli import main
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.models import Author, Customer, Invoice, InvoiceLine, Message, Status, Ticket
from deskpilot.queue.views import order_label, shows_descending
from deskpilot.store import QueueFilter

DEMO_NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the frozen demo's present (conftest)


def assigns(desk: Desk, ticket_id: str) -> list[dict[str, object]]:
    return [a.params for a in desk.store.list_actions(ticket_id) if a.action == "assign"]


def unowned_open(desk: Desk) -> str:
    where = QueueFilter(statuses=frozenset({Status.NEW, Status.OPEN}), unassigned=True)
    return desk.store.list_queue(where, limit=1)[0].id


def test_sending_assigns_an_unowned_ticket_to_the_agent(demo_desk: Desk) -> None:
    ticket_id = unowned_open(demo_desk)
    demo_desk.send_reply(ticket_id, "Hi, done.")
    assert demo_desk.ticket(ticket_id).assignee == "ada"
    assert assigns(demo_desk, ticket_id) == [{"from": None, "to": "ada", "via": "send"}]
    assert ticket_id in {r.id for r in demo_desk.page(demo_desk.view("mine"), 0, 500)}


def test_sending_keeps_a_teammates_ticket_theirs_and_the_autopilot_owns_nothing(
    demo_desk: Desk,
) -> None:
    theirs, untouched = (r.id for r in demo_desk.store.list_queue(
        QueueFilter(statuses=frozenset({Status.NEW, Status.OPEN}), unassigned=True), limit=2
    ))  # fmt: skip
    demo_desk.assign(theirs, "bo")
    demo_desk.send_reply(theirs, "Covering for Bo.")
    demo_desk.send_reply(untouched, "Auto answer.", agent="autopilot")
    assert demo_desk.ticket(theirs).assignee == "bo"
    assert demo_desk.ticket(untouched).assignee is None


def test_assign_checks_the_team_and_audits(demo_desk: Desk) -> None:
    ticket_id = unowned_open(demo_desk)
    team = demo_desk.settings.team.model_copy(update={"members": ["ada", "bo"]})
    demo_desk.settings = demo_desk.settings.model_copy(update={"team": team})
    with pytest.raises(DeskPilotError, match=r"'zed' is not a team member; .*ada, bo"):
        demo_desk.assign(ticket_id, "zed")
    assert demo_desk.assign(ticket_id, "bo") == "bo"
    assert demo_desk.take(ticket_id) == "ada"
    assert assigns(demo_desk, ticket_id) == [
        {"from": None, "to": "bo", "via": "assign"},
        {"from": "bo", "to": "ada", "via": "take"},
    ]


def test_next_ticket_is_the_most_urgent_free_one_and_becomes_the_agents(
    demo_desk: Desk,
) -> None:
    view = demo_desk.view("open")
    workable = frozenset({Status.NEW, Status.OPEN})
    candidates = demo_desk.store.list_queue(QueueFilter(statuses=workable, free_for="ada"), limit=3)
    first, second = candidates[0], candidates[1]
    demo_desk.assign(first.id, "bo")  # someone else's now: skipped
    ticket = demo_desk.next_ticket(view)
    assert ticket is not None and ticket.id == second.id
    assert ticket.assignee == "ada" and demo_desk.holds(ticket.id)
    assert assigns(demo_desk, ticket.id)[-1] == {"from": None, "to": "ada", "via": "next"}
    # it is claimed: a second desk of another agent is handed a different one
    other = Desk(demo_desk.workspace, demo_desk.settings, demo_desk.store)
    other.settings = other.settings.model_copy(
        update={"agent": other.settings.agent.model_copy(update={"name": "cy"})}
    )
    other.clock = lambda: DEMO_NOW
    theirs = other.next_ticket(view)
    assert theirs is not None and theirs.id not in {first.id, second.id}


def test_next_ticket_of_an_empty_view_is_none(demo_desk: Desk) -> None:
    view = demo_desk.view("open").filtered(intent="no-such-intent")
    assert demo_desk.next_ticket(view) is None


def test_reopen(demo_desk: Desk) -> None:
    ticket_id = unowned_open(demo_desk)
    with pytest.raises(DeskPilotError, match="already"):
        demo_desk.reopen(ticket_id)
    demo_desk.solve(ticket_id)
    demo_desk.reopen(ticket_id)
    assert demo_desk.ticket(ticket_id).status is Status.OPEN


def test_what_arrived_since_the_draft_was_shown(demo_desk: Desk) -> None:
    ticket_id = unowned_open(demo_desk)
    seen = len(demo_desk.ticket(ticket_id).messages)
    assert demo_desk.arrived_since(ticket_id, seen) == []
    demo_desk.add_note(ticket_id, "my own note")  # the agent's own: not news
    customer = Message(author=Author.CUSTOMER, body="Any update? It got worse.", at=DEMO_NOW)
    teammate = Message(author=Author.AGENT, body="On it.", author_name="bo", at=DEMO_NOW)
    demo_desk.store.append_message(ticket_id, customer)
    demo_desk.store.append_message(ticket_id, teammate)
    arrived = demo_desk.arrived_since(ticket_id, seen)
    assert [m.body for m in arrived] == ["Any update? It got worse.", "On it."]


def _invoice(number: str, invoice_id: str) -> Invoice:
    return Invoice(
        id=invoice_id,
        customer_id="c1",
        number=number,
        issued=DEMO_NOW.date(),
        status="paid",
        lines=[InvoiceLine(description="Pro", amount=49.0)],
    )


def test_the_invoice_the_customer_named() -> None:
    invoices = [_invoice("INV-2026-000038", "in_a"), _invoice("INV-2026-000380", "in_b")]
    customer = Customer(id="c1", email="kim@example.com")

    def ticket(*bodies: str) -> Ticket:
        messages = [Message(author=Author.CUSTOMER, body=b) for b in bodies]
        return Ticket(id="T-1", subject="refund", customer=customer, messages=messages)

    assert named_invoice(ticket("refund inv-2026-000380 please"), invoices) == "in_b"
    assert named_invoice(ticket("INV-2026-000038, not the other"), invoices) == "in_a"
    # the latest message that names one wins; a longer number is not a match for a prefix
    assert named_invoice(ticket("INV-2026-000038", "sorry, I meant in_b"), invoices) == "in_b"
    assert named_invoice(ticket("INV-2026-0000389 is not ours"), invoices) is None
    assert named_invoice(ticket("please refund me"), invoices) is None


def test_sort_labels_agree_with_the_order() -> None:
    # "age" sorts by creation time: its natural order lists the oldest (largest age) first
    assert order_label("age", descending=False) == "oldest first"
    assert order_label("age", descending=True) == "newest first"
    assert shows_descending("age", descending=False)  # ages fall down the list: ▼
    assert not shows_descending("subject", descending=False)


# --- the command line ---------------------------------------------------------------------


def cli(workspace: Path, *args: str) -> object:
    return CliRunner().invoke(main, ["--workspace", str(workspace), *args])


def test_cli_assign_and_next(demo_desk: Desk) -> None:
    root = demo_desk.workspace.root
    ticket_id = unowned_open(demo_desk)
    result = cli(root, "assign", ticket_id, "me")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert result.stdout == f"{ticket_id} is assigned to ada (you)\n"  # type: ignore[attr-defined]
    assert demo_desk.ticket(ticket_id).assignee == "ada"

    result = cli(root, "next", "--view", "unassigned", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    taken = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert taken["assignee"] == "ada" and taken["status"] in {"new", "open"}
    assert demo_desk.ticket(taken["id"]).assignee == "ada"
    assert assigns(demo_desk, taken["id"])[-1]["via"] == "next"

    result = cli(root, "next", "--view", "nope")
    assert result.exit_code == 2 and "no queue view 'nope'" in result.stderr  # type: ignore[attr-defined]
    result = cli(root, "assign", "T-999999", "me")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert result.stderr.count("\n") == 1 and "T-999999" in result.stderr  # type: ignore[attr-defined]


def test_cli_queue_says_when_it_stops_at_its_limit(demo_desk: Desk) -> None:
    root = demo_desk.workspace.root
    total = demo_desk.count(demo_desk.view("open"))
    assert total > 50
    result = cli(root, "queue")
    assert result.stdout.splitlines()[-1] == (  # type: ignore[attr-defined]
        f"50 of {total} tickets; --limit 0 lists them all"
    )
    everything = cli(root, "queue", "--limit", "0").stdout  # type: ignore[attr-defined]
    assert " of " not in everything.splitlines()[-1]
    assert len(re.findall(r"^ ?T-\d+", everything, re.M)) == total


# --- escalation -----------------------------------------------------------------------------


def test_the_handoff_lists_what_was_done_and_the_account(demo_desk: Desk) -> None:
    from deskpilot.models import CrmRecord, Subscription

    ticket_id = unowned_open(demo_desk)
    assert "Refunded" not in demo_desk.escalation_summary(ticket_id)
    moved = {"invoice": "in_7", "amount": 30.0, "outcome": "moved", "moved": 30.0}
    demo_desk.audit("refund.requested", ticket_id, {"invoice": "in_7", "amount": 30.0})
    demo_desk.audit("refund", ticket_id, moved | {"refund_id": "re_1"})
    demo_desk.audit("refund", ticket_id, moved | {"moved": 12.5, "refund_id": "re_2"})
    demo_desk.audit("reset_password", ticket_id, {"email": "kim@example.com"}, result="sent")
    demo_desk.audit(
        "update_setting", ticket_id, {"setting": "seats", "from": "5", "to": "8", "key": "k"}
    )
    crm = CrmRecord(customer_id="c", company="Acme", seats=8, account_owner="Priya")
    subscription = Subscription(
        customer_id="c",
        plan_id="pro",
        status="active",
        cycle_start=DEMO_NOW.date(),
        cycle_end=datetime(2026, 12, 2, tzinfo=UTC).date(),
        seats=8,
    )
    summary = demo_desk.escalation_summary(ticket_id, crm=crm, subscription=subscription)
    tried = summary.split("### Already tried")[1].split("###")[0]
    assert "Refunded USD 30.00 on in_7, refund re_1 (2026-11-02 09:00 by ada)" in tried
    assert "Refunded USD 12.50 on in_7, refund re_2" in tried
    assert "Password reset sent to kim@example.com" in tried
    assert "Seats changed from 5 to 8" in tried
    assert "requested" not in tried and "Nothing recorded yet" not in tried
    assert "- Account: Acme, 8 seats, owner Priya" in summary
    assert "- Subscription: pro (active), 8 seats, renews 2026-12-02" in summary
    question = summary.split("### Open question")[1].split("###")[0].strip()
    assert question.startswith(">") or question == "- None asked."


async def test_escalate_to_a_teammate_assigns_and_refuses_unknown_targets(
    demo_desk: Desk,
) -> None:
    ticket_id = unowned_open(demo_desk)
    team = demo_desk.settings.team.model_copy(update={"members": ["ada", "bo"]})
    demo_desk.settings = demo_desk.settings.model_copy(update={"team": team})
    with pytest.raises(DeskPilotError, match="no team or teammate 'Legal' to escalate to"):
        await demo_desk.escalate(ticket_id, "summary", to="Legal")
    assert demo_desk.ticket(ticket_id).status is not Status.ESCALATED
    await demo_desk.escalate(ticket_id, "Over to Bo.", to="bo", reason="bug or outage")
    ticket = demo_desk.ticket(ticket_id)
    assert (ticket.status, ticket.assignee) == (Status.ESCALATED, "bo")
    assert ticket.messages[-1].body == "Escalated to bo · why: bug or outage\n\nOver to Bo."


async def test_a_cancellation_pressed_twice_cancels_once(demo_desk: Desk) -> None:
    from deskpilot.connectors.demo import DemoRecords

    records = DemoRecords(demo_desk.workspace.records_dir)
    active = {s.customer_id for s in records.subscriptions() if s.status == "active"}
    ticket_id = next(
        r.id for r in demo_desk.queue(limit=None) if r.customer_id in active and r.intent
    )
    preview = await demo_desk.preview_cancellation(ticket_id, at_period_end=False)
    assert preview.ends_on == DEMO_NOW.date()
    first = await demo_desk.cancel_subscription(ticket_id, preview)
    again = await demo_desk.cancel_subscription(ticket_id, preview)
    assert (first.replayed, again.replayed, again.reference) == (False, True, first.reference)
    assert len(records.cancellations()) == 1
    status = next(s.status for s in records.subscriptions() if s.customer_id == first.customer_id)
    assert status == "canceled"
    notes = [m for m in demo_desk.ticket(ticket_id).messages if m.body.startswith("Cancelled")]
    assert len(notes) == 1
    with pytest.raises(DeskPilotError, match="no subscription to cancel"):
        await demo_desk.preview_cancellation(ticket_id, at_period_end=True)
    await demo_desk.aclose_connectors()
