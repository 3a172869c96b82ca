"""Money moves once, and the audit trail says so: refunds through the Stripe connector against
a local fake Stripe (``fake_stripe``) that keeps Idempotency-Key promises and loses answers the
ways Stripe documents (a 500 after the refund was made, replayed for the key; a timeout; a
dropped connection). Every scenario ends with the trail's moved total equal to the money the
fake moved."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest

from deskpilot.actions import ActionRefused, RefundNeedsConfirmation, RefundOutcomeUnknown
from deskpilot.actions import refunds as actions
from deskpilot.connectors.errors import ConnectorError
from deskpilot.desk import Desk
from deskpilot.models import ActionRecord, Author
from deskpilot.testing import RecordedServer
from deskpilot.testing.pytest_plugin import http_server
from deskpilot.workspace import Workspace
from fake_stripe import FakeStripe

__all__ = ["http_server"]  # the fixture, imported as the connector tests do

# Failed look-ups per look-up the desk makes: the client retries a 503 once (max_retries = 1).
FAILED_LOOKUP = 2
INVOICE = "in_1QfakeTeamNov"
OTHER = "in_1QfakeTeamOct"


@pytest.fixture
def stripe(http_server: RecordedServer) -> FakeStripe:
    fake = FakeStripe(http_server)
    fake.paid_invoice(INVOICE, 374.00)
    fake.paid_invoice(OTHER, 343.00)
    return fake


@pytest.fixture
def desk(
    demo_desk: Desk, http_server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    """The demo workspace with Stripe (the fake) as its billing connector: a client timeout
    shorter than the fake's late answer, one retry of a 5xx (which Stripe replays for the key)."""
    monkeypatch.setenv("DESKPILOT_CONNECTORS__STRIPE__API_KEY", "sk_test_fake_stripe")
    toml = (
        f'[connectors.stripe]\nbase_url = "{http_server.url}"\n'
        "timeout_seconds = 0.5\nmax_retries = 1\nbackoff_seconds = 0.0\n"
    )
    with demo_desk.workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write("\n" + toml)
    with Desk.open(Workspace.existing(demo_desk.workspace.root)) as opened:
        opened.clock = demo_desk.clock
        yield opened


def tickets(desk: Desk, count: int = 2) -> list[str]:
    return [summary.id for summary in desk.page(desk.view("open"), 0, count)]


def refund_records(desk: Desk) -> list[ActionRecord]:
    return desk.store.list_actions(action="refund")


def trail_moved(desk: Desk) -> float:
    """The audit trail's refunded total, read from the records as an auditor would."""
    return round(sum(float(r.params.get("moved", 0)) for r in refund_records(desk) if r.ok), 2)


def as_agent(desk: Desk, agent: str) -> Desk:
    """The same desk, now worked by ``agent`` (as another agent's desk on the same store)."""
    named = desk.settings.agent.model_copy(update={"name": agent})
    desk.settings = desk.settings.model_copy(update={"agent": named})
    return desk


def limits(desk: Desk, **changes: object) -> None:
    updated = desk.settings.actions.model_copy(update=changes)
    desk.settings = desk.settings.model_copy(update={"actions": updated})


def refund_notes(desk: Desk, ticket_id: str) -> list[str]:
    messages = desk.ticket(ticket_id).messages
    return [m.body for m in messages if m.author is Author.NOTE and m.body.startswith("Refunded")]


# --- a lost answer is looked up before anything is reported ------------------------------------


@pytest.mark.parametrize("fault", ["500", "timeout", "drop"])
async def test_a_refund_whose_answer_is_lost_is_found_and_recorded_once(
    desk: Desk, stripe: FakeStripe, fault: str
) -> None:
    [ticket_id] = tickets(desk, 1)
    stripe.fail_next(fault)  # type: ignore[arg-type]
    result = await desk.refund(ticket_id, INVOICE, 50.0, "Charged twice")
    await desk.aclose_connectors()
    assert stripe.moved == 50.0 and result.amount == 50.0
    assert result.refund_id == stripe.refunds[0]["id"]
    [record] = refund_records(desk)
    assert record.ok and record.params["outcome"] == "moved" and record.params["recovered"]
    assert trail_moved(desk) == stripe.moved
    assert desk.refunded_today() == 50.0  # the daily limit counts it
    assert len(refund_notes(desk, ticket_id)) == 1
    looked_up = stripe.server.received("GET", "/v1/refunds")
    assert (
        looked_up
        and looked_up[0].query["payment_intent"] == stripe.payments[INVOICE].payment_intent
    )


