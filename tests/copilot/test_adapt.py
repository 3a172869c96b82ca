"""Adapting a past reply to this customer: the other customer's and agent's specifics are
swapped or dropped, the team's own are kept, and the reply the others agree on is chosen."""

from __future__ import annotations

import re
from datetime import timedelta

from deskpilot.copilot.adapt import (
    Candidate,
    adapt,
    answered_question,
    candidates,
    compose,
    consensus,
    inbox_of,
    latest_question,
    likely_mark,
    sign_mark,
    team_link,
)
from deskpilot.copilot.context import DraftContext, KnowledgeItem
from deskpilot.copilot.exemplars import team_examples
from deskpilot.models import Author, Customer, Message, Ticket

from .past_replies import AT, answered


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
    return answered(
        ref,
        question,
        reply,
        customer=customer,
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


def test_the_mark_is_this_conversations_then_this_customers_then_the_agents_latest() -> None:
    to_them = _item("T-1", "Glad to help. ^JD", customer="now", minutes=30)
    latest = _item("T-2", "Please DM us. ^KB", minutes=1)
    ticket = _ticket("still broken")
    assert likely_mark(ticket, [to_them, latest], "ada") == "^JD"  # same customer, same agent
    stranger = ticket.model_copy(update={"customer": Customer(id="c-9", email="9@x.example")})
    assert likely_mark(stranger, [to_them, latest], "ada") == "^KB"  # the agent's latest
    thread = ticket.model_copy(
        update={
            "messages": [
                Message(author=Author.CUSTOMER, body="@Delta my bag is broken", at=AT),
                Message(author=Author.AGENT, body="@117166 Sorry! Please file a report. *AMC"),
                Message(author=Author.CUSTOMER, body="Can I do it online?", at=AT),
            ]
        }
    )
    assert likely_mark(thread, [to_them, latest], "ada") == "*AMC"  # who answered carries on
    # A colleague's message in the thread: this agent signs with their own mark.
    colleague = thread.model_copy(
        update={
            "messages": [
                m.model_copy(update={"author_name": "bo"}) if m.author is Author.AGENT else m
                for m in thread.messages
            ]
        }
    )
    assert likely_mark(colleague, [to_them, latest], "ada") == "^JD"


def test_a_team_that_signs_its_replies_signs_one_that_had_no_mark() -> None:
    signed = [_item(f"T-{i}", f"Please DM us {i}. ^KB", customer=str(i), minutes=i) for i in (1, 2)]
    bare = _item("T-3", "We are on it, thanks for your patience.", customer="3", minutes=9)
    found = {
        c.item.source.ref: c.text for c in candidates(_context(_ticket("x"), *signed, bare), "ada")
    }
    assert found["T-3"] == "We are on it, thanks for your patience. ^KB"


def test_the_teams_answer_is_composed_from_what_its_replies_share() -> None:
    """The reply the team agrees on keeps its frame (who it addresses, the agent's mark), loses
    a sentence only it says and takes the sentence the others share, in the team's words."""
    replies = [
        "@117166 Sorry about the delay! Congrats on the upgrade! ^KB",
        "@117166 Please DM us your confirmation number. Sorry about the delay! ^KB",
        "@117166 Please DM us your confirmation number. We will take a look. ^KB",
        "@117166 Please DM us your confirmation number. Sorry about the delay! ^KB",
    ]
    found = [
        Candidate(_item(f"T-{i}", r, customer=str(i)), r, relevance=0.9 if i == 0 else 0.6)
        for i, r in enumerate(replies)
    ]
    composed = compose(found[0], found)
    assert composed.text.startswith("@117166 ") and composed.text.endswith(" ^KB")
    assert "Please DM us your confirmation number." in composed.text
    assert "Congrats on the upgrade!" not in composed.text  # one reply's one-off
    # The draft cites every reply it took a sentence from, its frame first.
    assert composed.items[0].source.ref == "T-0"
    assert {i.source.ref for i in composed.also} <= {"T-1", "T-2", "T-3"}
    assert composed.also
    # Every sentence is one a reply of the team's holds whole.
    body = composed.text.removeprefix("@117166 ").removesuffix(" ^KB")
    for sentence in re.split(r"(?<=[.!?])\s+", body):
        assert any(sentence in r for r in replies), sentence


def test_a_fragment_of_a_reply_split_over_messages_is_never_composed_in() -> None:
    replies = [
        "@117166 Thanks for waiting. ^KB",
        "@117166 Thanks for waiting. ...on the upgrade list. ^KB",
        "@117166 Thanks for waiting. your date of birth. ^KB",
        "@117166 Thanks for waiting. Check your DM 2/2 ^KB",
        "@117166 Thanks for waiting. ...on the upgrade list. ^KB",
    ]
    found = [Candidate(_item(f"T-{i}", r, customer=str(i)), r, 0.7) for i, r in enumerate(replies)]
    composed = compose(found[0], found)
    assert composed.text == "@117166 Thanks for waiting. ^KB"
    # With fewer than three replies there is nothing to agree on: the reply stays as it was.
    assert compose(found[1], found[:2]).text == replies[1]


def test_the_help_page_most_close_replies_cite_is_cited() -> None:
    page = "https://help.example.com/baggage-claims"
    replies = [
        f"Sorry about your bag. You can file a claim here: {page} ^JD",
        f"Please file a claim at {page} and we'll review it. ^JD",
        "Sorry about that! Please DM us your bag tag number. ^JD",
    ]
    found = [
        Candidate(_item(f"T-{i}", r, customer=str(i)), r, relevance=0.8)
        for i, r in enumerate(replies)
    ]
    assert team_link(found) == page
    chosen = consensus(found)
    assert chosen is not None and page in chosen.text
    if chosen.item.source.ref == "T-2":
        assert chosen.text.endswith(f"{page} ^JD")  # before the agent's mark
    # A link only one customer's replies carry is theirs (a tracking page), never cited.
    own = "https://track.example.com/x9"
    theirs = [
        Candidate(
            _item(f"T-{i}", f"Track it here {own}", customer="1"), f"Track it here {own}", 0.8
        )
        for i in range(3)
    ]
    assert team_link(theirs) == ""


def test_few_shot_examples_are_the_teams_replies_adapted_to_this_customer() -> None:
    items = [
        _item("T-1", "@115818 Please DM us your confirmation number. *QB", customer="115818"),
        _item("T-2", "@115900 Please DM us your confirmation number! *QB", customer="115900"),
        _item("T-3", "@115818 Enjoy the flight! *QB", customer="115818", inbox="AppleSupport"),
    ]
    examples = team_examples(_context(_ticket("@Delta my bag is broken"), *items), "ada", limit=2)
    assert len(examples) == 2
    for example in examples:
        assert example.startswith("@117166 Please DM us your confirmation number")
        assert "115818" not in example and "115900" not in example
    assert team_examples(_context(_ticket("x")), "ada") == []


def test_a_human_only_intent_in_an_inbox_starts_from_the_teams_reply() -> None:
    from deskpilot.copilot.local_drafter import LocalDrafter
    from deskpilot.models import Sentiment, TriageRecord

    items = [
        _item(f"T-{i}", f"@11581{i} So sorry to hear that. Please DM us the details. *QB",
              customer=f"11581{i}")
        for i in range(3)
    ]  # fmt: skip
    ticket = _ticket("@Delta worst airline ever, lost my bag twice")

    def triage(reason: str, signals: list[str]) -> TriageRecord:
        return TriageRecord(
            ticket_id=ticket.id,
            intent="complaint",
            confidence=0.9,
            sentiment=Sentiment.ANGRY,
            signals=signals,
            handoff=True,
            handoff_reason=reason,
        )

    human_only = DraftContext(
        ticket=ticket,
        exemplars=items,
        triage=triage("'complaint' is handled by humans only", []),
    )
    draft = LocalDrafter("Ada", "ada").compose(human_only)
    assert draft.text == "@117166 So sorry to hear that. Please DM us the details. *QB"
    legal = human_only.model_copy(
        update={
            "triage": triage(
                "'complaint' is handled by humans only; emotionally charged or sensitive "
                "(legal: lawyer)",
                ["legal"],
            )
        }
    )
    assert "colleague" in LocalDrafter("Ada", "ada").compose(legal).text  # still a human's


def test_a_greeting_name_in_any_language_or_form_becomes_this_customers() -> None:
    replies = {
        "Hola Cesar, revisa tu correo.": ("Hola Maya, revisa", "Hola, revisa"),
        "Hola César, revisa tu correo.": ("Hola Maya, revisa", "Hola, revisa"),
        "Bonjour Amélie, vérifiez vos e-mails.": ("Bonjour Maya, vérifiez", "Bonjour, vérifiez"),
        "Hallo Jürgen, bitte prüfen Sie Ihre E-Mail.": ("Hallo Maya, bitte", "Hallo, bitte"),
        "Good morning Rachel, check your email.": (
            "Good morning Maya, check",
            "Good morning, check",
        ),
        "Hi Rachel thanks for waiting, check your email.": ("Hi Maya thanks", "Hi, thanks"),
        "Hi Mary-Jane, check your email.": ("Hi Maya, check", "Hi, check"),
        "Hi Rachel Green, check your email.": ("Hi Maya, check", "Hi, check"),
        "Dear Ms. Smith, check your email.": ("Dear Maya, check", "Dear, check"),
    }
    for reply, (named, unnamed) in replies.items():
        item = _item("T-1", reply)
        to_maya = adapt(item, _context(_ticket("which store?", name="Maya Okafor"), item))
        to_nobody = adapt(item, _context(_ticket("which store?"), item))
        assert to_maya.startswith(named), (reply, to_maya)
        assert to_nobody.startswith(unnamed), (reply, to_nobody)
    # Not names: "Hi there", "Hello again", and a name this conversation uses itself.
    for kept in ("Hi there, check your email.", "Hello again, check your email."):
        item = _item("T-1", kept)
        assert adapt(item, _context(_ticket("which store?", name="Maya Okafor"), item)) == kept
    item = _item("T-1", "Thanks Delta, check your email.")
    assert adapt(item, _context(_ticket("@Delta which store?"), item)).startswith("Thanks Delta")


def test_the_other_customers_company_becomes_this_customers_not_their_name() -> None:
    """Seen on the demo: "an Owner at Juniper Design Ltd can change ..." was adapted word by word
    into "an Owner at Esther Esther can change ..."."""
    reply = "Hi Rachel, an Owner at Juniper Design Ltd can change your sign-in address in Settings."
    item = _item("T-1", reply).model_copy(
        update={
            "foreign_words": ["Rachel", "Green", "Juniper", "Design", "Ltd"],
            "foreign_company": "Juniper Design Ltd",
        }
    )
    ticket = _ticket("how do I change my sign-in address?", name="Esther Mensah")
    ticket.customer = ticket.customer.model_copy(update={"company": "Falcon Labs"})  # type: ignore[union-attr]
    text = adapt(item, _context(ticket, item))
    assert text == "Hi Esther, an Owner at Falcon Labs can change your sign-in address in Settings."
    # With no company on record: "your company", never their name or this customer's.
    text = adapt(item, _context(_ticket("sign-in address?", name="Esther Mensah"), item))
    assert "an Owner at your company can change" in text and "Juniper" not in text
    # A part of their company's name left over cannot be told from a person's: not reused.
    partial = item.model_copy(update={"body": "Hi Rachel, the Juniper team can change it."})
    assert adapt(partial, _context(ticket, partial)) == ""
