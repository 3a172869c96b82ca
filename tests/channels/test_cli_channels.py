"""``deskpilot reply``, ``show``, ``outbox`` and ``sync`` on a copy of the demo, whose channel
is the demo connector: replies land in records/outbox.jsonl, a follow-up waits in its inbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.desk import Desk
from deskpilot.models import Author, EditOutcome, Status
from deskpilot.workspace import Workspace


@pytest.fixture
def demo_cli(frozen_demo: Path, tmp_path: Path) -> Cli:
    copy = tmp_path / "ws"
    shutil.copytree(frozen_demo, copy)
    return Cli(copy)


def open_ticket(cli: Cli) -> str:
    rows = json.loads(cli("queue", "--json", "--status", "open").output)
    return str(rows[0]["id"])


def demo_outbox(cli: Cli) -> list[dict[str, object]]:
    path = cli.workspace_dir / "records" / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_reply_sends_as_the_agent_and_delivers_through_the_demo_channel(demo_cli: Cli) -> None:
    ticket_id = open_ticket(demo_cli)
    result = demo_cli("reply", ticket_id, "--text", "We refunded the duplicate charge.")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("✓ sent via demo")
    (sent,) = [row for row in demo_outbox(demo_cli) if row["kind"] == "reply"]
    assert sent["ticket_id"] == ticket_id and sent["body"] == "We refunded the duplicate charge."

    shown = json.loads(demo_cli("show", ticket_id, "--json").output)
    assert shown["id"] == ticket_id and shown["status"] == "pending"
    reply = shown["messages"][-1]
    assert reply["author"] == "agent" and reply["body"] == "We refunded the duplicate charge."
    assert reply["delivery"]["state"] == "sent" and reply["delivery"]["connector"] == "demo"
    assert set(reply) >= {"author", "body", "at", "channel", "delivery"}
    assert "delivery" not in shown["messages"][0]  # the customer's message

    with Desk.open(Workspace.existing(demo_cli.workspace_dir)) as desk:
        (send,) = desk.store.list_actions(ticket_id, action="send")
        assert send.actor == "ada" and send.params["channel"] == "demo"
        assert desk.store.claim_holder(ticket_id) is None  # claimed to send, then released

    listed = json.loads(demo_cli("outbox", "--json").output)
    assert [(e["ticket_id"], e["state"]) for e in listed] == [(ticket_id, "sent")]
    assert "✓ sent via demo" in demo_cli("outbox").output


def test_reply_with_the_draft_sends_it_as_is_with_its_edit_event(demo_cli: Cli) -> None:
    ticket_id = open_ticket(demo_cli)
    result = demo_cli("reply", ticket_id, "--draft")
    assert result.exit_code == 0, result.output
    assert "(sent as is)" in result.output
    with Desk.open(Workspace.existing(demo_cli.workspace_dir)) as desk:
        (event,) = desk.store.list_edit_events(ticket_id)
        assert event.outcome is EditOutcome.SENT_AS_IS and event.agent == "ada"
        last = desk.ticket(ticket_id).messages[-1]
        assert last.author is Author.AGENT and last.body == event.original_text.strip()


def test_reply_from_a_file_and_queue_only(demo_cli: Cli, tmp_path: Path) -> None:
    ticket_id = open_ticket(demo_cli)
    text = tmp_path / "reply.md"
    text.write_text("Hello,\n\nIt is **fixed** now.\n", encoding="utf-8")
    result = demo_cli("reply", ticket_id, "--file", str(text), "--no-deliver")
    assert result.exit_code == 0, result.output
    assert "… queued via demo" in result.output
    assert demo_outbox(demo_cli) == []
    assert "… queued via demo" in demo_cli("show", ticket_id).output

    synced = demo_cli("sync", "--once", "--no-inbound")
    assert synced.exit_code == 0, synced.output
    assert "deliveries: 1 sent" in synced.output
    assert [row["body"] for row in demo_outbox(demo_cli)] == ["Hello,\n\nIt is **fixed** now."]


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "give exactly one of --text, --file or --draft"),
        (("--text", "a", "--draft"), "give exactly one of --text, --file or --draft"),
        (("--text", "   "), "the reply is empty"),
        (("--file", "/nonexistent/reply.txt"), "cannot read it"),
    ],
)
def test_reply_refusals_exit_2_with_one_line(
    demo_cli: Cli, args: tuple[str, ...], message: str
) -> None:
    ticket_id = open_ticket(demo_cli)
    result = demo_cli("reply", ticket_id, *args)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_reply_and_show_on_an_unknown_ticket_exit_2(demo_cli: Cli) -> None:
    for args in (("reply", "T-999999", "--text", "hi"), ("show", "T-999999")):
        result = demo_cli(*args)
        assert result.exit_code == 2 and "no ticket with id 'T-999999'" in result.output


def test_reply_on_a_ticket_another_agent_holds_is_refused(demo_cli: Cli) -> None:
    ticket_id = open_ticket(demo_cli)
    with Desk.open(Workspace.existing(demo_cli.workspace_dir)) as desk:
        desk.store.claim(ticket_id, "grace", lease=desk.settings.team.lease)
    result = demo_cli("reply", ticket_id, "--text", "Mine now.")
    assert result.exit_code == 2 and "being handled by grace" in result.output
    assert demo_outbox(demo_cli) == []


def test_sync_once_brings_the_demo_follow_up_and_reopens_its_ticket(demo_cli: Cli) -> None:
    follow_up = json.loads((demo_cli.workspace_dir / "records" / "inbox.jsonl").read_text())
    ticket_id = follow_up["ticket_external_id"]
    before = json.loads(demo_cli("show", ticket_id, "--json").output)
    assert before["status"] in {"pending", "solved"} and not before["unread"]

    result = demo_cli("sync", "--once")
    assert result.exit_code == 0, result.output
    assert f"demo: 1 new message, 1 follow-up, reopened {ticket_id}" in result.output
    after = json.loads(demo_cli("show", ticket_id, "--json").output)
    assert after["status"] == "open" and after["unread"]
    assert after["messages"][-1]["body"] == follow_up["body"]
    assert len(after["messages"]) == len(before["messages"]) + 1

    again = demo_cli("sync", "--once")
    assert "demo: 0 new messages" in again.output
    assert len(json.loads(demo_cli("show", ticket_id, "--json").output)["messages"]) == len(
        after["messages"]
    )
    with Desk.open(Workspace.existing(demo_cli.workspace_dir)) as desk:
        assert desk.ticket(ticket_id).status is Status.OPEN
        assert [a.action for a in desk.store.list_actions(ticket_id)][-1] == "reopen"


def test_outbox_retry_of_a_reply_that_did_not_fail_exits_2(demo_cli: Cli) -> None:
    ticket_id = open_ticket(demo_cli)
    demo_cli("reply", ticket_id, "--text", "Queued only.", "--no-deliver")
    result = demo_cli("outbox", "--retry", "1")
    assert result.exit_code == 2 and "is queued, not failed" in result.output
