"""Stripe against a local server replaying Stripe's documented responses."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
from pydantic import SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.builtin.stripe import API_VERSION, StripeConfig, StripeConnector
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorError,
    RemoteApiError,
)
from deskpilot.testing import (
    BillingContract,
    ContractSamples,
    IdempotentEndpoint,
    ReceivedRequest,
    RecordedResponse,
    RecordedServer,
    run,
)
from fake_stripe import FakeStripe, Payment, stripe_examples

from .conftest import RECORDED, assert_secret_kept

API_KEY = "sk_test_51Mz-not-a-real-key-but-secret"
CUSTOMER = "cus_NffrFeUfNV2Hib"
INVOICE = "in_1MtHbELkdIwHu7ixl4OzzPMv"
REFUNDS = json.loads((RECORDED / "stripe" / "refunds.json").read_text(encoding="utf-8"))


def make_connector(server: RecordedServer, **settings: Any) -> StripeConnector:
    values = {"backoff_seconds": 0.0, **settings}
    config = StripeConfig(base_url=server.url, api_key=SecretStr(API_KEY), **values)
    return StripeConnector(config, ConnectorContext(name="stripe"))


def refund_answer(request: ReceivedRequest) -> RecordedResponse:
    """Stripe's refund object for the amount asked."""
    form = dict(parse_qsl(request.body.decode()))
    return RecordedResponse(200, {**REFUNDS["refund"], "amount": int(form["amount"])})


def refunds_endpoint() -> IdempotentEndpoint:
    conflict = RecordedResponse(400, REFUNDS["idempotency_conflict"])
    return IdempotentEndpoint(refund_answer, conflict)


def first_then(
    answers: list[RecordedResponse], then: Callable[[ReceivedRequest], RecordedResponse]
) -> Callable[[ReceivedRequest], RecordedResponse]:
    """Answer the first requests with ``answers``, the rest with ``then``."""
    queue = list(answers)

    def respond(request: ReceivedRequest) -> RecordedResponse:
        return queue.pop(0) if queue else then(request)

    return respond


@pytest.fixture
def stripe(http_server: RecordedServer) -> RecordedServer:
    http_server.load(RECORDED / "stripe" / "api.json")
    return http_server


class TestStripeContract(BillingContract):
    @pytest.fixture
    def connector(self, stripe: RecordedServer) -> StripeConnector:
        # Refunds of the recorded invoice's payment, made and listed as Stripe does.
        fake = FakeStripe(stripe)
        fake.payments[INVOICE] = Payment(INVOICE, "pi_3MtHbELkdIwHu7ix0snN0B15", "ch_3M", 37400)
        stripe.respond("GET", f"/v1/customers/{CUSTOMER}", json=CUSTOMER_ROW)
        stripe.handle("POST", f"/v1/customers/{CUSTOMER}", updates(updated_customer))
        stripe.handle("POST", f"/v1/subscription_items/{ITEM}", updates(updated_item))
        ends = 1796112000  # the recorded subscription's current_period_end
        stripe.handle(
            "POST",
            f"/v1/subscriptions/{SUBSCRIPTION}",
            updates(
                subscription_answer(status="active", cancel_at_period_end=True, cancel_at=ends)
            ),
        )
        return make_connector(stripe)

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(customer_id=CUSTOMER, invoice_id=INVOICE, refund_amount=10.0)


def test_invoices_follow_has_more_and_fetch_the_remaining_lines(stripe: RecordedServer) -> None:
    invoices = run(make_connector(stripe), lambda c: c.invoices(CUSTOMER, limit=12))
    assert [i.number for i in invoices] == ["F2A1C3D4-0012", "F2A1C3D4-0011", "F2A1C3D4-0010"]
    pages = stripe.received("GET", "/v1/invoices")
    assert [p.query.get("starting_after") for p in pages] == [None, "in_1M9xOctLkdIwHu7ixOct2026"]
    newest = invoices[0]
    assert (newest.issued, newest.status, newest.currency) == (date(2026, 11, 1), "paid", "USD")
    # Stripe's line amount is the whole line's (7 seats, 343.00); DeskPilot's is the unit price.
    assert [(line.amount, line.quantity, line.proration) for line in newest.lines] == [
        (49.0, 7, False),
        (31.0, 1, True),
    ]
    assert newest.total == 374.0  # Stripe's amount_paid, 37400; never 343 x 7 + 31 = 2,432
    assert invoices[2].status == "failed"  # Stripe's "uncollectible"


