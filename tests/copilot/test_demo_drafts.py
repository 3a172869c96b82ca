"""The demo tickets issue 16 found badly answered, drafted through the desk as a new user would
(``deskpilot demo``), each checked for the facts a support lead expects and for what must be
absent: no request for what the customer gave, no repeated tried step, no promise above the
agent's limit, no Markdown in a reply shown as written. Tickets are found by what the customer
wrote, not by id, so a change of the generator's numbering does not hide a case."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import DEMO_NOW
from deskpilot.copilot.service import DraftOutcome
from deskpilot.desk import Desk
from deskpilot.models import Channel, Ticket
from deskpilot.workspace import Workspace

MARKDOWN = re.compile(r"`|\*\*|__|^#{1,6}\s|\[[^\]]+\]\(", re.MULTILINE)
NUMBERED_STEP = re.compile(r"^\d+\.\s+(.*)$", re.MULTILINE)


def _has(phrase: str) -> Callable[[Ticket], bool]:
    return lambda t: any(phrase.lower() in m.body.lower() for m in t.messages)


def _tried(step: str) -> Callable[[Ticket], bool]:
    return lambda t: t.page_context is not None and step in t.page_context.steps_attempted


# Each case: how to recognise its tickets in the demo.
CASES: dict[str, Callable[[Ticket], bool]] = {
    "how_to_import": _has("import our tasks from a spreadsheet"),
    "order_chase": lambda t: _has("It's been a while")(t) and _has("ORD-")(t),
    "ad_blocker_tried": _tried("Disabled the ad blocker"),
    "refund_over_limit": _has("refund INV-2026-000038"),
    "office_printer": _has("office printer"),
    "next_charge": _has("When will we be charged next?"),
    "invoice_above_plan": _has("says $163.00 but Pro is $79.00"),
    "account_lock": _has("locked"),
    "cancellation_chase": lambda t: _has("It's been a while")(t) and _has("delete our data")(t),
    "in_a_hurry": _has("please help quickly"),
    "earlier_request": _has("my earlier request"),
    "cancel_and_export": _has("best way to exoprt everything"),
    "forgot_password": _has("I forgot my password"),
    "download_invoices": _has("Where can I download invoices"),
    "password_rejected": _has("it rejects my pass"),
    "opened_a_ticket": _has("I opened a ticket about this"),
    "plans_compared": _has("what do we get with Starter vs Pro"),
    "leaving_for_another_platform": _has("consolidating on a different platform"),
    "payment_failed": lambda t: _has("faled")(t) or _has("says past due")(t),
    "add_people": _has("where do I do that"),
    "sso_on_pro": _has("SSO on Pro"),
    "salesforce_how_to": _has("Is there a Salesforce integration"),
}


@pytest.fixture(scope="module")
def drafted(
    frozen_demo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, list[DraftOutcome]]]:
    """Every open demo ticket of each case, drafted once through the desk (local drafter)."""
    copy = tmp_path_factory.mktemp("demo-drafts") / "ws"
    shutil.copytree(frozen_demo, copy)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DESKPILOT_AGENT__NAME", "ada")
        for variable in ("DESKPILOT_LLM__BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
            env.delenv(variable, raising=False)
        with Desk.open(Workspace.existing(copy)) as desk:
            desk.clock = lambda: DEMO_NOW
            tickets = [desk.ticket(s.id) for s in desk.queue(limit=None)]
            found = {case: [t for t in tickets if wanted(t)] for case, wanted in CASES.items()}

            async def draft_all() -> dict[str, list[DraftOutcome]]:
                try:
                    return {
                        case: [await desk.draft_reply(t.id) for t in matching]
                        for case, matching in found.items()
                    }
                finally:
                    await desk.aclose_connectors()

            yield asyncio.run(draft_all())


def _one(drafted: dict[str, list[DraftOutcome]], case: str) -> DraftOutcome:
    assert drafted[case], f"no open demo ticket for {case}"
    return drafted[case][0]


def test_every_case_has_a_demo_ticket_and_no_draft_carries_markdown(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for case, outcomes in drafted.items():
        assert outcomes, f"no open demo ticket for {case}"
        for outcome in outcomes:
            assert outcome.draft.drafter == "local"
            if outcome.context.ticket.channel is not Channel.API:
                assert not MARKDOWN.search(outcome.draft.text), (case, outcome.draft.text)
    channels = {o.context.ticket.channel for outcomes in drafted.values() for o in outcomes}
    assert Channel.EMAIL in channels  # email replies are among them


def test_a_how_to_question_gets_the_guides_steps_not_a_known_bug(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["how_to_import"]:
        text = outcome.draft.text
        assert 'from our guide "Import data from a CSV file"' in text
        assert "Start import" in text
        assert "known issue" not in text and "BUG-" not in text


def test_the_order_chase_apologises_and_never_asks_for_the_order_again(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    outcome = _one(drafted, "order_chase")
    brief = outcome.context.brief
    assert brief is not None and brief.chasing
    (order,) = [g for g in brief.given if g.startswith("ORD-")]
    text = outcome.draft.text
    assert "Sorry for the wait" in text
    assert f"Thanks for the order number, {order}" in text
    assert "no need to send it again" in text
    assert "reference you have" not in text and "I'm checking" not in text
    crm = outcome.context.crm
    assert crm is not None and crm.account_owner
    assert f"your account manager, {crm.account_owner}," in text  # what happens next, and who
    assert "Seats are activated within an hour" in text  # the guide's typical time, as such
    # No record says where the order is: not a draft to send unread.
    assert outcome.draft.confidence < 0.7


def test_a_step_the_customer_tried_is_not_suggested_again(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["ad_blocker_tried"]:
        steps = NUMBERED_STEP.findall(outcome.draft.text)
        assert not [s for s in steps if "ad blocker" in s.lower()], outcome.draft.text
        assert "already tried" in outcome.draft.text


def test_a_refund_above_the_agents_limit_is_for_a_lead_not_promised(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    outcome = _one(drafted, "refund_over_limit")
    brief = outcome.context.brief
    assert brief is not None and brief.refund_allowed is False
    assert "INV-2026-000038" in brief.given
    text = outcome.draft.text
    assert "$2,639.00" in text and "team lead to review" in text
    assert "checking the refund" not in text and "I've refunded" not in text
    assert "limit" not in text  # internal limits are not the customer's business
    assert "INV-2026-000038" in text and "invoice number" not in text  # not asked again


def test_an_office_printer_is_declined_politely(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["office_printer"]:
        text = outcome.draft.text
        assert "outside what our support team can help with" in text
        assert "colleague" not in text
        triage = outcome.context.triage
        assert triage is not None and triage.out_of_scope
        # The draft's confidence (a decline is right) is not the intent's (none fits).
        assert outcome.draft.confidence > triage.confidence
        brief = outcome.context.brief
        assert brief is not None
        assert ("Sorry for the wait" in text) == brief.chasing


def test_when_will_we_be_charged_next_is_answered_with_the_date(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    outcome = _one(drafted, "next_charge")
    subscription = outcome.context.subscription
    assert subscription is not None
    text = outcome.draft.text
    assert f"The next charge is on {subscription.cycle_end:%B %-d, %Y}" in text
    assert "INV-" not in text and "For reference" not in text  # no records pasted
    assert outcome.confidence_basis == "answers 1 of 1 question(s) from billing records"


def test_an_invoice_above_the_plan_price_is_explained_by_its_seats(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    text = _one(drafted, "invoice_above_plan").draft.text
    assert "Invoice INV-2026-000128 comes to $163.00" in text
    assert "7 extra seats at $12.00 each" in text and "Pro includes 10 seats" in text
    assert "could you" not in text.lower()  # nothing asked back


def test_an_account_lock_draft_says_it_clears_after_30_minutes(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["account_lock"]:
        assert "The lock lasts 30 minutes and then clears on its own." in outcome.draft.text


def test_a_cancelling_chaser_hears_until_when_and_what_happens_to_the_data(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    outcome = _one(drafted, "cancellation_chase")
    subscription = outcome.context.subscription
    assert subscription is not None
    text = outcome.draft.text
    assert "Sorry for the wait" in text
    assert f"stays active until {subscription.cycle_end:%B %-d, %Y}" in text
    assert "Data is kept for 30 days" in text
    assert "Cancel plan" in text
    assert "INV-" not in text and "For reference" not in text


def test_a_customer_in_a_hurry_is_answered_promptly_not_handed_off(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["in_a_hurry"]:
        text = outcome.draft.text
        triage = outcome.context.triage
        assert triage is not None and "urgent" in triage.signals
        assert "distressed" not in triage.signals and not outcome.draft.handoff_reason
        assert "I can see this is urgent, so I'll get straight to it." in text
        assert "The lock lasts 30 minutes and then clears on its own." in text
        assert "colleague" not in text


def test_a_customer_chasing_my_earlier_request_hears_which_ones_not_asked_for_a_reference(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    outcome = _one(drafted, "earlier_request")
    history = outcome.context.history
    assert history, "the demo customer has earlier tickets"
    text = outcome.draft.text
    assert "reference" not in text and "Could you send" not in text
    assert any(f'{t.id} "{t.subject}"' in text for t in history)


def test_a_cancellation_draft_is_not_sure_of_what_it_does_not_answer(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    # Asked to cancel and how to export: the paid period and the export guide both answer.
    both = _one(drafted, "cancel_and_export")
    assert "Export data" in both.draft.text and both.draft.confidence >= 0.9
    # Only told they are leaving (the intent unsure): the paid period and how to cancel, from
    # the records and the cancel guide, not a colleague promised nor the invoice pasted.
    leaving = _one(drafted, "leaving_for_another_platform")
    text = leaving.draft.text
    assert "stays active until" in text and "Cancel plan" in text
    assert "INV-" not in text and "Security" not in text and "colleague" not in text
    # Every cancellation is measured on what it answers: none claims more than 1 of 1 wrongly.
    for outcome in drafted["cancel_and_export"] + drafted["cancellation_chase"]:
        assert outcome.confidence_basis.startswith("answers")


def test_a_forgotten_password_is_not_told_about_the_lock(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["forgot_password"]:
        assert "locked for 30 minutes" not in outcome.draft.text
        assert "Forgot password?" in outcome.draft.text


def test_where_to_download_invoices_gets_the_steps_not_the_records(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["download_invoices"]:
        text = outcome.draft.text
        assert "Open Settings → Billing → Invoices." in text
        assert "INV-" not in text and "For reference" not in text


def test_a_rejected_password_is_not_answered_with_a_bug_about_rejected_uploads(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["password_rejected"]:
        assert "BUG-108" not in outcome.draft.text and "uploads" not in outcome.draft.text
        assert all(b.id != "BUG-108" for b in outcome.context.bugs)


def test_i_opened_a_ticket_about_this_is_looked_up_not_asked_for(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["opened_a_ticket"]:
        assert "Could you send me the reference" not in outcome.draft.text
        history = outcome.context.history
        assert history and any(t.id in outcome.draft.text for t in history)


def test_starter_vs_pro_is_answered_with_each_plans_price_and_seats(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["plans_compared"]:
        text = outcome.draft.text
        assert "- Starter plan: $29.00 per month, 3 seats included" in text
        assert "- Pro plan: $79.00 per month, 10 seats included" in text
        assert "could you tell me" not in text.lower()


def test_a_failed_payment_says_which_invoice_failed_and_how_to_fix_it(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    assert drafted["payment_failed"]
    for outcome in drafted["payment_failed"]:
        text = outcome.draft.text
        assert "did not go through, so the invoice is marked failed" in text
        assert "Payment method and update or replace the card" in text
        assert "For reference" not in text  # no plan record pasted


def _first_name(outcome: DraftOutcome) -> str:
    customer = outcome.context.ticket.customer
    assert customer is not None and customer.name
    return customer.name.split()[0]


def test_a_reused_reply_greets_this_customer_and_apologises_first_when_they_chased(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    outcomes = drafted["add_people"]
    reused = [o for o in outcomes if any(s.kind == "ticket" for s in o.draft.sources)]
    assert reused, "the team's reply to adding people is reused"
    brief_chased = [o for o in reused if o.context.brief is not None and o.context.brief.chasing]
    assert brief_chased, "some of them chased"
    for outcome in reused:
        text = outcome.draft.text
        first_paragraph = text.split("\n\n")[0]
        assert first_paragraph in (f"Hello {_first_name(outcome)},", f"Hi {_first_name(outcome)},")
        brief = outcome.context.brief
        assert brief is not None
        assert ("Sorry for the wait" in text) == brief.chasing, text
        if brief.chasing:  # the apology comes before the answer
            assert text.index("Sorry for the wait") < text.index("Settings → Team")


def test_a_rejected_password_is_not_answered_with_another_customers_sign_in_address_change(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    for outcome in drafted["password_rejected"]:
        text = outcome.draft.text
        assert "sign-in address" not in text and "switch the address" not in text, text
        assert text.startswith(f"Hi {_first_name(outcome)},")
        assert "reset" in text.lower()  # their own problem's answer


def test_a_suggestion_gets_no_past_reply_about_another_feature(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    assert drafted["sso_on_pro"]
    for outcome in drafted["sso_on_pro"]:
        text = outcome.draft.text
        assert "timeline" not in text.lower() and "dark mode" not in text.lower(), text
    suggestions = [
        o
        for o in drafted["sso_on_pro"]
        if o.context.triage and o.context.triage.intent == "feature_request"
    ]
    assert suggestions
    for outcome in suggestions:
        assert "Thanks for the suggestion" in outcome.draft.text


def test_an_integration_how_to_gets_its_guide_not_the_known_oauth_bug(
    drafted: dict[str, list[DraftOutcome]],
) -> None:
    assert drafted["salesforce_how_to"]
    for outcome in drafted["salesforce_how_to"]:
        text = outcome.draft.text
        assert "known issue" not in text and "BUG-" not in text, text
        assert "keep you posted on the fix" not in text
        # Even when the intent classifier is unsure (drafted first, before it learned), the
        # guide named for the question answers it, rather than a colleague being promised.
        assert 'from our guide "Connect Salesforce or HubSpot"' in text
        assert "colleague" not in text
