"""The desk's policy rules, headless: who spoke last, whether to draft, when to ask why a draft
was rewritten, and the autosave ordering (the ticket screen only asks the desk)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from deskpilot.config import AutomationSettings
from deskpilot.copilot.policy import draft_plan, reason_heading
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.feedback.autosave import Autosaver
from deskpilot.models import Author, Draft, EditEvent, EditOutcome, Message, Ticket

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _ticket(*authors: Author, intent: str = "refund_request") -> Ticket:
    messages = [Message(author=a, body=f"{a.value} {n}", at=AT) for n, a in enumerate(authors)]
    return Ticket(id="T-1", subject="Help", messages=messages, intent=intent)


def _event(outcome: EditOutcome, similarity: float | None) -> EditEvent:
    return EditEvent(
        id="e1", ticket_id="T-1", agent="sam", original_text="a", current_text="b",
        shown_at=AT, updated_at=AT, outcome=outcome, similarity=similarity,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("authors", "awaits"),
    [
        ((Author.CUSTOMER,), True),
        ((Author.CUSTOMER, Author.AGENT), False),
        ((Author.CUSTOMER, Author.AGENT, Author.CUSTOMER), True),
        ((Author.CUSTOMER, Author.NOTE), True),  # a note is not speaking
        ((Author.CUSTOMER, Author.AGENT, Author.NOTE), False),
        ((), False),
    ],
)
def test_awaits_reply_when_the_customer_spoke_last(
    authors: tuple[Author, ...], awaits: bool
) -> None:
    assert _ticket(*authors).awaits_reply is awaits


def test_draft_plan_drafts_restores_or_stays_quiet() -> None:
    suggest = AutomationSettings()
    off = AutomationSettings(levels={"refund_request": "off"})
    unsent = _event(EditOutcome.PENDING, None)
    assert draft_plan(_ticket(Author.CUSTOMER), suggest, None).draft
    assert not draft_plan(_ticket(Author.CUSTOMER, Author.AGENT), suggest, unsent).draft
    assert draft_plan(_ticket(Author.CUSTOMER, Author.AGENT), suggest, unsent).unsent is None
    restored = draft_plan(_ticket(Author.CUSTOMER), suggest, unsent)
    assert restored.unsent == unsent and not restored.draft
    quiet = draft_plan(_ticket(Author.CUSTOMER), off, None)
    assert quiet.copilot_off and not quiet.draft
    assert draft_plan(_ticket(), suggest, None).draft  # nobody spoke yet: the agent writes first


def test_reason_is_asked_only_for_a_rewritten_draft() -> None:
    assert reason_heading(_event(EditOutcome.SENT_EDITED, 0.4), 0.7) == (
        "You changed 60% of the draft"
    )
    assert reason_heading(_event(EditOutcome.SENT_EDITED, 0.8), 0.7) is None
    assert reason_heading(_event(EditOutcome.REPLACED_BY_MACRO, 0.1), 0.7) is None
    assert reason_heading(_event(EditOutcome.SENT_EDITED, None), 0.7) is None
    assert reason_heading(None, 0.7) is None


def test_the_desk_answers_the_policy_questions(desk: Desk) -> None:
    assert desk.draft_plan(_ticket(Author.CUSTOMER, Author.AGENT)).draft is False
    assert desk.draft_plan(_ticket(Author.CUSTOMER)).draft is True
    below = desk.settings.feedback.ask_reason_below
    assert desk.reason_heading(_event(EditOutcome.SENT_EDITED, below - 0.1)) is not None
    assert desk.reason_heading(_event(EditOutcome.SENT_EDITED, below)) is None


def test_the_desk_restores_the_agents_unsent_edit(demo_desk: Desk) -> None:
    summary = next(s for s in demo_desk.queue(limit=None) if demo_desk.ticket(s.id).awaits_reply)
    ticket = demo_desk.ticket(summary.id)
    draft = Draft(ticket_id=ticket.id, text="Hello", drafter="local", confidence=0.5)
    edit_id = demo_desk.draft_shown(draft, None)
    demo_desk.autosave_edit(edit_id, "Hello there, typed", 5)
    plan = demo_desk.draft_plan(ticket)
    assert plan.unsent is not None and plan.unsent.id == edit_id and not plan.draft


class _Writes:
    def __init__(self) -> None:
        self.written: list[str] = []
        self.fail = False

    def __call__(self, edit_id: str, text: str, keystrokes: int) -> None:
        if self.fail:
            raise DeskPilotError("database is locked")
        self.written.append(text)


def test_autosaver_skips_unchanged_text_and_never_goes_back() -> None:
    saver, writes = Autosaver(), _Writes()
    saver.shown("draft")
    assert saver.ask("e1", "draft", 0) is None  # as shown: nothing to save
    older = saver.ask("e1", "draft, typed", 3)
    newer = saver.ask("e1", "draft, typed more", 8)
    assert older is not None and newer is not None and older.number < newer.number
    assert saver.write(newer, writes) is None
    assert saver.write(older, writes) is None  # late: dropped, the newer text stays
    assert writes.written == ["draft, typed more"]
    assert saver.ask("e1", "draft, typed more", 8) is None


def test_autosaver_retries_a_failed_write_at_the_next_ask() -> None:
    saver, writes = Autosaver(), _Writes()
    writes.fail = True
    save = saver.ask("e1", "text", 1)
    assert save is not None
    assert saver.write(save, writes) == "database is locked"
    writes.fail = False
    again = saver.ask("e1", "text", 1)
    assert again is not None and saver.write(again, writes) is None
    assert writes.written == ["text"]


def test_autosaver_orders_writes_from_many_threads() -> None:
    saver, writes = Autosaver(), _Writes()
    saves = [saver.ask("e1", f"text {n}", n) for n in range(50)]
    threads = [
        threading.Thread(target=saver.write, args=(save, writes)) for save in reversed(saves)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Whatever order the threads ran in, each write is newer than the one before it, and the
    # newest text is the one that stays.
    numbers = [int(text.split()[1]) for text in writes.written]
    assert numbers == sorted(set(numbers)) and numbers[-1] == 49
