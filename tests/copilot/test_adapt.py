"""Adapting a past reply to this customer: the other customer's and agent's specifics are
swapped or dropped, the team's own are kept, and the reply the others agree on is chosen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskpilot.copilot.adapt import (
    Candidate,
    adapt,
    answered_question,
    candidates,
    consensus,
    inbox_of,
    latest_question,
    sign_mark,
)
from deskpilot.copilot.context import DraftContext, KnowledgeItem
from deskpilot.models import Author, Customer, Message, Source, Ticket

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _ticket(body: str, email: str = "117166@twitter.example", name: str = "") -> Ticket:
    return Ticket(
        id="T-now",
        subject=body[:40],
        messages=[Message(author=Author.CUSTOMER, body=body, at=AT)],
        customer=Customer(id="c-now", email=email, name=name),
        tags=["inbox:Delta"],
    )


def _item(
    ref: str,
    reply: str,
    *,
    customer: str = "115818",
    question: str = "my bag is broken",
    inbox: str = "Delta",
    by: str = "ada",
    minutes: int = 0,
    feedback: tuple[int, int, int] | None = None,
) -> KnowledgeItem:
    return KnowledgeItem(
        source=Source(kind="ticket", ref=ref),
        title=question,
        snippet=question,
        body=reply,
        question=question,
        customer=f"c-{customer}",
        customer_email=f"{customer}@twitter.example",
        inbox=inbox,
        answered_by=by,
        answered_at=AT - timedelta(minutes=minutes),
        feedback=feedback,
    )


def _context(ticket: Ticket, *items: KnowledgeItem) -> DraftContext:
    return DraftContext(ticket=ticket, exemplars=list(items))


def test_the_other_customers_handle_becomes_this_customers() -> None:
    ticket = _ticket("@Delta my zipper broke on the return flight")
    item = _item("T-1", "@115818 That's not good. Please file a Damaged Bag Report. *AMC")
    text = adapt(item, _context(ticket, item), own_mark="*AMC")
    assert text == "@117166 That's not good. Please file a Damaged Bag Report. *AMC"
    assert "115818" not in text


def test_the_other_customers_name_is_dropped_or_becomes_this_ones() -> None:
    item = _item("T-1", "@115818 Hi Rachel, what's your local store? Thanks for asking, Rachel.")
    unnamed = adapt(item, _context(_ticket("which store?"), item))
    assert "Rachel" not in unnamed
    assert unnamed.startswith("@117166 Hi, what's your local store?")
    named = adapt(item, _context(_ticket("which store?", name="Maya Okafor"), item))
    assert named.startswith("@117166 Hi Maya, what's your local store?")
    assert "Rachel" not in named


def test_their_order_number_becomes_the_one_this_customer_gave_or_goes() -> None:
    item = _item(
        "T-1",
        "@115818 Order 40213377 left our warehouse today. Tracking updates within 24 hours.",
    )
    gave = _ticket("Where is order 55120987? It has been a week")
    assert adapt(item, _context(gave, item)) == (
        "@117166 Order 55120987 left our warehouse today. Tracking updates within 24 hours."
    )
    gave_none = _ticket("Where is my parcel? It has been a week")
    text = adapt(item, _context(gave_none, item))
    assert "40213377" not in text
    assert text == "@117166 Tracking updates within 24 hours."  # small numbers are the team's


def test_a_detail_the_team_gives_several_customers_is_kept() -> None:
    first = _item("T-1", "Call us on 18005551234 and we'll sort it.", customer="1")
    second = _item("T-2", "Please call 18005551234 any time.", customer="2")
    found = candidates(_context(_ticket("help please"), first, second), agent="ada")
    assert [c.text for c in found] == [
        "Call us on 18005551234 and we'll sort it.",
        "Please call 18005551234 any time.",
    ]


def test_what_was_done_for_them_is_not_said_to_this_customer() -> None:
    item = _item("T-1", "I've refunded the $40 fare. Please DM us your confirmation number.")
    text = adapt(item, _context(_ticket("charged for baggage"), item))
    assert text == "Please DM us your confirmation number."


def test_the_other_agents_initials_become_this_agents_or_go() -> None:
    mine = _item("T-1", "Glad to check. Please DM us. *QB", minutes=5)
    older = _item("T-0", "Please DM us. *ZZ", minutes=50)
    other = _item("T-2", "Sorry for the wait! Please DM your confirmation number. ^JD", by="bo")
    found = {
        c.item.source.ref: c.text
        for c in candidates(_context(_ticket("x"), mine, older, other), "ada")
    }
    assert found["T-2"] == "Sorry for the wait! Please DM your confirmation number. *QB"
    assert found["T-0"] == "Please DM us. *QB"  # ada's latest mark here
    alone = candidates(_context(_ticket("x"), other), "ada")
    assert alone[0].text == "Sorry for the wait! Please DM your confirmation number."
    assert sign_mark("Thanks! ^Kit 2/2") == "^Kit"
    assert sign_mark("please send us a DM") == ""


def test_only_the_inboxs_own_replies_are_candidates_when_it_has_some() -> None:
    delta = _item("T-1", "Please DM your confirmation number.", inbox="Delta")
    other = _item("T-2", "Try restarting the app.", inbox="AppleSupport")
    found = candidates(_context(_ticket("help"), delta, other), "ada")
    assert [c.item.source.ref for c in found] == ["T-1"]
    assert inbox_of(_ticket("x")) == "Delta"


def test_the_reply_the_others_agree_on_is_chosen() -> None:
    replies = [
        "Please DM us your confirmation number and we'll take a look.",
        "Please DM us your confirmation number so we can take a look.",
        "Please DM your confirmation number and we will take a look.",
        "We love hearing that! Enjoy the flight and see you onboard soon.",
    ]
    found = [
        Candidate(_item(f"T-{i}", r, customer=str(i)), r, relevance=0.9 if i == 3 else 0.5)
        for i, r in enumerate(replies)
    ]
    chosen = consensus(found)
    assert chosen is not None
    # The odd one out, however close its question, is not the team's answer.
    assert chosen.item.source.ref in {"T-0", "T-1", "T-2"}
    # Its agreement is the similarity an agent's reply is expected to have to it.
    assert 0.5 < chosen.agreement < 1.0


def test_agents_edits_of_drafts_built_on_a_reply_move_it() -> None:
    same = "Please DM us your confirmation number."
    kept = _item("T-1", same, customer="1", feedback=(10, 8, 0))
    rewritten = _item("T-2", same, customer="2", feedback=(10, 0, 9))
    neutral = _item("T-3", same, customer="3")
    found = [Candidate(i, same, 0.5) for i in (rewritten, neutral, kept)]
    chosen = consensus(found)
    assert chosen is not None and chosen.item.source.ref == "T-1"


def test_the_question_now_is_the_customers_messages_since_the_last_reply() -> None:
    thread = Ticket(
        id="T-1",
        subject="bag",
        messages=[
            Message(author=Author.CUSTOMER, body="My bag is broken", at=AT),
            Message(author=Author.AGENT, body="Please DM us", at=AT + timedelta(minutes=1)),
            Message(author=Author.CUSTOMER, body="Done.", at=AT + timedelta(minutes=2)),
            Message(author=Author.CUSTOMER, body="Hello?", at=AT + timedelta(minutes=9)),
        ],
    )
    assert latest_question(thread) == "Done.\nHello?"
    answered = thread.model_copy(
        update={
            "messages": [
                *thread.messages,
                Message(author=Author.AGENT, body="Replied in DM", at=AT + timedelta(minutes=10)),
            ]
        }
    )
    assert answered_question(answered) == "Done.\nHello?"
