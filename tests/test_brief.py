"""The case brief on hand-built tickets: what is asked, given, tried, chased, and allowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskpilot.config import SlaSettings
from deskpilot.copilot.brief import already_tried, build_brief, plain, question_sentences
from deskpilot.models import Author, Channel, Message, PageContext, Ticket

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _ticket(
    *bodies: str, page: PageContext | None = None, channel: Channel = Channel.EMAIL
) -> Ticket:
    messages = [
        Message(author=Author.CUSTOMER, body=body, at=AT + timedelta(hours=5 * i))
        for i, body in enumerate(bodies)
    ]
    return Ticket(id="T-1", subject="help", messages=messages, page_context=page, channel=channel)


def test_the_question_is_read_from_the_latest_messages() -> None:
    brief = build_brief(
        _ticket("Hi! We love the app. How can I import our tasks from a spreadsheet? Thanks"),
        AT,
    )
    assert brief.questions == ["How can I import our tasks from a spreadsheet?"]
    assert question_sentences("Hello? When will we be charged next?") == [
        "When will we be charged next?"
    ]


def test_a_customer_who_gave_their_order_and_wrote_again_is_chasing() -> None:
    ticket = _ticket("Where is my order ORD-55120? It was due Monday.", "Hello? It's been a while.")
    brief = build_brief(ticket, AT + timedelta(hours=6), SlaSettings())
    assert brief.given == ["ORD-55120"]
    assert brief.follow_ups == 1 and brief.chasing
    assert brief.waited == timedelta(hours=6)
    assert not brief.sla_breached  # a normal ticket's target is a day
    late = build_brief(ticket, AT + timedelta(hours=30), SlaSettings())
    assert late.sla_breached
    assert any("apologise for the wait" in line for line in late.lines())


def test_a_first_message_past_its_sla_is_chasing_too() -> None:
    brief = build_brief(_ticket("Can you reset my 2FA?"), AT + timedelta(days=2), SlaSettings())
    assert brief.follow_ups == 0 and brief.sla_breached and brief.chasing


def test_steps_tried_are_matched_by_meaning() -> None:
    ticket = _ticket(
        "The dashboard is blank. I've already turned off my ad blocker and cleared the cache."
    )
    brief = build_brief(ticket, AT)
    assert already_tried("Disable ad blockers for the site", brief.tried)
    assert already_tried("Clear your browser cache", brief.tried)
    assert not already_tried("Try a private window", brief.tried)
    with_page = build_brief(
        _ticket("still blank", page=PageContext(steps_attempted=["Restarted the browser"])), AT
    )
    assert already_tried("Restart your browser", with_page.tried)


def test_a_refund_over_the_agents_limit_is_for_a_lead() -> None:
    ticket = _ticket("Please refund the $2,639.00 annual charge, we never used it.")
    over = build_brief(ticket, AT, refund_limit=200.0)
    assert over.refund_asked == 2639.0 and over.refund_over_limit
    assert any("lead will review" in line for line in over.lines())
    within = build_brief(_ticket("Please refund the $49 charge"), AT, refund_limit=200.0)
    assert not within.refund_over_limit
    no_refund = build_brief(_ticket("Why is my invoice $163 when Pro is $79?"), AT, refund_limit=50)
    assert no_refund.refund_asked is None


def test_email_and_chat_drafts_carry_no_markdown() -> None:
    assert build_brief(_ticket("hi"), AT).plain_text
    assert build_brief(_ticket("hi", channel=Channel.CHAT), AT).plain_text
    assert build_brief(_ticket("hi", channel=Channel.WEB), AT).plain_text  # answered by email
    assert not build_brief(_ticket("hi", channel=Channel.API), AT).plain_text
    assert plain("Open **Settings**, then `Billing`.\n# Steps\n*Save*") == (
        "Open Settings, then Billing.\nSteps\nSave"
    )
    assert plain("Send us a DM. *QB") == "Send us a DM. *QB"  # an agent's mark is no markup
