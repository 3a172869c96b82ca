"""In a conversation of several exchanges, the past replies a draft builds on are weighed by the
conversation, not by the customer's latest message alone: "thanks" after "try restarting it"
is not "thanks" after "DM us your booking", and a first message is not a follow-up."""

from __future__ import annotations

from datetime import timedelta

from deskpilot.copilot.adapt import candidates, consensus, team_said_before, thread_relevance
from deskpilot.copilot.context import DraftContext, KnowledgeItem
from deskpilot.models import Author, Customer, Message, Ticket

from .past_replies import AT, answered


def _thread(*said: tuple[Author, str]) -> list[Message]:
    return [
        Message(author=author, body=body, at=AT + timedelta(minutes=i))
        for i, (author, body) in enumerate(said)
    ]


def _ticket(*said: tuple[Author, str]) -> Ticket:
    return Ticket(
        id="T-now",
        subject="help",
        messages=_thread(*said),
        customer=Customer(id="c-now", email="117166@twitter.example"),
        tags=["inbox:Acme"],
    )


def _answered(
    ref: str, reply: str, question: str, *, follows: str = "", earlier: str = ""
) -> KnowledgeItem:
    """An answered conversation as retrieval gives it (see ``copilot.assemble._exemplar``);
    its customer's handle is ``ref``'s digits."""
    handle = "".join(ch for ch in ref if ch.isdigit())
    return answered(
        ref,
        question,
        reply,
        customer=handle,
        customer_id=f"c-{ref}",
        inbox="Acme",
        follows=follows,
        conversation=f"{earlier}\n{question}" if earlier else "",
    )


C, A = Author.CUSTOMER, Author.AGENT
# Two answered conversations whose last question is the same word: what decides the reply is
# what came before it.
AFTER_A_FIX = _answered(
    "T-101",
    "@101 Glad to hear it's working again! Let us know if it acts up.",
    "thanks",
    follows="@101 Please try restarting the router, then check the lights.",
    earlier="@Acme my internet keeps dropping",
)
AFTER_A_DM = _answered(
    "T-102",
    "@102 Got it, we'll look out for your DM and reply there.",
    "thanks",
    follows="@102 Please send us a DM with your account number so we can check.",
    earlier="@Acme I was charged twice this month",
)


def test_a_follow_up_is_answered_as_the_team_answered_the_same_exchange() -> None:
    after_fix = _ticket(
        (C, "@Acme my wifi drops every evening"),
        (A, "@117166 Please try restarting the router and check the lights. ^KT"),
        (C, "@Acme thanks"),
    )
    after_dm = _ticket(
        (C, "@Acme why was I billed twice?"),
        (A, "@117166 Sorry! Please send us a DM with your account number. ^KT"),
        (C, "@Acme thanks"),
    )
    for ticket, expected in ((after_fix, "T-101"), (after_dm, "T-102")):
        # Either order of retrieval: the latest message alone cannot tell them apart.
        for items in ([AFTER_A_FIX, AFTER_A_DM], [AFTER_A_DM, AFTER_A_FIX]):
            chosen = consensus(candidates(DraftContext(ticket=ticket, exemplars=items), "ada"))
            assert chosen is not None
            assert chosen.item.source.ref == expected
            assert chosen.text.startswith("@117166 ")  # adapted to this customer


def test_a_first_message_prefers_conversations_that_were_first_messages() -> None:
    first = _answered("T-103", "@103 Sorry about that! Which router do you have?", "thanks")
    ticket = _ticket((C, "@Acme thanks"))
    for items in ([AFTER_A_FIX, first], [first, AFTER_A_FIX]):
        found = candidates(DraftContext(ticket=ticket, exemplars=items), "ada")
        closest = max(found, key=lambda c: c.relevance)
        assert closest.item.source.ref == "T-103"


def test_single_messages_are_weighed_by_the_question_alone() -> None:
    # No thread on either side (the single tweets of twcs_replay.jsonl): as before.
    single = _answered("T-104", "@104 We can help with that.", "my bill is wrong")
    closer = thread_relevance("my bill is wrong again", "", single, "my bill is wrong again")
    assert closer == thread_relevance("my bill is wrong again", "", single)
    assert closer > thread_relevance("my parcel is late", "", single, "my parcel is late")


def test_the_team_message_before_the_question_is_found_on_both_sides() -> None:
    thread = _thread(
        (C, "My bag is broken"),
        (A, "Please DM us"),
        (C, "Done."),
        (C, "Hello?"),
    )
    assert team_said_before(thread) == "Please DM us"
    answered = [*thread, *_thread((A, "Replied in DM"))]
    assert team_said_before(answered, answered=True) == "Please DM us"
    assert team_said_before(_thread((C, "My bag is broken"))) == ""
    assert team_said_before(_thread((C, "My bag is broken"), (A, "Sorry!")), answered=True) == ""