def test_stops_paging_once_it_has_enough(stripe: RecordedServer) -> None:
    invoices = run(make_connector(stripe), lambda c: c.invoices(CUSTOMER, limit=2))
    assert len(invoices) == 2 and len(stripe.received("GET", "/v1/invoices")) == 1
    assert stripe.received("GET", "/v1/invoices")[0].query["limit"] == "2"


def test_the_live_subscription_wins_over_a_canceled_one(stripe: RecordedServer) -> None:
    subscription = run(make_connector(stripe), lambda c: c.subscription(CUSTOMER))
    assert subscription is not None
    assert (subscription.plan_id, subscription.status, subscription.seats) == (
        "price_1MoBy5LkdIwHu7ixZhnattbh",
        "active",
        7,
    )
    assert (subscription.cycle_start, subscription.cycle_end) == (
        date(2026, 11, 1),
        date(2026, 12, 1),
    )


def test_a_customer_may_be_given_by_email(stripe: RecordedServer) -> None:
    # Stripe's email filter is case-sensitive: the address as given first, then lower-cased.
    nobody = {"object": "list", "url": "/v1/customers", "has_more": False, "data": []}
    given = {"email": "Ann@Example.com", "limit": "1"}
    stripe.respond("GET", "/v1/customers", query=given, json=nobody)
    subscription = run(make_connector(stripe), lambda c: c.subscription("Ann@Example.com"))
    assert subscription is not None and subscription.customer_id == "Ann@Example.com"
    lookups = stripe.received("GET", "/v1/customers")
    assert [r.query["email"] for r in lookups] == ["Ann@Example.com", "ann@example.com"]
    nobody = run(make_connector(stripe), lambda c: c.invoices("nobody.contract@example.invalid"))
    assert nobody == []


def test_prices_become_monthly_plans_across_pages(stripe: RecordedServer) -> None:
    plans = run(make_connector(stripe), lambda c: c.plans())
    assert [(p.name, p.monthly_price, p.seats_included) for p in plans] == [
        ("Team", 49.0, 5),
        ("Pro", 99.0, 10),  # $1,188 a year
        ("Starter", 19.0, 1),
    ]
    first = stripe.received("GET", "/v1/prices")[0]
    assert first.query["expand[]"] == "data.product" and first.query["type"] == "recurring"


def test_a_refund_is_form_encoded_with_the_idempotency_key(stripe: RecordedServer) -> None:
    stripe.handle("POST", "/v1/refunds", refunds_endpoint())
    result = run(
        make_connector(stripe), lambda c: c.refund(INVOICE, 12.5, "Charged twice", "T-9-key")
    )
    assert (result.refund_id, result.amount, result.currency, result.status) == (
        "re_3MtHbELkdIwHu7ix1yTpWl3q",
        12.5,
        "USD",
        "succeeded",
    )
    assert not result.replayed
    [sent] = stripe.received("POST", "/v1/refunds")
    assert sent.headers["idempotency-key"] == "T-9-key"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(sent.body.decode())) == {
        "payment_intent": "pi_3MtHbELkdIwHu7ix0snN0B15",
        "amount": "1250",
        "reason": "requested_by_customer",
        "metadata[invoice]": INVOICE,
        "metadata[deskpilot_reason]": "Charged twice",
        "metadata[deskpilot_refund_key]": "T-9-key",  # how a lost answer is found again
    }


def test_a_refund_retried_after_a_429_sends_the_same_key_and_refunds_once(
    stripe: RecordedServer,
) -> None:
    endpoint = refunds_endpoint()
    busy = RecordedResponse(429, REFUNDS["rate_limited"], headers={"Retry-After": "0"})
    stripe.handle("POST", "/v1/refunds", first_then([busy], endpoint))
    connector = make_connector(stripe)
    first = run(connector, lambda c: c.refund(INVOICE, 10.0, "Outage", "key-429"))
    again = run(connector, lambda c: c.refund(INVOICE, 10.0, "Outage", "key-429"))
    sent = stripe.received("POST", "/v1/refunds")
    assert len(sent) == 3, "the 429, its retry, and the agent's second try"
    assert {r.headers["idempotency-key"] for r in sent} == {"key-429"}
    assert len({r.body for r in sent}) == 1, "a retry sends the very same request"
    assert again.refund_id == first.refund_id and again.replayed and not first.replayed


