"""A follow-up is first-class: the ticket is re-triaged on what the customer says now, and
the next draft answers the conversation's latest question, not the first message."""

from __future__ import annotations

from deskpilot.connectors.models import InboundMessage
from deskpilot.desk import Desk
from deskpilot.models import Author, Message, Status, Ticket

from .fakes import FakeChannel


def test_the_latest_customer_text_is_what_they_said_since_the_last_reply() -> None:
    def said(*authors_and_bodies: tuple[Author, str]) -> Ticket:
        messages = [Message(author=a, body=b) for a, b in authors_and_bodies]
        return Ticket(id="T-1", subject="s", messages=messages)

    customer, agent, note = Author.CUSTOMER, Author.AGENT, Author.NOTE
    assert said((customer, "first")).latest_customer_text == "first"
    assert said((customer, "a"), (customer, "b")).latest_customer_text == "a\n\nb"
    follow_up = said((customer, "first"), (agent, "reply"), (customer, "again"), (note, "n"))
    assert follow_up.latest_customer_text == "again"
    assert said((customer, "first"), (agent, "reply")).latest_customer_text == "first"


async def test_a_follow_up_on_a_solved_billing_ticket_is_drafted_about_the_new_question(
    demo_desk: Desk,
) -> None:
    solved = demo_desk.queue(statuses=frozenset({Status.SOLVED}), intent="billing_question")[0]
    ticket = demo_desk.ticket(solved.id)
    assert "password" not in ticket.first_customer_message.lower()
    channel = FakeChannel()
    channel.inbox.append(
        InboundMessage(
            external_id="follow-up-1",
            ticket_external_id=ticket.external_id,
            from_email=ticket.customer.email if ticket.customer else "x@example.com",
            body="Different problem now: I can't log in, the password reset email never arrives.",
            at=demo_desk.clock(),
        )
    )
    report = await demo_desk.channel_sync().sync("demo", channel)
    assert report.reopened == [ticket.id]
    triage = demo_desk.store.get_triage(ticket.id)
    assert triage is not None and triage.intent == "account_access"

    outcome = await demo_desk.draft_reply(ticket.id)
    assert "password" in outcome.context.knowledge[0].title.lower()
    assert "password reset" in outcome.draft.text.lower()
