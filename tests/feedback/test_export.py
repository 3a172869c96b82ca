"""Training export: chat conversations and preference pairs, redacted, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli
from deskpilot.desk import Desk
from deskpilot.models import Author, Draft, Message, Ticket


def _answered(desk: Desk, ticket_id: str, draft: str, final: str) -> None:
    at = desk.clock()
    desk.store.add_tickets(
        [
            Ticket(
                id=ticket_id,
                subject="Card declined",
                messages=[
                    Message(
                        author=Author.CUSTOMER,
                        body="My card 4111 1111 1111 1111 was declined, mail me at jo@example.com",
                        at=at,
                    )
                ],
                created_at=at,
                updated_at=at,
            )
        ]
    )
    shown = Draft(ticket_id=ticket_id, text=draft, drafter="local", confidence=0.5)
    edit_id = desk.draft_shown(shown, desk.store.save_draft(shown))
    desk.send_reply(ticket_id, final, edit_id=edit_id)


def test_chat_and_preference_exports(desk: Desk, cli: Cli, tmp_path: Path) -> None:
    _answered(desk, "T-1", "Sorry about that.", "Sorry about that.")
    _answered(desk, "T-2", "Try again.", "Please try again; I emailed jo@example.com the steps.")
    chat, pairs = tmp_path / "chat.jsonl", tmp_path / "pairs.jsonl"
    assert cli("export", "training", "--format", "chat", "-o", str(chat)).exit_code == 0
    assert cli("export", "training", "--format", "preference", "-o", str(pairs)).exit_code == 0
    conversations = [json.loads(line) for line in chat.read_text().splitlines()]
    assert [[m["role"] for m in c["messages"]] for c in conversations] == [
        ["system", "user", "assistant"]
    ] * 2
    assert conversations[1]["messages"][2]["content"].startswith("Please try again")
    text = chat.read_text() + pairs.read_text()
    assert "jo@example.com" not in text and "4111 1111" not in text
    assert "[EMAIL_1]" in text
    (pair,) = [json.loads(line) for line in pairs.read_text().splitlines()]  # only the edited one
    assert pair["rejected"][0]["content"] == "Try again."
    assert pair["chosen"][0]["content"].startswith("Please try again")
    assert not list(tmp_path.glob("*.part"))


def test_an_unwritable_output_is_a_clear_error(desk: Desk, cli: Cli, tmp_path: Path) -> None:
    _answered(desk, "T-1", "a", "b")
    result = cli("export", "training", "--format", "chat", "-o", str(tmp_path / "no" / "x.jsonl"))
    assert result.exit_code == 2 and "cannot write the export" in result.output
