"""What the records and the guides answer, on hand-built articles and records: an article's key
facts read from list items whole, the guide titled by what is asked when the top one says
nothing, and until when a plan runs for a customer who cancels."""

from __future__ import annotations

from datetime import UTC, date, datetime

from deskpilot.copilot.brief import build_brief
from deskpilot.copilot.context import DraftContext, KnowledgeItem
from deskpilot.copilot.facts import answer_brief, article_key_facts
from deskpilot.copilot.prompting import PromptTemplates, render_messages
from deskpilot.models import (
    Author,
    Invoice,
    InvoiceLine,
    Message,
    Sentiment,
    Source,
    Subscription,
    Ticket,
    TriageRecord,
)

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SEAT_ORDERS = """# Seat orders and purchase orders: status

Each order has an order number such as `ORD-48210`.

## Order stages

1. **Received** – we have your PO or order form.
2. **In review** – finance checks the PO against the quote: amounts, seat count, billing entity
   and PO number. Usually 1 business day.
3. **Countersigned** – the order is accepted. Seats are activated within an hour.
"""
CANCEL = """# Cancel your subscription

Owners can cancel at any time. You keep access until the end of the period you already paid for.

## Steps

1. Open **Settings → Billing** and click **Cancel plan**.
2. Confirm. You receive an email with the date the cancellation takes effect.
"""
DELETE = """# Delete your account and workspace

## What happens to the data

- The workspace is deactivated at once and nobody can sign in to it.
- Data is kept for **30 days** so an Owner can restore it by contacting support.
"""
PRIVACY = """# Privacy requests

We answer data requests within 30 days of receiving them.
"""


def _article(slug: str, body: str) -> KnowledgeItem:
    title = body.splitlines()[0].lstrip("# ")
    return KnowledgeItem(
        source=Source(kind="article", ref=slug, title=title), title=title, snippet="", body=body
    )


def _context(body: str, intent: str, articles: list[KnowledgeItem]) -> DraftContext:
    ticket = Ticket(
        id="T-1",
        subject="Closing down",
        messages=[Message(author=Author.CUSTOMER, body=body, at=AT)],
    )
    triage = TriageRecord(
        ticket_id="T-1", intent=intent, confidence=0.9, sentiment=Sentiment.NEUTRAL
    )
    return DraftContext(
        ticket=ticket,
        triage=triage,
        brief=build_brief(ticket, AT),
        knowledge=articles,
        subscription=Subscription(
            customer_id="C-1",
            plan_id="pro",
            status="active",
            cycle_start=date(2026, 10, 8),
            cycle_end=date(2026, 11, 8),
        ),
    )


def test_a_duration_in_a_list_item_comes_with_the_stage_it_belongs_to() -> None:
    asked = "Where's our order ORD-49264? The seats aren't showing up yet. Can you give an ETA?"
    assert article_key_facts(SEAT_ORDERS, asked) == [
        "In review – finance checks the PO against the quote: amounts, seat count, billing "
        "entity and PO number. Usually 1 business day.",
        "Countersigned – the order is accepted. Seats are activated within an hour.",
    ]
    assert article_key_facts(SEAT_ORDERS, "How do I change my password?") == []


def test_a_cancellation_is_answered_with_the_paid_period_and_what_happens_to_the_data() -> None:
    context = _context(
        "We are winding down, we need to cancel everything and delete our data. "
        "Let me know what happens to our data.",
        "cancellation",
        [_article("cancel", CANCEL), _article("delete", DELETE), _article("privacy", PRIVACY)],
    )
    brief = answer_brief(context, AT.date())
    assert brief is not None
    said = {(a.label, a.source.ref): a.text for a in brief.answers}
    assert said[("paid until", "subscription:C-1")] == (
        "After you cancel, your plan stays active until November 8, 2026, the end of the period "
        "already paid for, and there are no further charges"
    )
    # The top guide has no duration for it; the one titled by what is asked ("delete") does.
    assert said[("key fact", "delete")] == (
        "Data is kept for 30 days so an Owner can restore it by contacting support."
    )
    assert all(ref != "privacy" for _, ref in said)  # its title names nothing asked


def test_a_canceled_plan_has_no_paid_period_to_state() -> None:
    context = _context("Please cancel our plan today.", "cancellation", [])
    assert context.subscription is not None
    context.subscription = context.subscription.model_copy(update={"status": "canceled"})
    brief = answer_brief(context, AT.date())
    assert brief is not None and all(a.label != "paid until" for a in brief.answers)


def test_a_reference_no_record_holds_is_one_the_draft_states_no_status_for() -> None:
    context = _context(
        "Where's our order ORD-49264? And is invoice INV-2026-000063 paid? Mail sam@example.com",
        "order_status",
        [],
    )
    context.invoices = [
        Invoice(
            id="in_63",
            customer_id="C-1",
            number="INV-2026-000063",
            issued=date(2026, 10, 1),
            status="paid",
            lines=[InvoiceLine(description="Pro plan (monthly)", amount=79.0)],
        )
    ]
    brief = answer_brief(context, AT.date())
    assert brief is not None
    assert brief.given == ["ORD-49264", "INV-2026-000063", "sam@example.com"]
    assert brief.unrecorded == ["ORD-49264"]  # the invoice is in the records, an address is none
    line = (
        "No record of ORD-49264 here: state no status for it; say who looks it up and that the "
        "answer comes in this thread"
    )
    assert line in brief.lines()
    # The model reads it in the brief, and the template says what to do with it.
    context.brief = brief
    prompt = render_messages(context, PromptTemplates.load())[1]["content"]
    fenced = prompt[prompt.index("<case_brief>") : prompt.index("</case_brief>")]
    assert line in fenced
    assert 'Where it says "No record of" a reference' in prompt
