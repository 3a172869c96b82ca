"""Graduated autonomy: an intent earns auto-send with evidence, and loses it by itself."""

from __future__ import annotations

import json

import pytest

from conftest import Cli
from deskpilot.desk import Desk
from deskpilot.feedback import autopilot
from deskpilot.feedback.autopilot import REVIEW_TAG
from deskpilot.feedback.stats import AUTOPILOT
from deskpilot.models import Author, EditOutcome, Message, Status
from deskpilot.store import QueueFilter

from .streams import _event

INTENT = "account_access"  # the demo's open queue has tickets of it
NEW_INTENT = "security_review"  # no history in the demo: evidence starts from nothing


def _configure(desk: Desk, intent: str = INTENT, **changes: object) -> None:
    automation = desk.settings.automation.model_copy(
        update={"levels": {intent: "auto"}, "min_reviewed": 3, "window": 10,
                "acceptance_bar": 0.6, "min_confidence": 0.0, "review_share": 1.0, **changes}
    )  # fmt: skip
    desk.settings = desk.settings.model_copy(update={"automation": automation})


def _reviewed(desk: Desk, outcomes: list[EditOutcome], intent: str = INTENT) -> None:
    """The newest reviewed drafts of the intent (after the demo's own history)."""
    for n, outcome in enumerate(outcomes):
        desk.store.save_edit_event(_event(100 + n, "T-000001", intent, outcome, 1.0))


def _status(desk: Desk, intent: str = INTENT) -> autopilot.IntentAutonomy:
    return next(a for a in autopilot.status(desk) if a.intent == intent)


def test_suggest_is_the_default_and_never_qualifies(demo_desk: Desk) -> None:
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] * 10)
    state = _status(demo_desk)
    assert (state.level, state.qualifies, state.why) == ("suggest", False, "level is suggest")


def test_auto_needs_enough_reviewed_drafts_accepted_as_is(demo_desk: Desk) -> None:
    _configure(demo_desk, NEW_INTENT)

    def state() -> autopilot.IntentAutonomy:
        return _status(demo_desk, NEW_INTENT)

    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS, EditOutcome.SENT_EDITED], NEW_INTENT)
    assert "2 of 3 reviewed drafts needed" in state().why
    # events 100, 101 again, then 102-105: six reviewed, two of them sent as drafted
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS, EditOutcome.DISCARDED], NEW_INTENT)
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] + [EditOutcome.SENT_EDITED] * 5, NEW_INTENT)
    judged = state()
    assert judged.reviewed == 6 and not judged.qualifies and "under 60%" in judged.why
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] * 6, NEW_INTENT)
    judged = state()
    assert judged.qualifies and judged.acceptance == 1.0


async def test_run_sends_qualifying_tickets_as_the_autopilot(demo_desk: Desk) -> None:
    _configure(demo_desk)
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] * 10)
    open_now = demo_desk.queue(statuses=frozenset({Status.NEW, Status.OPEN}), limit=None)
    waiting = [
        t.id
        for t in open_now
        if t.intent == INTENT
        and (triage := demo_desk.store.get_triage(t.id))
        and not triage.handoff
    ]
    sent = await autopilot.run(demo_desk)
    assert sent and set(sent) <= set(waiting)
    for ticket_id in sent:
        ticket = demo_desk.ticket(ticket_id)
        assert ticket.messages[-1].author_name == AUTOPILOT
        assert ticket.status is Status.PENDING and REVIEW_TAG in ticket.tags
        (event,) = [e for e in demo_desk.store.list_edit_events(ticket_id) if e.agent == AUTOPILOT]
        assert event.outcome is EditOutcome.SENT_AS_IS
        assert demo_desk.store.list_actions(ticket_id)[-1].actor == AUTOPILOT
    review = demo_desk.store.list_queue(QueueFilter(tag=REVIEW_TAG), limit=None)
    assert {t.id for t in review} == set(sent)
    assert await autopilot.run(demo_desk) == []  # they wait on the customer now


async def test_setbacks_demote_the_intent_and_a_lead_can_reset(demo_desk: Desk, cli: Cli) -> None:
    _configure(demo_desk, setbacks_to_demote=2)
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] * 10)
    sent = await autopilot.run(demo_desk)
    assert len(sent) >= 2
    later = demo_desk.clock().replace(year=2027)
    for ticket_id in sent[:2]:  # the customer came back: the reply did not settle it
        demo_desk.store.append_message(
            ticket_id, Message(author=Author.CUSTOMER, body="Still broken.", at=later)
        )
    demo_desk.clock = lambda: later
    state = _status(demo_desk)
    assert (state.effective, state.qualifies, state.setbacks) == ("suggest", False, 2)
    assert "setbacks after auto-sends" in (state.demoted_because or "")
    assert any(a.action == "autopilot.demote" for a in demo_desk.store.list_actions())
    assert await autopilot.run(demo_desk) == []
    assert autopilot.reset(demo_desk, INTENT)
    assert not autopilot.reset(demo_desk, INTENT)
    state = _status(demo_desk)  # setbacks from before the reset no longer count
    assert (state.effective, state.setbacks, state.qualifies) == ("auto", 0, True)


def test_status_as_json(cli: Cli, desk: Desk) -> None:
    result = cli("autopilot", "status", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"intent", "level", "qualifies", "why", "acceptance", "reviewed"} <= set(report[0])


@pytest.mark.parametrize("intent", ["nothing_like_it"])
def test_resetting_an_intent_that_was_not_demoted_says_so(
    cli: Cli, desk: Desk, intent: str
) -> None:
    result = cli("autopilot", "reset", intent)
    assert result.exit_code == 2 and "was not demoted" in result.output
