"""Training export: chat conversations and preference pairs, redacted, all or nothing."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.connectors.capabilities import Crm
from deskpilot.connectors.errors import ConnectorError
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.feedback.export import export_crm_records
from deskpilot.models import Author, CrmRecord, Customer, Draft, Message, Ticket
from deskpilot.workspace import Workspace


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


# --- names on the demo workspace ---------------------------------------------------------------


def _demo_people(folder: Path) -> tuple[set[str], set[str], list[str]]:
    """The demo's people and companies, from its own records (store, CRM connector), and the
    replies the agents sent."""
    with Desk.open(Workspace.existing(folder)) as desk:
        events = [e for e in desk.store.list_edit_events() if e.current_text]
        tickets = [desk.store.get_ticket(e.ticket_id) for e in events]
        people = {c.name for c in desk.store.list_customers() if c.name}
        companies = {c.company for c in desk.store.list_customers() if c.company}
        people |= {m.author_name for t in tickets for m in t.messages if m.author_name} | {
            e.agent for e in events
        }

        async def crm_names() -> None:
            crm = desk.connectors.crm()
            for ticket in tickets:
                assert ticket.customer is not None
                crm_id = await crm.crm_customer_id(ticket.customer)
                record = await crm.record(crm_id) if crm_id else None
                if record is not None:
                    people.update({record.account_owner} - {""})
                    companies.update({record.company} - {""})
            await desk.aclose_connectors()

        asyncio.run(crm_names())
    return people, companies, [e.current_text for e in events]


def test_the_demo_export_holds_no_known_name_and_keeps_ordinary_words(
    frozen_demo: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(frozen_demo, folder)
    chat = tmp_path / "chat.jsonl"
    assert Cli(folder)("export", "training", "--format", "chat", "-o", str(chat)).exit_code == 0
    text = chat.read_text(encoding="utf-8")
    people, companies, replies = _demo_people(folder)
    assert len(people) > 50 and len(companies) > 20 and any(" " in p for p in people)

    words = {w for name in people for w in name.split() if len(w) > 1} | people
    for name in sorted(words):
        # Capitalised as names are written; an ordinary lower-case word is no name.
        found = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)
        assert found is None, f"{name!r} left in: {text[found.start() - 60 : found.end() + 60]!r}"
    for company in sorted(companies):
        assert company.lower() not in text.lower(), company
    assert text.count("[PERSON_") > 300 and text.count("[COMPANY_") > 20

    # Ordinary words come through: every lower-case word of the sent replies that is not a
    # known name is still there as often.
    name_words = {w.lower() for name in people | companies for w in re.findall(r"\w+", name)}
    # (Email addresses are redacted as a whole, their words with them.)
    replies = [re.sub(r"\S+@\S+", " ", reply) for reply in replies]
    sent = Counter(w for r in replies for w in re.findall(r"\b[a-z]+\b", r))
    exported = Counter(re.findall(r"\b[a-z]+\b", text))
    for word, count in sent.items():
        if word not in name_words:
            assert exported[word] >= count, word


def test_one_person_keeps_one_placeholder_through_a_conversation(
    frozen_demo: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(frozen_demo, folder)
    chat = tmp_path / "chat.jsonl"
    assert Cli(folder)("export", "training", "--format", "chat", "-o", str(chat)).exit_code == 0
    signed = 0
    for line in chat.read_text(encoding="utf-8").splitlines():
        _system, user, assistant = (m["content"] for m in json.loads(line)["messages"])
        signature = re.fullmatch(r"(?s).*\n(\[PERSON_\d+\])", user)  # the customer signs
        greeting = re.match(r"(?:Hi|Hello|Hey) (\[PERSON_\d+\])", assistant)
        if signature and greeting:
            signed += 1
            assert signature.group(1) == greeting.group(1), (user, assistant)
            # The agent signs off below: another person, another placeholder.
            lines = assistant.splitlines()[1:]
            signs = [m.group() for line in lines if (m := re.match(r"\[PERSON_\d+\]", line))]
            assert signs and signs[-1] != greeting.group(1), assistant
    assert signed >= 5


class _FailingCrm(Crm):
    """A CRM that knows the customer but cannot give their record."""

    async def customer_by_email(self, email: str) -> Customer | None:
        return Customer(id="crm-7", email=email)

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        return None

    async def record(self, customer_id: str) -> CrmRecord | None:
        raise ConnectorError("crm at https://crm.example: HTTP 503")


def test_an_unreachable_crm_stops_the_export_rather_than_leak_owners(desk: Desk) -> None:
    at = desk.clock()
    customer = Customer(id="C-1", email="jo@example.com", name="Jo Park")
    desk.store.add_customers([customer])
    ticket = Ticket(
        id="T-1",
        subject="Hello",
        customer=customer,
        messages=[Message(author=Author.CUSTOMER, body="Hi, Jo here", at=at)],
        created_at=at,
        updated_at=at,
    )
    desk.store.add_tickets([ticket])
    shown = Draft(ticket_id="T-1", text="Hi Jo", drafter="local", confidence=0.5)
    desk.send_reply("T-1", "Hi Jo", edit_id=desk.draft_shown(shown, desk.store.save_draft(shown)))
    with pytest.raises(DeskPilotError, match=r"cannot read the CRM.*HTTP 503"):
        asyncio.run(export_crm_records(_FailingCrm, desk.store))
