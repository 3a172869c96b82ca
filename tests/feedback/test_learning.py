"""The loop closes: sent replies become exemplars, edits judge sources, corrections retrain."""

from __future__ import annotations

from deskpilot.desk import Desk
from deskpilot.feedback.learning import source_tallies, trust
from deskpilot.models import Author, Draft, EditEvent, EditOutcome, Message, Source, Ticket

REPLY = (
    "Thanks for flagging this. The export button lives under Reports, then Download, and the "
    "CSV arrives by email within ten minutes. If it does not, reply here and I will resend it."
)


def _new_ticket(desk: Desk, ticket_id: str, body: str) -> None:
    at = desk.clock()
    desk.store.add_tickets(
        [
            Ticket(
                id=ticket_id,
                subject="Where is the export?",
                messages=[Message(author=Author.CUSTOMER, body=body, at=at)],
                created_at=at,
                updated_at=at,
            )
        ]
    )


async def test_a_sent_reply_is_an_exemplar_for_the_next_similar_ticket(desk: Desk) -> None:
    _new_ticket(desk, "T-1", "I cannot find the CSV export of my monthly report anywhere.")
    first = await desk.draft_reply("T-1")
    assert REPLY not in first.draft.text
    desk.send_reply("T-1", REPLY)
    _new_ticket(desk, "T-2", "Where do I find the CSV export for the monthly report?")
    second = await desk.draft_reply("T-2")
    assert "The export button lives under Reports" in second.draft.text
    assert any(s.kind == "ticket" and s.ref == "T-1" for s in second.draft.sources)


async def test_with_learning_off_a_sent_reply_is_not_reused(desk: Desk) -> None:
    desk.settings = desk.settings.model_copy(
        update={"feedback": desk.settings.feedback.model_copy(update={"learn": False})}
    )
    _new_ticket(desk, "T-1", "I cannot find the CSV export of my monthly report anywhere.")
    desk.send_reply("T-1", REPLY)
    _new_ticket(desk, "T-2", "Where do I find the CSV export for the monthly report?")
    assert "Reports" not in (await desk.draft_reply("T-2")).draft.text


def _event(n: int, draft_id: int, similarity: float, reason: str | None = None) -> EditEvent:
    return EditEvent(
        id=f"e{n}",
        ticket_id="T-1",
        agent="ada",
        original_text="x",
        current_text="y",
        outcome=EditOutcome.SENT_EDITED,
        similarity=similarity,
        draft_id=draft_id,
        reason=reason,
    )


def test_sources_behind_rewritten_drafts_lose_trust(desk: Desk) -> None:
    _new_ticket(desk, "T-1", "anything")
    good = Source(kind="article", ref="export-guide")
    stale = Source(kind="article", ref="old-export-guide")
    ids = {
        name: desk.store.save_draft(
            Draft(ticket_id="T-1", text="x", sources=sources, drafter="local", confidence=0.5)
        )
        for name, sources in {"good": [good], "stale": [stale], "both": [good, stale]}.items()
    }
    events = [
        _event(1, ids["good"], 0.95),
        _event(2, ids["good"], 0.97),
        _event(3, ids["stale"], 0.30),
        _event(4, ids["stale"], 0.80, reason="outdated article"),
        _event(5, ids["both"], 0.92),
    ]
    tallies = source_tallies(desk.store, events)
    assert tallies == {"article:export-guide": (3, 3, 0), "article:old-export-guide": (3, 1, 2)}
    assert (
        trust(tallies["article:export-guide"])
        > 1.0
        > 0.8
        > trust(tallies["article:old-export-guide"])
    )
    assert trust((2, 0, 2)) == 1.0  # too little evidence to judge


def test_learn_stores_the_tallies_and_retrains_after_a_correction(demo_desk: Desk) -> None:
    ticket_id = demo_desk.queue(limit=1)[0].id
    demo_desk.correct_intent(ticket_id, "billing_question")
    assert not demo_desk.workspace.intent_model_path.exists()
    report = demo_desk.learn()
    assert report.intents_retrained
    assert demo_desk.workspace.intent_model_path.exists()
    assert report.exemplars > 0
    assert demo_desk.store.source_feedback() == source_tallies(
        demo_desk.store, demo_desk.store.list_edit_events()
    )
    assert not demo_desk.learn().intents_retrained  # nothing new to learn from


async def test_each_send_counts_for_the_sources_at_once(demo_desk: Desk) -> None:
    ticket_id = demo_desk.queue(limit=1)[0].id
    outcome = await demo_desk.draft_reply(ticket_id)
    assert outcome.draft.sources, "the demo draft should stand on something"
    before = demo_desk.store.source_feedback()
    edit_id = demo_desk.draft_shown(outcome.draft, outcome.draft_id)
    demo_desk.send_reply(ticket_id, "Completely different words from the draft.", edit_id=edit_id)
    after = demo_desk.store.source_feedback()
    for source in outcome.draft.sources:
        key = f"{source.kind}:{source.ref}"
        used, kept, misled = before.get(key, (0, 0, 0))
        assert after[key] == (used + 1, kept, misled + 1)  # rewritten: it misled