async def test_a_500_that_moved_nothing_is_a_failure_and_the_next_try_gets_a_new_key(
    desk: Desk, stripe: FakeStripe
) -> None:
    [ticket_id] = tickets(desk, 1)
    stripe.fail_next("500-before")
    with pytest.raises(ActionRefused, match="nothing was refunded"):
        await desk.refund(ticket_id, INVOICE, 50.0, "Charged twice")
    assert stripe.moved == 0 == trail_moved(desk)
    [failed] = refund_records(desk)
    assert not failed.ok and failed.params["outcome"] == "failed"
    # Stripe saved that 500 for the key: the same key would replay it forever.
    result = await desk.refund(ticket_id, INVOICE, 50.0, "Charged twice")
    await desk.aclose_connectors()
    keys = [r.headers["idempotency-key"] for r in stripe.created()]
    assert keys[0] == keys[1] != keys[2]  # the client's retry of the 500, then a new attempt
    assert result.amount == 50.0 and stripe.moved == 50.0 == trail_moved(desk)


async def test_when_the_lookup_fails_too_the_outcome_is_unknown_and_counted(
    desk: Desk, stripe: FakeStripe
) -> None:
    first, second = tickets(desk, 2)
    limits(desk, daily_refund_limit=100.0)
    stripe.fail_next("drop")
    stripe.lookups_fail = FAILED_LOOKUP
    with pytest.raises(RefundOutcomeUnknown, match="could not be looked up"):
        await desk.refund(first, INVOICE, 60.0, "Outage credit")
    [unknown] = refund_records(desk)
    assert not unknown.ok and unknown.params["outcome"] == "unknown"
    assert desk.refunded_today() == 60.0  # it may have moved: the limit counts it
    as_agent(desk, "bo")
    with pytest.raises(ActionRefused, match=r"refunded USD 60\.00 today"):
        await desk.refund(second, OTHER, 50.0, "Outage credit")
    # The next refund of the invoice looks the lost one up first and records what moved.
    as_agent(desk, "ada")
    with pytest.raises(RefundNeedsConfirmation, match=stripe.refunds[0]["id"]):
        await desk.refund(first, INVOICE, 30.0, "Outage credit")
    await desk.aclose_connectors()
    assert len(stripe.created()) == 1 and stripe.moved == 60.0 == trail_moved(desk)
    assert desk.refunded_today() == 60.0


# --- the key is the intent, not the amount ----------------------------------------------------


async def test_a_retry_for_a_slightly_different_amount_sends_the_same_key(
    desk: Desk, stripe: FakeStripe
) -> None:
    [ticket_id] = tickets(desk, 1)
    stripe.fail_next("drop")
    stripe.lookups_fail = 2 * FAILED_LOOKUP  # the look-up after the drop, and before the retry
    with pytest.raises(RefundOutcomeUnknown):
        await desk.refund(ticket_id, INVOICE, 50.00, "Charged twice")
    # The agent tries 49.99: the same intent, so the same key; Stripe refuses other
    # parameters for it, and the look-up (working again) finds the first refund.
    result = await desk.refund(ticket_id, INVOICE, 49.99, "Charged twice")
    await desk.aclose_connectors()
    sent = stripe.created()
    assert len({r.headers["idempotency-key"] for r in sent}) == 1 and len(sent) == 2
    assert result.refund_id == stripe.refunds[0]["id"] and result.amount == 50.0
    assert stripe.moved == 50.0 == trail_moved(desk)
    assert len(refund_notes(desk, ticket_id)) == 1


async def test_a_replayed_success_is_recorded_as_the_same_refund(
    desk: Desk, stripe: FakeStripe
) -> None:
    [ticket_id] = tickets(desk, 1)
    stripe.fail_next("drop")
    stripe.lookups_fail = 2 * FAILED_LOOKUP
    with pytest.raises(RefundOutcomeUnknown):
        await desk.refund(ticket_id, INVOICE, 50.0, "Charged twice")
    replayed = await desk.refund(ticket_id, INVOICE, 50.0, "Charged twice")
    assert replayed.replayed and replayed.refund_id == stripe.refunds[0]["id"]
    # Two presses at once: one key, one refund; the slower answer is the replay.
    other = tickets(desk, 2)[1]
    both = await asyncio.gather(
        desk.refund(other, OTHER, 20.0, "Goodwill"),
        desk.refund(other, OTHER, 20.0, "Goodwill"),
    )
    await desk.aclose_connectors()
    assert both[0].refund_id == both[1].refund_id
    outcomes = sorted(r.params["outcome"] for r in refund_records(desk))
    assert outcomes == ["moved", "moved", "replayed", "unknown"]
    assert stripe.moved == 70.0 == trail_moved(desk)
    assert desk.refunded_total() == 70.0


# --- a second refund of an invoice asks first; limits count what the agent refunded -----------