def test_a_refund_is_retried_after_a_5xx_because_the_key_makes_it_safe(
    stripe: RecordedServer,
) -> None:
    failed = RecordedResponse(502, {"error": {"message": "Bad gateway", "type": "api_error"}})
    stripe.handle("POST", "/v1/refunds", first_then([failed], refunds_endpoint()))
    result = run(make_connector(stripe), lambda c: c.refund(INVOICE, 5.0, "x", "key-502"))
    assert result.amount == 5.0
    sent = stripe.received("POST", "/v1/refunds")
    assert [r.headers["idempotency-key"] for r in sent] == ["key-502", "key-502"]


def test_a_key_reused_for_another_amount_is_refused_by_stripe(stripe: RecordedServer) -> None:
    stripe.handle("POST", "/v1/refunds", refunds_endpoint())

    async def twice(c: StripeConnector) -> None:
        await c.refund(INVOICE, 10.0, "x", "key-reused")
        await c.refund(INVOICE, 20.0, "x", "key-reused")

    with pytest.raises(RemoteApiError, match="key-reused was already used for a different refund"):
        run(make_connector(stripe), twice)


def test_refunding_what_cannot_be_refunded_says_why(stripe: RecordedServer) -> None:
    with pytest.raises(RemoteApiError, match="Stripe has no invoice in_missing"):
        run(make_connector(stripe), lambda c: c.refund("in_missing", 1.0, "x", "k1"))
    with pytest.raises(ConnectorError, match="is uncollectible, not paid"):
        run(make_connector(stripe), lambda c: c.refund("in_1M8xSepLkdIwHu7ixSep2026", 1, "", "k2"))
    assert stripe.received("POST", "/v1/refunds") == []


def test_stripes_own_error_message_reaches_the_agent(stripe: RecordedServer) -> None:
    stripe.respond(
        "GET",
        "/v1/invoices",
        query={"customer": "cus_bad"},
        status=400,
        json={"error": {"message": "No such customer: 'cus_bad'", "type": "invalid_request_error"}},
    )
    with pytest.raises(RemoteApiError, match=r"No such customer: 'cus_bad' \[invalid_request_e"):
        run(make_connector(stripe), lambda c: c.invoices("cus_bad"))


