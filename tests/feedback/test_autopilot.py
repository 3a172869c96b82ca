"""Graduated autonomy: an intent earns auto-send with evidence, and loses it by itself."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from conftest import Cli
from copilot.test_model_drafter import FakeOpenAI, Received, Reply
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
    return next(a for a in desk.autopilot_status() if a.intent == intent)


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
    sent = (await demo_desk.run_autopilot()).sent
    assert sent and set(sent) <= set(waiting)
    for ticket_id in sent:
        ticket = demo_desk.ticket(ticket_id)
        assert ticket.messages[-1].author_name == AUTOPILOT
        assert ticket.status is Status.PENDING and REVIEW_TAG in ticket.tags
        (event,) = [e for e in demo_desk.store.list_edit_events(ticket_id) if e.agent == AUTOPILOT]
        assert event.outcome is EditOutcome.SENT_AS_IS
        assert demo_desk.store.list_actions(ticket_id)[-1].actor == AUTOPILOT
        # Tagging it for review is on the audit trail too, as the autopilot's.
        tagged = demo_desk.store.list_actions(ticket_id, action="tag")
        assert [(r.actor, r.params) for r in tagged] == [(AUTOPILOT, {"tag": REVIEW_TAG})]
    review = demo_desk.store.list_queue(QueueFilter(tag=REVIEW_TAG), limit=None)
    assert {t.id for t in review} == set(sent)
    assert (await demo_desk.run_autopilot()).sent == []  # they wait on the customer now


async def test_setbacks_demote_the_intent_and_a_lead_can_reset(demo_desk: Desk, cli: Cli) -> None:
    _configure(demo_desk, setbacks_to_demote=2)
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] * 10)
    sent = (await demo_desk.run_autopilot()).sent
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
    assert (await demo_desk.run_autopilot()).sent == []
    assert demo_desk.reset_autopilot(INTENT)
    assert not demo_desk.reset_autopilot(INTENT)
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


# --- drafts the autopilot must not send ---------------------------------------------------------

REFUND_CLAIM = "Hi, good news: I've processed a refund of $5,000 to your card. It shows in 5 days."
PASSWORD = "Hi, I've reset it for you. Your new admin password is Adm1n!2026 - change it soon."
CLEAN = "Hi, thanks for the details. Open Settings, then Security, to sign in again."


class DraftsByTicket(FakeOpenAI):
    """A model endpoint stand-in whose answer depends on the ticket in the prompt."""

    def __init__(self, answers: dict[str, str]) -> None:
        super().__init__()
        self.answers = answers

    def next_reply(self, received: Received) -> Reply:
        super().next_reply(received)  # recorded
        prompt = received.content("user")
        for ticket_id, text in self.answers.items():
            if f"<ticket_id>{ticket_id}</ticket_id>" in prompt:
                return Reply(chunks=[text])
        return Reply(chunks=[CLEAN])


def _waiting(desk: Desk) -> list[str]:
    open_now = desk.queue(statuses=frozenset({Status.NEW, Status.OPEN}), limit=None)
    found = []
    for summary in open_now:
        triage = desk.store.get_triage(summary.id)
        spoken = [m for m in desk.ticket(summary.id).messages if m.author is not Author.NOTE]
        answered = not spoken or spoken[-1].author is not Author.CUSTOMER
        if summary.intent == INTENT and triage and not triage.handoff and not answered:
            found.append(summary.id)
    return found


async def test_the_autopilot_holds_drafts_with_unbacked_claims_or_secrets(
    demo_desk: Desk, cli: Cli
) -> None:
    _configure(demo_desk)
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] * 10)
    waiting = _waiting(demo_desk)
    assert len(waiting) >= 3
    refunded, secret, backed = waiting[:3]
    # The third ticket's refund happened: its draft may say so.
    demo_desk.audit("refund", backed, {"invoice": "in_1", "amount": 5000.0, "key": "k"})
    stand_in = DraftsByTicket({refunded: REFUND_CLAIM, secret: PASSWORD, backed: REFUND_CLAIM})
    with stand_in as fake:
        demo_desk.settings.llm.base_url = fake.url
        done = await demo_desk.run_autopilot()
        assert len(fake.received) == len(waiting), "every waiting ticket was drafted once"
        again = await demo_desk.run_autopilot()
        assert again.sent == [] and again.held == []
        assert len(fake.received) == len(waiting), "a held ticket is not drafted again"
        await demo_desk.aclose_connectors()
    held = dict(done.held)
    assert set(held) == {refunded, secret}
    assert held[refunded] == [
        "claims a refund, credit or discount that no action record of this ticket backs"
    ]
    assert "contains a password" in held[secret][0]
    assert set(done.sent) == set(waiting) - {refunded, secret}
    assert backed in done.sent, "a claim its action record backs is sent"
    assert demo_desk.ticket(backed).messages[-1].body == REFUND_CLAIM
    for ticket_id in (refunded, secret):
        ticket = demo_desk.ticket(ticket_id)
        assert ticket.status in {Status.NEW, Status.OPEN}
        assert not any(
            m.author is Author.AGENT and m.author_name == AUTOPILOT for m in ticket.messages
        )
        assert autopilot.HELD_TAG in ticket.tags
        note = ticket.messages[-1]
        assert note.author is Author.NOTE and note.author_name == AUTOPILOT
        assert "did not send its draft" in note.body and held[ticket_id][0] in note.body
        (record,) = demo_desk.store.list_actions(ticket_id, action=autopilot.HOLD_ACTION)
        assert record.actor == AUTOPILOT and record.params["reasons"] == held[ticket_id]
        assert not any(e.agent == AUTOPILOT for e in demo_desk.store.list_edit_events(ticket_id))
    secret_ticket = demo_desk.ticket(secret)
    assert "Adm1n!2026" not in secret_ticket.messages[-1].body, "the secret is not repeated"
    assert "Adm1n!2026" not in json.dumps(
        [r.params for r in demo_desk.store.list_actions(secret)]
        + [r.result for r in demo_desk.store.list_actions(secret)]
    )
    held_view = demo_desk.store.list_queue(QueueFilter(tag=autopilot.HELD_TAG), limit=None)
    assert {t.id for t in held_view} == {refunded, secret}


async def test_a_held_ticket_is_drafted_again_when_the_customer_writes_again(
    demo_desk: Desk,
) -> None:
    _configure(demo_desk)
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] * 10)
    first = _waiting(demo_desk)[0]
    stand_in = DraftsByTicket({first: REFUND_CLAIM})
    with stand_in as fake:
        demo_desk.settings.llm.base_url = fake.url
        assert first in dict((await demo_desk.run_autopilot()).held)
        later = demo_desk.clock() + timedelta(hours=1)
        demo_desk.store.append_message(
            first, Message(author=Author.CUSTOMER, body="Any news?", at=later)
        )
        demo_desk.clock = lambda: later
        drafted = len(fake.received)
        rerun = await demo_desk.run_autopilot()
        await demo_desk.aclose_connectors()
    assert len(fake.received) == drafted + 1 and first in dict(rerun.held)
    assert len(demo_desk.store.list_actions(first, action=autopilot.HOLD_ACTION)) == 2


def test_autopilot_run_names_the_held_tickets_and_why(
    demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] * 10)
    first = _waiting(demo_desk)[0]
    for key, value in {
        "LEVELS": json.dumps({INTENT: "auto"}),
        "MIN_REVIEWED": "3",
        "WINDOW": "10",
        "ACCEPTANCE_BAR": "0.6",
        "MIN_CONFIDENCE": "0",
    }.items():
        monkeypatch.setenv(f"DESKPILOT_AUTOMATION__{key}", value)
    with DraftsByTicket({first: PASSWORD}) as fake:
        monkeypatch.setenv("DESKPILOT_LLM__BASE_URL", fake.url)
        result = Cli(demo_desk.workspace.root)("autopilot", "run")
    assert result.exit_code == 0, result.output
    assert f"held {first} for a human: contains a password" in result.stdout
    assert "Adm1n!2026" not in result.stdout


def test_status_says_how_far_each_intent_is_from_qualifying(demo_desk: Desk) -> None:
    _configure(demo_desk, NEW_INTENT)  # bar 60%, at least 3 reviewed, window 10
    # Two reviewed, one as drafted: one more as drafted makes 2 of 3 = 67%.
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS, EditOutcome.SENT_EDITED], NEW_INTENT)
    judged = _status(demo_desk, NEW_INTENT)
    assert (judged.acceptance_needed, judged.drafts_to_go) == (0.6, 1)
    # Six reviewed, one as drafted (events 100-105). Without a window 1+k of 6+k clears 60%
    # at k = 7; the window of 10 drops the oldest (100, the as-drafted one, then 101, edited),
    # so at k = 6 it holds 102-105 (edited) and six new ones: 60%.
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] + [EditOutcome.SENT_EDITED] * 5, NEW_INTENT)
    assert _status(demo_desk, NEW_INTENT).drafts_to_go == 6
    assert _status(demo_desk, INTENT).drafts_to_go is None  # suggest: nothing to earn


def test_drafts_to_go_counts_the_window_sliding() -> None:
    from deskpilot.config import AutomationSettings

    settings = AutomationSettings(window=4, min_reviewed=2, acceptance_bar=1.0)
    edited, as_is = EditOutcome.SENT_EDITED, EditOutcome.SENT_AS_IS
    # All four in the window must be as drafted: the edited one has to slide out.
    assert autopilot.drafts_to_go([edited, as_is, as_is, as_is], settings) == 1
    assert autopilot.drafts_to_go([as_is, edited, as_is], settings) == 3  # a,e,a,a; e,a,a,a
    assert autopilot.drafts_to_go([as_is, as_is], settings) == 0
    assert autopilot.drafts_to_go([], settings) == 2


def test_a_human_only_intent_never_qualifies(demo_desk: Desk) -> None:
    _configure(demo_desk, "complaint", min_reviewed=1, acceptance_bar=0.0)
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] * 3, "complaint")
    judged = _status(demo_desk, "complaint")
    assert not judged.qualifies and judged.human_only and "human-only" in judged.why
    assert judged.level == "suggest"


def test_auto_for_a_human_only_intent_is_refused(demo_desk: Desk, cli: Cli) -> None:
    config = demo_desk.workspace.root / "config.toml"
    config.write_text(
        config.read_text() + '\n[automation.levels]\ncomplaint = "auto"\n', encoding="utf-8"
    )
    cli.workspace_dir = demo_desk.workspace.root
    result = cli("autopilot", "status")
    assert result.exit_code == 2
    assert 'complaint cannot be "auto"' in result.output
    assert "human_only_intents" in result.output


async def test_run_sends_only_drafts_whose_own_confidence_clears_the_bar(demo_desk: Desk) -> None:
    """The intent qualifies and its tickets' intent confidence clears the bar, but a draft
    that does not answer enough of the question (its own confidence) is left to a human."""
    _configure(demo_desk, min_draft_confidence=1.0)
    _reviewed(demo_desk, [EditOutcome.SENT_AS_IS] * 10)
    run = await demo_desk.run_autopilot()
    assert run.sent == []  # an article-backed answer is at most 0.9: none is sure enough
    _configure(demo_desk, min_draft_confidence=0.0)
    assert (await demo_desk.run_autopilot()).sent  # the same queue, the bar lowered: some are sent
