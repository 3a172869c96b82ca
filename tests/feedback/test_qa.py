"""The QA rubric on hand-built conversations whose scores are worked out by hand."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from conftest import Cli
from deskpilot.desk import Desk
from deskpilot.feedback.qa import qa_report, score_ticket
from deskpilot.models import ActionRecord, Author, Message, QaScore, Sentiment, Status, Ticket

from .streams import DAY, NOW

QUESTION = "My invoice INV-1001 shows a double charge for the Pro plan this month."
GOOD_REPLY = (
    "Hi Ana,\n\nSorry about that. Your invoice INV-1001 had a double charge for the Pro plan; "
    "I have refunded $28.00 today.\n\nBest,\nada"
)


def _ticket(*messages: tuple[Author, str, int], csat: int | None = None, intent: str = "billing",
            author_name: str = "ada") -> Ticket:  # fmt: skip
    return Ticket(
        id="Q1", subject="double charge", status=Status.SOLVED, intent=intent, csat=csat,
        created_at=DAY, updated_at=DAY + timedelta(hours=5),
        messages=[
            Message(author=who, body=body, at=DAY + timedelta(minutes=minutes),
                    author_name=author_name if who is Author.AGENT else "")
            for who, body, minutes in messages
        ],
    )  # fmt: skip


REFUND = ActionRecord(
    ticket_id="Q1", actor="ada", action="refund", params={"amount": 28.0}, result="re_1", at=DAY
)


def test_a_good_conversation_scores_full_marks() -> None:
    ticket = _ticket((Author.CUSTOMER, QUESTION, 0), (Author.AGENT, GOOD_REPLY, 30), csat=5)
    score = score_ticket(ticket, [REFUND], now=NOW)
    assert (score.score, score.reasons) == (100, [])
    assert score.criteria == dict.fromkeys(
        ("answered", "accuracy", "tone", "policy", "resolution"), 20
    )


def test_an_unbacked_refund_and_no_greeting_cost_points() -> None:
    reply = GOOD_REPLY.replace("Hi Ana,\n\n", "")
    ticket = _ticket((Author.CUSTOMER, QUESTION, 0), (Author.AGENT, reply, 30))
    score = score_ticket(ticket, [], now=NOW)  # no refund in the audit trail
    # accuracy -10 (the refund claim), tone -5 (no greeting): 85
    assert score.score == 85
    assert (score.criteria["accuracy"], score.criteria["tone"]) == (10, 15)
    assert any("refund" in r for r in score.reasons)


def test_upset_customer_asking_again_with_a_low_csat() -> None:
    ticket = _ticket(
        (Author.CUSTOMER, "This is ridiculous, " + QUESTION, 0),
        (Author.AGENT, "Hi Ana,\n\nThe Pro plan invoice INV-1001 is correct.\n\nada", 30),
        (Author.CUSTOMER, "It still shows two charges?", 90),
        (Author.AGENT, "Hi Ana, as I said, it is correct.", 120),
        csat=1,
    )
    score = score_ticket(ticket, [], sentiment=Sentiment.ANGRY, now=NOW)
    # answered -10 (asked again); tone -5 (no empathy), -10 ("as I said"); resolution -10 (CSAT 1)
    assert score.criteria == {"answered": 10, "accuracy": 20, "tone": 5, "policy": 20,
                              "resolution": 10}  # fmt: skip
    assert score.score == 65


def test_secrets_and_an_autopilot_answer_to_a_human_only_intent_break_policy() -> None:
    reply = "Hi Ana,\n\nYour temporary password is Xk9#mQ2$vL7p. Sorry for the trouble."
    ticket = _ticket(
        (Author.CUSTOMER, "I am locked out of my account", 0),
        (Author.AGENT, reply, 30),
        intent="complaint",
        author_name="autopilot",
    )
    score = score_ticket(ticket, [], human_only=frozenset({"complaint"}), now=NOW)
    assert score.criteria["policy"] == 0  # -20 for the secret, -10 more is floored at 0
    policy = [r for r in score.reasons if r.startswith("policy")]
    assert len(policy) == 2 and "human-only" in policy[1]
    assert "Xk9#" not in " ".join(score.reasons)  # the secret never lands in the reasons


def test_no_reply_and_a_reopen() -> None:
    ticket = _ticket((Author.CUSTOMER, QUESTION, 0))
    actions = [
        ActionRecord(ticket_id="Q1", actor="ada", action="set_status",
                     params={"status": status}, at=DAY + timedelta(minutes=m))
        for status, m in (("solved", 10), ("open", 20), ("solved", 30))
    ]  # fmt: skip
    score = score_ticket(ticket, actions, now=NOW)
    assert (score.criteria["answered"], score.criteria["resolution"]) == (0, 10)
    assert score.score == 70


def test_report_means_per_intent_agent_and_the_worst() -> None:
    scores = [
        QaScore(ticket_id="A", score=90, agent="ada", intent="billing"),
        QaScore(ticket_id="B", score=60, agent="bo", intent="billing"),
        QaScore(ticket_id="C", score=100, agent="ada", intent="access"),
    ]
    report = qa_report(scores, per_agent=True, worst=2)
    assert report.mean == pytest.approx(250 / 3)
    assert report.by_intent == {"access": (1, 100.0), "billing": (2, 75.0)}
    assert report.by_agent == {"ada": (2, 95.0), "bo": (1, 60.0)}
    assert [s.ticket_id for s in report.worst] == ["B", "A"]
    assert qa_report(scores, per_agent=False).by_agent is None


def test_solved_tickets_are_scored_and_stored_once(desk: Desk, cli: Cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from .streams import build_history

    build_history(desk.store)
    assert desk.score_solved() == 2  # T1 and T2 are solved
    assert desk.score_solved() == 0  # unchanged since
    stored = {s.ticket_id: s for s in desk.store.qa_scores()}
    assert set(stored) == {"T1", "T2"} and stored["T2"].agent == "bo"
    cli.workspace_dir = desk.workspace.root
    agent_view = json.loads(cli("qa", "--json", "--worst", "1").stdout)
    assert agent_view["scored"] == 2 and agent_view["by_agent"] is None
    assert len(agent_view["worst"]) == 1 and agent_view["worst"][0]["agent"] is None
    monkeypatch.setenv("DESKPILOT_AGENT__ROLE", "lead")
    lead_view = json.loads(cli("qa", "--json").stdout)
    assert set(lead_view["by_agent"]) == {"ada", "bo"}
    text = cli("qa").stdout
    assert "2 solved conversations scored" in text and "Worst to review" in text
