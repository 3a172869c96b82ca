"""The team's links in adapted replies: the help page the team cites for this kind of question
is cited, and a link made for another customer (their parcel's, their account's) never is."""

from __future__ import annotations

import pytest

from deskpilot.copilot.adapt import Candidate, adapt, candidates, consensus, links_in, team_link
from deskpilot.copilot.context import DraftContext, KnowledgeItem
from deskpilot.models import Author, Customer, Message, Ticket

from .past_replies import AT, answered

RESET = "https://help.acme.test/reset"
REFUNDS = "https://help.acme.test/articles/360002-refunds"


def _ticket(body: str, email: str = "200001@twitter.example") -> Ticket:
    return Ticket(
        id="T-now",
        subject=body[:40],
        messages=[Message(author=Author.CUSTOMER, body=body, at=AT)],
        customer=Customer(id="c-now", email=email),
        tags=["inbox:Acme"],
    )


def _item(ref: str, question: str, reply: str, customer: str) -> KnowledgeItem:
    return answered(
        ref, question, reply, customer=customer, inbox="Acme", answered_by="ada", answered_at=AT
    )


PASSWORD = [
    "@Acme I forgot my password, how do I get back in?",
    "@Acme can't log in, my password doesn't work anymore",
    "@Acme how do I reset my password?",
]
REFUND = [
    "@Acme how do I get a refund for my order?",
    "@Acme I want my money back for a broken kettle",
    "@Acme can I return this and be refunded?",
    "@Acme refund please, the toaster never worked",
    "@Acme how long does a refund take?",
    "@Acme my order arrived damaged, can I get my money back?",
]


def _team() -> list[KnowledgeItem]:
    """A team that answers password questions with the reset page and refunds with another,
    and many more refund questions than password ones."""
    reset = f"Sorry about that! You can set a new password here: {RESET}."
    refunds = f"Sorry to hear that! Our refund steps are here: {REFUNDS}"
    items = [_item(f"P-{i}", q, f"@1000{i} {reset}", f"1000{i}") for i, q in enumerate(PASSWORD)]
    items += [_item(f"R-{i}", q, f"@2000{i} {refunds}", f"2000{i}") for i, q in enumerate(REFUND)]
    return items


def test_the_team_link_is_the_one_its_replies_to_the_same_question_cite() -> None:
    ticket = _ticket("@Acme I can't remember the password for my login, what now?")
    found = candidates(DraftContext(ticket=ticket, exemplars=_team()), "ada")
    assert team_link(found) == RESET
    refund = _ticket("@Acme the blender I bought is broken, I want a refund")
    assert team_link(candidates(DraftContext(ticket=refund, exemplars=_team()), "ada")) == REFUNDS


def test_a_draft_built_on_another_questions_reply_cites_this_questions_page() -> None:
    """The reply the team agrees on most is a refund reply (refunds are most of the inbox):
    the sentence citing the refund page gives way to the team's sentence citing the reset
    page, and the draft cites the reply it took that sentence from."""
    ticket = _ticket("@Acme my password stopped working, what do I do?")
    chosen = consensus(candidates(DraftContext(ticket=ticket, exemplars=_team()), "ada"))
    assert chosen is not None
    assert RESET in links_in(chosen.text)
    assert REFUNDS not in chosen.text
    assert "You can set a new password here" in chosen.text
    assert chosen.text.startswith("@200001 ")
    assert any(item.source.ref.startswith("P-") for item in chosen.items)


def test_a_link_at_the_end_of_a_sentence_is_the_same_link() -> None:
    assert links_in(f"See {RESET}. Or {RESET}, or ({REFUNDS})") == {RESET, REFUNDS}


@pytest.mark.parametrize(
    "link",
    [
        "https://track.acme.test/orders/ORD-2931",  # their order's reference
        "https://track.acme.test/t?c=115818",  # an id in the query
        "https://acme.test/account/115818/settings",  # their handle
        "https://acme.test/parcels/48213377",  # a long number outside a help document
        "https://acme.test/verify?token=8f3a9c0de1b2f4a6b7c8",  # a token
        "https://acme.test/unsubscribe?email=jo%40mail.test",  # an address
    ],
)
def test_a_link_made_for_the_other_customer_goes_with_its_sentence(link: str) -> None:
    reply = f"@115818 Thanks for waiting! Your parcel is on its way: {link} ^AB"
    item = _item("T-1", "@Acme where is my parcel ORD-2931?", reply, "115818")
    ticket = _ticket("@Acme where is my parcel ORD-7777?")
    text = adapt(item, DraftContext(ticket=ticket, exemplars=[item]), own_mark="^AB")
    assert link not in text and "ORD-2931" not in text and "115818" not in text
    assert text.startswith("@200001 Thanks for waiting!")


@pytest.mark.parametrize(
    "link",
    [
        "https://t.co/6iDGBJAc2m",  # an opaque short link names nobody
        "https://help.acme.test/hc/en-us/articles/360012345678-Reset",  # a help document
        "https://acme.test/refunds?utm_source=twitter",
        "https://medium.com/@acme/how-refunds-work",  # the brand's own handle
    ],
)
def test_a_link_that_names_nobody_stays(link: str) -> None:
    reply = f"@115818 Our refund steps are here: {link} ^AB"
    item = _item("T-1", "@Acme refund please", reply, "115818")
    ticket = _ticket("@Acme how do refunds work?")
    text = adapt(item, DraftContext(ticket=ticket, exemplars=[item]), own_mark="^AB")
    assert text == f"@200001 Our refund steps are here: {link} ^AB"


def test_a_link_the_team_sent_several_customers_is_the_teams_whatever_it_holds() -> None:
    page = "https://acme.test/status/ORD-STATUS-1234"
    items = [
        _item(f"T-{i}", "@Acme is the site down?", f"@1000{i} Status here: {page}", f"1000{i}")
        for i in range(2)
    ]
    ticket = _ticket("@Acme site down?")
    texts = [c.text for c in candidates(DraftContext(ticket=ticket, exemplars=items), "ada")]
    assert texts == [f"@200001 Status here: {page}"] * 2


def test_no_link_is_cited_when_the_closest_replies_cite_none() -> None:
    dm = "Please DM us. ^AB"
    found = [
        Candidate(_item(f"T-{i}", "@Acme app crashes", dm, str(i)), dm, 0.9, asked="app crashes")
        for i in range(3)
    ]
    found.append(
        Candidate(
            _item("T-9", "@Acme refund", f"Refunds: {REFUNDS}", "9"),
            f"Refunds: {REFUNDS}",
            0.4,
            asked="app crashes",
        )
    )
    assert team_link(found) == ""


def test_a_link_is_never_glued_to_what_follows_it() -> None:
    """Tidying a space before punctuation must not make another link of the team's."""
    reply = "@115818 Hey , let's run the doctor: https://t.co/EaeoxKeULN ...1/2"
    item = _item("T-1", "@Acme printer will not print", reply, "115818")
    ticket = _ticket("@Acme my printer will not print")
    text = adapt(item, DraftContext(ticket=ticket, exemplars=[item]))
    assert text == "@200001 Hey, let's run the doctor: https://t.co/EaeoxKeULN ...1/2"
    assert links_in(text) == {"https://t.co/EaeoxKeULN"}