def test_a_refused_key_names_the_variable_and_never_the_key(
    http_server: RecordedServer, every_log: pytest.LogCaptureFixture
) -> None:
    http_server.respond(
        "GET",
        "/v1/customers",
        status=401,
        json={
            "error": {
                "message": f"Invalid API Key provided: {API_KEY}",
                "type": "invalid_request_error",
            }
        },
    )
    with pytest.raises(ConnectorAuthError) as raised:
        run(make_connector(http_server), lambda c: c.check())
    assert "DESKPILOT_CONNECTORS__STRIPE__API_KEY" in str(raised.value)
    assert_secret_kept(API_KEY, raised.value, every_log)
    assert http_server.received()[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_check_says_which_mode_the_key_is_in(stripe: RecordedServer) -> None:
    said = run(make_connector(stripe, api_version="2024-06-20"), lambda c: c.check())
    assert said == f"Stripe at {stripe.url} accepts the API key (test mode)"
    assert stripe.received()[0].headers["stripe-version"] == "2024-06-20"


def test_config_needs_a_key_and_defaults_to_stripes_address() -> None:
    with pytest.raises(ValidationError, match="api_key"):
        StripeConfig.model_validate({})
    assert StripeConfig(api_key=SecretStr("k")).base_url == "https://api.stripe.com"
    with pytest.raises(ValidationError, match="page_size"):
        StripeConfig(api_key=SecretStr("k"), page_size=500)


# --- account settings: the customer's email, the subscription item's price and quantity ------

ITEM = "si_NcLYdDxLHxlFo7"
PRO = "price_1MoBzLLkdIwHu7ixR4Jv1bYg"
CUSTOMER_ROW = {
    "id": CUSTOMER,
    "object": "customer",
    "email": "ann@example.com",
    "name": "Ann Lee",
    "created": 1740909600,
    "livemode": False,
}


def updated_customer(request: ReceivedRequest) -> RecordedResponse:
    form = dict(parse_qsl(request.body.decode()))
    return RecordedResponse(200, {**CUSTOMER_ROW, "email": form["email"]})


def updated_item(request: ReceivedRequest) -> RecordedResponse:
    """Stripe's subscription item after the update: the price and quantity asked for."""
    form = dict(parse_qsl(request.body.decode()))
    price = {"id": form.get("price", "price_1MoBy5LkdIwHu7ixZhnattbh"), "object": "price"}
    item = {
        "id": ITEM,
        "object": "subscription_item",
        "subscription": "sub_1MowQVLkdIwHu7ixeRlqHVzs",
        "quantity": int(form.get("quantity", 7)),
        "price": price,
    }
    return RecordedResponse(200, item)


def updates(answer: Callable[[ReceivedRequest], RecordedResponse]) -> IdempotentEndpoint:
    conflict = RecordedResponse(400, REFUNDS["idempotency_conflict"])
    return IdempotentEndpoint(answer, conflict)


def test_the_billing_email_is_the_customers_email_and_changed_once_per_key(
    stripe: RecordedServer,
) -> None:
    stripe.respond("GET", f"/v1/customers/{CUSTOMER}", json=CUSTOMER_ROW)
    stripe.handle("POST", f"/v1/customers/{CUSTOMER}", updates(updated_customer))
    connector = make_connector(stripe)
    assert run(connector, lambda c: c.billing_email(CUSTOMER)) == "ann@example.com"
    changed = run(
        connector, lambda c: c.change_billing_email(CUSTOMER, "Billing@Lee.example", "k1")
    )
    again = run(connector, lambda c: c.change_billing_email(CUSTOMER, "Billing@Lee.example", "k1"))
    assert (changed.old_value, changed.new_value, changed.replayed) == (
        "ann@example.com",
        "billing@lee.example",
        False,
    )
    assert again.replayed and again.new_value == changed.new_value
    sent = stripe.received("POST", f"/v1/customers/{CUSTOMER}")
    assert [dict(parse_qsl(r.body.decode())) for r in sent] == [
        {"email": "billing@lee.example"}
    ] * 2
    assert {r.headers["idempotency-key"] for r in sent} == {"k1"}


def test_seats_are_the_subscription_items_quantity_prorated(stripe: RecordedServer) -> None:
    stripe.handle("POST", f"/v1/subscription_items/{ITEM}", updates(updated_item))
    changed = run(make_connector(stripe), lambda c: c.change_seats(CUSTOMER, 9, "seats-9"))
    assert (changed.setting, changed.old_value, changed.new_value, changed.reference) == (
        "seats",
        "7",
        "9",
        ITEM,
    )
    [sent] = stripe.received("POST", f"/v1/subscription_items/{ITEM}")
    assert dict(parse_qsl(sent.body.decode())) == {
        "quantity": "9",
        "proration_behavior": "create_prorations",
    }
    assert sent.headers["idempotency-key"] == "seats-9"


def test_a_plan_change_sets_the_items_price_and_survives_a_429(stripe: RecordedServer) -> None:
    busy = RecordedResponse(429, REFUNDS["rate_limited"], headers={"Retry-After": "0"})
    stripe.handle(
        "POST", f"/v1/subscription_items/{ITEM}", first_then([busy], updates(updated_item))
    )
    connector = make_connector(stripe, proration_behavior="always_invoice")
    changed = run(connector, lambda c: c.change_plan(CUSTOMER, PRO, "plan-pro"))
    assert (changed.old_value, changed.new_value) == ("price_1MoBy5LkdIwHu7ixZhnattbh", PRO)
    sent = stripe.received("POST", f"/v1/subscription_items/{ITEM}")
    assert len(sent) == 2 and len({(r.body, r.headers["idempotency-key"]) for r in sent}) == 1
    assert dict(parse_qsl(sent[0].body.decode())) == {
        "price": PRO,
        "proration_behavior": "always_invoice",
    }


def test_a_change_stripe_refuses_says_why_and_a_key_is_never_reused(
    stripe: RecordedServer,
) -> None:
    stripe.respond(
        "POST",
        f"/v1/subscription_items/{ITEM}",
        status=400,
        json={
            "error": {
                "code": "resource_missing",
                "message": "No such price: 'price_gone'",
                "param": "price",
                "type": "invalid_request_error",
            }
        },
    )
    with pytest.raises(RemoteApiError, match=r"No such price: 'price_gone' \[resource_missing\]"):
        run(make_connector(stripe), lambda c: c.change_plan(CUSTOMER, "price_gone", "k-gone"))
    stripe.handle("POST", f"/v1/customers/{CUSTOMER}", updates(updated_customer))
    stripe.respond("GET", f"/v1/customers/{CUSTOMER}", json=CUSTOMER_ROW)

    async def twice(c: StripeConnector) -> None:
        await c.change_billing_email(CUSTOMER, "a@lee.example", "k-reused")
        await c.change_billing_email(CUSTOMER, "b@lee.example", "k-reused")

    with pytest.raises(RemoteApiError, match="already used for a different change"):
        run(make_connector(stripe), twice)


def test_no_live_subscription_means_nothing_to_change(stripe: RecordedServer) -> None:
    with pytest.raises(ConnectorError, match="no live subscription"):
        run(
            make_connector(stripe),
            lambda c: c.change_seats("nobody.contract@example.invalid", 2, "k"),
        )
    assert stripe.received("POST") == []


# --- current API shapes (2025-03-31 and later), built from Stripe's own example objects -------

EXAMPLES = stripe_examples()  # ../shared/specs/stripe/fixtures3.json
NOV_1, DEC_1 = 1793520000, 1796112000  # 2026-11-01 and 2026-12-01, 00:00 UTC


def current_subscription() -> dict[str, Any]:
    """Stripe's example subscription: its billing period lives on its items."""
    subscription = copy.deepcopy(EXAMPLES["subscription"])
    assert "current_period_start" not in subscription  # the current shape, not the old one
    item = subscription["items"]["data"][0]
    item |= {"quantity": 7, "current_period_start": NOV_1, "current_period_end": DEC_1}
    subscription |= {"customer": CUSTOMER, "status": "active", "created": NOV_1}
    return subscription


def current_line(line_id: str, amount: int, quantity: int, *, proration: bool) -> dict[str, Any]:
    """Stripe's example invoice line: proration under ``parent``, the price under ``pricing``."""
    line = copy.deepcopy(EXAMPLES["line_item"])
    assert "price" not in line and "proration" not in line
    details = line["parent"]["subscription_item_details"]
    details["proration"] = proration
    line["parent"] = {"type": "subscription_item_details", "subscription_item_details": details}
    line["pricing"] = {
        "type": "price_details",
        "price_details": {"price": "price_1PgafmB7WZ01zgkW6dKueIc5", "product": "prod_Q"},
        "unit_amount_decimal": str(amount // quantity),
    }
    line |= {"id": line_id, "amount": amount, "quantity": quantity, "description": line_id}
    line["period"] = {"start": NOV_1, "end": DEC_1}
    return line


def test_a_current_subscription_reads_its_period_from_its_items(
    http_server: RecordedServer,
) -> None:
    page = {"object": "list", "has_more": False, "data": [current_subscription()]}
    http_server.respond("GET", "/v1/subscriptions", json=page)
    subscription = run(make_connector(http_server), lambda c: c.subscription(CUSTOMER))
    assert subscription is not None
    assert (subscription.cycle_start, subscription.cycle_end) == (
        date(2026, 11, 1),
        date(2026, 12, 1),
    )
    assert (subscription.plan_id, subscription.seats) == ("price_1PgafmB7WZ01zgkW6dKueIc5", 7)


def test_a_current_invoice_totals_what_stripe_charged(http_server: RecordedServer) -> None:
    invoice = copy.deepcopy(EXAMPLES["invoice"])
    assert "payment_intent" not in invoice and "charge" not in invoice  # invoice payments now
    lines = [
        current_line("seats", 34300, 7, proration=False),
        current_line("remaining time", 3100, 1, proration=True),
        current_line("tiered usage", 1000, 3, proration=False),  # 10.00 for 3: not per unit
    ]
    invoice["lines"] |= {"data": lines, "has_more": False}
    invoice |= {"id": INVOICE, "status": "paid", "amount_paid": 38400, "created": NOV_1}
    http_server.respond("GET", f"/v1/invoices/{INVOICE}", json=invoice)
    found = run(make_connector(http_server), lambda c: c.invoice(INVOICE))
    assert found is not None
    assert [(line.amount, line.quantity, line.proration) for line in found.lines] == [
        (49.0, 7, False),
        (31.0, 1, True),
        (10.0, 1, False),
    ]
    assert found.total == 384.0 == invoice["amount_paid"] / 100


def test_a_refund_of_a_current_invoice_is_made_on_its_payment_and_found_by_its_key(
    http_server: RecordedServer,
) -> None:
    fake = FakeStripe(http_server)
    fake.paid_invoice("in_current", 100.0)
    connector = make_connector(http_server, page_size=2)

    async def three_then_look_up(c: StripeConnector) -> tuple[Any, Any]:
        for number in (1, 2, 3):
            await c.refund("in_current", 10.0, "Goodwill", f"key-{number}")
        return await c.find_refund("in_current", "key-1"), await c.find_refund("in_current", "k")

    first, nobody = run(connector, three_then_look_up)
    assert first is not None and nobody is None
    assert (first.refund_id, first.amount, first.reason) == (
        fake.refunds[0]["id"],
        10.0,
        "Goodwill",
    )
    payment = fake.payments["in_current"].payment_intent
    [lookup] = http_server.received("GET", "/v1/invoice_payments")[:1]
    assert lookup.query == {"invoice": "in_current", "status": "paid", "limit": "1"}
    assert {dict(parse_qsl(r.body.decode()))["payment_intent"] for r in fake.created()} == {payment}
    pages = [r.query for r in http_server.received("GET", "/v1/refunds")]
    assert pages[0] == {"payment_intent": payment, "limit": "2"}  # newest first: key-1 is later
    assert pages[1]["starting_after"] == fake.refunds[1]["id"]


def test_what_is_sent_is_what_stripes_typed_params_allow(http_server: RecordedServer) -> None:
    """Field names of the refund and its look-up, checked against the ``stripe`` package's
    parameter classes (generated from Stripe's OpenAPI spec)."""
    create = pytest.importorskip("stripe.params._refund_create_params").RefundCreateParams
    listing = pytest.importorskip("stripe.params._refund_list_params").RefundListParams
    fake = FakeStripe(http_server)
    fake.paid_invoice("in_typed", 50.0)
    connector = make_connector(http_server)

    async def refund_and_find(c: StripeConnector) -> None:
        await c.refund("in_typed", 5.0, "Typed", "key-typed")
        await c.find_refund("in_typed", "key-typed")

    run(connector, refund_and_find)
    [sent] = fake.created()
    fields = {name.split("[")[0] for name in dict(parse_qsl(sent.body.decode()))}
    assert fields <= set(create.__annotations__), fields - set(create.__annotations__)
    for lookup in http_server.received("GET", "/v1/refunds"):
        assert set(lookup.query) <= set(listing.__annotations__)


def test_every_request_names_the_pinned_api_version(stripe: RecordedServer) -> None:
    run(make_connector(stripe), lambda c: c.invoices(CUSTOMER))
    assert API_VERSION == "2026-10-28.endive"
    assert {r.headers["stripe-version"] for r in stripe.received()} == {API_VERSION}


def test_a_customer_stored_with_capitals_is_found_as_written(http_server: RecordedServer) -> None:
    page = {"object": "list", "has_more": False, "data": [CUSTOMER_ROW]}
    http_server.respond("GET", "/v1/customers", query={"email": "Ann.Lee@Example.com"}, json=page)
    http_server.respond("GET", f"/v1/customers/{CUSTOMER}", json=CUSTOMER_ROW)
    found = run(make_connector(http_server), lambda c: c.billing_email("Ann.Lee@Example.com"))
    assert found == "ann@example.com"
    assert [r.query.get("email") for r in http_server.received("GET", "/v1/customers")] == [
        "Ann.Lee@Example.com"
    ]


def test_check_names_a_read_permission_a_restricted_key_lacks(stripe: RecordedServer) -> None:
    denied = {
        "error": {
            "message": "The provided key 'rk_test_***' does not have the required permissions "
            "for this endpoint. Having the 'rak_refund_read' permission would allow this.",
            "type": "invalid_request_error",
        }
    }
    stripe.routes = [r for r in stripe.routes if r.path != "/v1/refunds"]
    stripe.respond("GET", "/v1/refunds", status=403, json=denied)
    with pytest.raises(ConnectorAuthError) as raised:
        run(make_connector(stripe), lambda c: c.check())
    said = str(raised.value)
    assert said.startswith("Stripe accepts the key, but it may not read Refunds")
    assert "rak_refund_read" in said and API_KEY not in said
    probed = [r.path for r in stripe.received("GET")]
    reads = ["/v1/invoices", "/v1/subscriptions", "/v1/prices", "/v1/refunds"]
    assert probed == ["/v1/customers", *reads]  # a working key first, then each read


SUBSCRIPTION = "sub_1MowQVLkdIwHu7ixeRlqHVzs"


def subscription_answer(**changes: Any) -> Callable[[ReceivedRequest], RecordedResponse]:
    """Stripe's subscription object after the cancellation asked for."""

    def answer(_request: ReceivedRequest) -> RecordedResponse:
        row = {"id": SUBSCRIPTION, "object": "subscription", "currency": "usd", **changes}
        return RecordedResponse(200, row)

    return answer


def test_cancel_at_period_end_sets_the_flag_once_per_key(stripe: RecordedServer) -> None:
    ends = 1796112000  # the recorded subscription's current_period_end
    stripe.handle(
        "POST",
        f"/v1/subscriptions/{SUBSCRIPTION}",
        updates(subscription_answer(status="active", cancel_at_period_end=True, cancel_at=ends)),
    )
    connector = make_connector(stripe)

    def cancel(c: StripeConnector) -> Any:
        return c.cancel_subscription(CUSTOMER, at_period_end=True, idempotency_key="cancel-1")

    first, again = run(connector, cancel), run(connector, cancel)
    assert (first.at_period_end, first.ends_on, first.reference, first.replayed) == (
        True,
        datetime.fromtimestamp(ends, UTC).date(),
        SUBSCRIPTION,
        False,
    )
    assert again.replayed
    sent = stripe.received("POST", f"/v1/subscriptions/{SUBSCRIPTION}")
    assert [dict(parse_qsl(r.body.decode())) for r in sent] == [
        {"cancel_at_period_end": "true"}
    ] * 2
    assert {r.headers["idempotency-key"] for r in sent} == {"cancel-1"}
    update = pytest.importorskip("stripe.params._subscription_update_params")
    assert "cancel_at_period_end" in update.SubscriptionUpdateParams.__annotations__


def test_cancel_now_deletes_the_subscription_prorated(stripe: RecordedServer) -> None:
    ended = 1793520000
    stripe.handle(
        "DELETE",
        f"/v1/subscriptions/{SUBSCRIPTION}",
        updates(subscription_answer(status="canceled", ended_at=ended, canceled_at=ended)),
    )
    done = run(
        make_connector(stripe),
        lambda c: c.cancel_subscription(CUSTOMER, at_period_end=False, idempotency_key="now-1"),
    )
    assert (done.at_period_end, done.ends_on) == (False, datetime.fromtimestamp(ended, UTC).date())
    [sent] = stripe.received("DELETE", f"/v1/subscriptions/{SUBSCRIPTION}")
    assert sent.query == {"prorate": "true"} and sent.headers["idempotency-key"] == "now-1"
    cancel = pytest.importorskip("stripe.params._subscription_cancel_params")
    assert set(sent.query) <= set(cancel.SubscriptionCancelParams.__annotations__)
