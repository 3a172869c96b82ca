"""Actions through the desk and its connectors: the demo records, real local HTTP servers for
the built-in connectors, and the audit trail afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.desk import Desk
from deskpilot.models import ActionRecord, Author, Status
from deskpilot.testing import RecordedServer
from deskpilot.testing.pytest_plugin import http_server
from deskpilot.workspace import Workspace

__all__ = ["http_server"]  # the fixture, imported as the connector tests do

SLACK_TOKEN = "xoxb-test-not-a-real-token"


def first_open(desk: Desk) -> str:
    return desk.page(desk.view("open"), 0, 1)[0].id


def audit(desk: Desk, ticket_id: str) -> list[ActionRecord]:
    return desk.store.list_actions(ticket_id)


def outbox(desk: Desk) -> list[dict[str, object]]:
    path = desk.workspace.records_dir / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def configure(desk: Desk, toml: str) -> Desk:
    """The same workspace opened again with ``toml`` added to its config.toml."""
    with desk.workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write("\n" + toml)
    reopened = Desk.open(Workspace.existing(desk.workspace.root))
    reopened.clock = desk.clock
    return reopened


@pytest.fixture
def slack_desk(
    demo_desk: Desk, http_server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    """The demo, with its hand-offs going to Slack (a local server) instead of the records."""
    monkeypatch.setenv("DESKPILOT_CONNECTORS__SLACK__BOT_TOKEN", SLACK_TOKEN)
    toml = f'[connectors.slack]\nbase_url = "{http_server.url}"\nchannel = "#escalations"\n'
    with configure(demo_desk, toml) as desk:
        yield desk


# --- escalation -------------------------------------------------------------------------------


async def test_escalating_posts_the_handoff_to_the_team(demo_desk: Desk) -> None:
    ticket_id = first_open(demo_desk)
    customer = demo_desk.ticket(ticket_id).customer
    assert customer is not None
    escalation = await demo_desk.escalate(ticket_id, "## Hand-off\n\nNeeds billing.")
    assert escalation.notified and escalation.posted is not None
    assert escalation.posted.channel == "#support-handoffs"
    [posted] = [row for row in outbox(demo_desk) if row["kind"] == "handoff"]
    assert (posted["ticket_id"], posted["customer_email"], posted["agent"]) == (
        ticket_id,
        customer.email,
        "ada",
    )
    assert posted["summary"] == "## Hand-off\n\nNeeds billing."
    records = audit(demo_desk, ticket_id)
    assert [r.action for r in records] == [
        "escalate",
        "notify_handoff.requested",
        "notify_handoff",
    ]
    assert records[-1].ok and escalation.posted.reference in records[-1].result
    assert demo_desk.ticket(ticket_id).status is Status.ESCALATED


async def test_a_failing_channel_is_reported_and_the_escalation_still_happens(
    slack_desk: Desk, http_server: RecordedServer
) -> None:
    http_server.respond(
        "POST", "/chat.postMessage", json={"ok": False, "error": "channel_not_found"}
    )
    ticket_id = first_open(slack_desk)
    escalation = await slack_desk.escalate(ticket_id, "Needs a human.")
    await slack_desk.aclose_connectors()
    assert not escalation.notified
    assert "channel_not_found" in escalation.problem
    assert "not notified" in escalation.describe()
    ticket = slack_desk.ticket(ticket_id)
    assert ticket.status is Status.ESCALATED
    assert (ticket.messages[-1].author, ticket.messages[-1].body) == (Author.NOTE, "Needs a human.")
    records = audit(slack_desk, ticket_id)
    assert [(r.action, r.ok) for r in records] == [
        ("escalate", True),
        ("notify_handoff.requested", True),
        ("notify_handoff", False),
    ]
    assert "channel_not_found" in records[-1].result
    [sent] = http_server.received("POST", "/chat.postMessage")
    assert sent.json()["channel"] == "#escalations"
    assert not [row for row in outbox(slack_desk) if row["kind"] == "handoff"]


async def test_without_a_notify_connector_the_note_is_the_handoff(
    desk: Desk, tmp_path: Path
) -> None:
    tickets = tmp_path / "one.jsonl"
    record = {"id": "T-1", "subject": "Help", "body": "Hi", "status": "open"}
    tickets.write_text(json.dumps(record | {"customer": "ann@example.com"}) + "\n")
    desk.import_tickets(tickets)
    escalation = await desk.escalate("T-1", "Over to you.")
    assert (escalation.notified, escalation.problem) == (False, "")
    assert "no team channel" in escalation.describe()
    assert desk.ticket("T-1").status is Status.ESCALATED
    assert [r.action for r in audit(desk, "T-1")] == ["escalate"]


async def test_the_handoff_is_in_the_next_context_as_the_teams_message(demo_desk: Desk) -> None:
    from deskpilot.copilot.assemble import assemble

    ticket_id = first_open(demo_desk)
    await demo_desk.escalate(ticket_id, "## Hand-off: double charge\n\nNeeds billing.")
    context = await assemble(demo_desk, ticket_id)
    [message] = context.team_messages
    assert (message.channel, message.author) == ("#support-handoffs", "ada")
    assert message.text.startswith(f"Hand-off of {ticket_id}")
    assert "Hand-off: double charge" in message.text
