"""Many desks at once on one queue: every ticket answered exactly once, no edit event lost.

Twenty processes (spawned, each with its own connections, as twenty agents' desks would be)
take tickets with ``claim_next`` and answer them, all at once, from one queue of 2,000 on
PostgreSQL; a smaller SQLite run checks the embedded backend's serialised writers the same way.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from deskpilot.config import AgentSettings, FeedbackSettings, Settings
from deskpilot.desk import Desk
from deskpilot.models import Author, Draft, EditOutcome, Message, Ticket
from deskpilot.store import open_store
from deskpilot.workspace import Workspace


@dataclass(frozen=True)
class Answered:
    agent: str
    tickets: list[str]
    edit_events: list[str]


def answer_until_empty(database_url: str, folder: str, agent: str) -> Answered:
    """One agent's desk: take the next free ticket, draft, send, until none is left."""
    settings = Settings().model_copy(
        update={
            "agent": AgentSettings(name=agent),
            "feedback": FeedbackSettings(learn=False),  # no per-desk search index to update
        }
    )
    tickets, events = [], []
    with Desk(Workspace.create(Path(folder) / agent), settings, open_store(database_url)) as desk:
        while (ticket := desk.claim_next()) is not None:
            draft = Draft(
                ticket_id=ticket.id, text=f"Hi, {agent} here", drafter="local", confidence=1
            )
            event = desk.edits.begin(
                draft, agent=agent, draft_id=desk.store.save_draft(draft), intent=None
            )
            desk.send_reply(ticket.id, draft.text, edit_id=event)
            tickets.append(ticket.id)
            events.append(event)
    return Answered(agent, tickets, events)


def run_team(database_url: str, folder: Path, agents: int, tickets: int) -> list[Answered]:
    with open_store(database_url) as store:
        store.add_tickets(
            Ticket(
                id=f"Q-{n:05d}",
                subject=f"Question {n}",
                messages=[Message(author=Author.CUSTOMER, body=f"question {n}")],
            )
            for n in range(tickets)
        )
    context = multiprocessing.get_context("spawn")
    with context.Pool(agents) as pool:
        return pool.starmap(
            answer_until_empty,
            [(database_url, str(folder), f"agent-{n:02d}") for n in range(agents)],
        )


def assert_each_answered_once(database_url: str, team: list[Answered], tickets: int) -> None:
    handed = Counter(ticket for answered in team for ticket in answered.tickets)
    assert len(handed) == tickets and set(handed.values()) == {1}
    sender = {ticket: a.agent for a in team for ticket in a.tickets}
    with open_store(database_url) as store:
        replies: Counter[str] = Counter()
        for summary in store.list_queue(limit=None):
            thread = store.get_ticket(summary.id).messages
            agent_replies = [m for m in thread if m.author is Author.AGENT]
            assert [m.author_name for m in agent_replies] == [sender[summary.id]]
            replies[summary.id] = len(agent_replies)
            assert summary.claimed_by is None  # every claim released after sending
        assert len(replies) == tickets
        sends = Counter(a.ticket_id for a in store.list_actions() if a.action == "send")
        assert len(sends) == tickets and set(sends.values()) == {1}
        events = store.list_edit_events()
        assert sorted(e.id for e in events) == sorted(e for a in team for e in a.edit_events)
        assert {e.outcome for e in events} == {EditOutcome.SENT_AS_IS}
        assert all(sender[e.ticket_id] == e.agent for e in events)
        assert Counter(e.ticket_id for e in events) == Counter(list(sender))


@pytest.mark.slow
@pytest.mark.postgres
def test_twenty_desks_answer_two_thousand_tickets_each_exactly_once(
    new_postgres_database: str, tmp_path: Path
) -> None:
    from deskpilot.store import migrate_database

    migrate_database(new_postgres_database)
    team = run_team(new_postgres_database, tmp_path, agents=20, tickets=2000)
    assert sum(1 for answered in team if answered.tickets) > 1  # they really worked at once
    assert_each_answered_once(new_postgres_database, team, 2000)


@pytest.mark.slow
def test_four_desks_on_one_sqlite_workspace_answer_each_ticket_once(tmp_path: Path) -> None:
    from deskpilot.store import sqlite_url

    url = sqlite_url(tmp_path / "team.db")
    open_store(url).close()
    team = run_team(url, tmp_path, agents=4, tickets=200)
    assert_each_answered_once(url, team, 200)