async def test_a_second_refund_within_a_day_names_the_first_and_needs_confirmation(
    desk: Desk, stripe: FakeStripe
) -> None:
    first_ticket, second_ticket = tickets(desk, 2)
    first = await desk.refund(first_ticket, INVOICE, 30.0, "Charged twice")
    as_agent(desk, "bo")
    with pytest.raises(RefundNeedsConfirmation) as asked:
        await desk.refund(second_ticket, INVOICE, 30.0, "Charged twice")
    said = str(asked.value)
    assert first.refund_id in said and "USD 30.00" in said and "ada" in said
    assert asked.value.earlier.reference == first.refund_id
    with pytest.raises(RefundNeedsConfirmation):
        await desk.refund(second_ticket, INVOICE, 30.0, "x", confirm_after="re_other")
    second = await desk.refund(
        second_ticket, INVOICE, 30.0, "Charged twice", confirm_after=first.refund_id
    )
    assert second.refund_id != first.refund_id
    now = desk.clock()
    desk.clock = lambda: now + timedelta(days=1, minutes=1)
    as_agent(desk, "cy")
    third = await desk.refund(second_ticket, INVOICE, 10.0, "A day later: no question")
    await desk.aclose_connectors()
    assert third.refund_id not in (first.refund_id, second.refund_id)
    assert stripe.moved == 70.0 == trail_moved(desk)
    confirmed = [r for r in refund_records(desk) if r.params.get("confirmed_after")]
    assert [r.params["confirmed_after"] for r in confirmed] == [first.refund_id]


async def test_split_refunds_cannot_pass_the_agents_limit(desk: Desk, stripe: FakeStripe) -> None:
    first_ticket, second_ticket = tickets(desk, 2)
    limits(desk, refund_limit=200.0)
    await desk.refund(first_ticket, INVOICE, 150.0, "Downgrade credit")
    with pytest.raises(ActionRefused, match=r"refunded USD 150.00 on invoice .*above your limit"):
        await desk.refund(first_ticket, INVOICE, 100.0, "Downgrade credit")
    with pytest.raises(ActionRefused, match=r"on invoice .*above your limit"):
        await desk.refund(second_ticket, INVOICE, 100.0, "Same invoice, other ticket")
    with pytest.raises(ActionRefused, match=r"on ticket .*above your limit"):
        await desk.refund(first_ticket, OTHER, 100.0, "Same ticket, other invoice")
    refused = [r for r in refund_records(desk) if r.params["outcome"] == "refused"]
    assert len(refused) == 3 and not any(r.ok for r in refused)
    assert all(r.params["moved"] == 0 and "key" not in r.params for r in refused)
    # A lead (a higher limit of their own) may add to it, after confirming.
    limits(desk, agent_refund_limits={"lee": 500.0})
    as_agent(desk, "lee")
    earlier = desk.earlier_refunds(INVOICE)[-1]
    await desk.refund(
        first_ticket, INVOICE, 100.0, "Approved by lead", confirm_after=earlier.reference
    )
    await desk.aclose_connectors()
    assert len(stripe.created()) == 2 and stripe.moved == 250.0 == trail_moved(desk)


async def test_stripe_refuses_more_than_was_paid_and_nothing_is_counted(
    desk: Desk, stripe: FakeStripe
) -> None:
    [ticket_id] = tickets(desk, 1)
    limits(desk, refund_limit=1000.0)
    with pytest.raises(ConnectorError, match="greater than unrefunded amount"):
        await desk.refund(ticket_id, INVOICE, 400.0, "Too much")
    await desk.aclose_connectors()
    [record] = refund_records(desk)
    assert not record.ok and record.params["outcome"] == "failed"
    assert stripe.moved == 0 == trail_moved(desk) == desk.refunded_today()


async def test_a_refund_asked_before_a_crash_is_looked_up_before_the_next_one(
    desk: Desk, stripe: FakeStripe
) -> None:
    """The desk wrote ``refund.requested`` and Stripe made the refund, but the desk never
    recorded the outcome (it stopped). Minutes later, the next refund of the invoice finds it."""
    [ticket_id] = tickets(desk, 1)
    params = {"invoice": INVOICE, "amount": 40.0, "reason": "Charged twice", "key": "k-crash"}
    desk.audit("refund.requested", ticket_id, params)
    await desk.connectors.billing().refund(INVOICE, 40.0, "Charged twice", "k-crash")
    assert trail_moved(desk) == 0 and stripe.moved == 40.0
    now = desk.clock()
    desk.clock = lambda: now + actions.IN_FLIGHT + timedelta(seconds=1)
    with pytest.raises(RefundNeedsConfirmation, match=stripe.refunds[0]["id"]):
        await desk.refund(ticket_id, INVOICE, 40.0, "Charged twice")
    await desk.aclose_connectors()
    [found] = refund_records(desk)
    assert found.params["recovered"] and found.params["key"] == "k-crash"
    assert len(stripe.created()) == 1 and stripe.moved == 40.0 == trail_moved(desk)
    assert len(refund_notes(desk, ticket_id)) == 1
