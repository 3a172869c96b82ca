"""Stripe: DeskPilot's ``billing`` capability over the Stripe REST API.

Customers, subscriptions, invoices with their lines, prices as plans, refunds, and account
settings: the customer's email (where invoices go), and the plan and seats of a one-item
subscription (its item's price and quantity, prorated). Refunds and changes are sent with the
desk's ``Idempotency-Key``, so a retry (ours after a 429 or 5xx, or the agent's after a crash)
returns the first result (Stripe answers ``Idempotent-Replayed: true``) and never refunds or
changes twice; the same key for a different request is refused by Stripe and reported as such.

A refund also carries its key in its metadata (``deskpilot_refund_key``), so when an answer is
lost (a 500 that Stripe replays for the key, a timeout, a dropped connection) ``find_refund``
finds out whether the money moved by listing the refunds of the invoice's payment.

Ids are Stripe's (``cus_...``); a customer may also be given by email, looked up once. Lists use
Stripe's ``has_more``/``starting_after`` pagination; writes are form-encoded.

Every request names the API version it was written and tested for (``API_VERSION``, sent as
``Stripe-Version``), so an account whose default version is older or newer answers in the shapes
read here. Objects of versions before 2025-03-31 (``subscription.current_period_*``,
``line.price``/``line.proration``, ``invoice.payment_intent``) are read too, for accounts that
pin an older ``api_version`` in config.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorConfig, ConnectorContext
from deskpilot.connectors.capabilities import Billing
from deskpilot.connectors.errors import ConnectorAuthError, ConnectorError, RemoteApiError
from deskpilot.connectors.http import (
    ApiClient,
    HttpConnectorConfig,
    cursor_pages,
    form_fields,
)
from deskpilot.connectors.models import (
    AccountSetting,
    RefundResult,
    SettingChanged,
    SubscriptionCanceled,
)
from deskpilot.models import Customer, Invoice, InvoiceLine, Plan, Subscription

from ._common import from_unix, hint, unreadable
from .base import HttpConnector

SERVICE = "Stripe"
# The API version requests are sent with (``Stripe-Version``): the one whose objects the tests
# replay, from Stripe's own fixtures (``fixtures3.json``) and typed classes (stripe 16.1.0).
API_VERSION = "2026-10-28.endive"
# The refund's metadata key holding the desk's idempotency key: how a refund whose answer was
# lost is found again.
REFUND_KEY = "deskpilot_refund_key"
# Amounts in these currencies have no minor unit: 500 JPY is sent as 500, not 50000.
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd"}
    | {"vuv", "xaf", "xof", "xpf"}
)
# The subscription the desk shows when a customer has several: the one they live with.
STATUS_ORDER = ("active", "trialing", "past_due", "unpaid", "paused", "incomplete")
INVOICE_STATUS = {"uncollectible": "failed"}
REFUND_STATUS: dict[str, Literal["succeeded", "pending", "failed"]] = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    "failed": "failed",
    "canceled": "failed",
}
MONTHS_PER = {"day": 12 / 365, "week": 12 / 52, "month": 1.0, "year": 12.0}
# What the desk reads besides customers, and the resource a restricted key must be allowed to
# read for it (Stripe's 403 names the exact permission missing).
READS = (
    ("/v1/invoices", "Invoices"),
    ("/v1/subscriptions", "Subscriptions"),
    ("/v1/prices", "Prices"),
    ("/v1/refunds", "Refunds"),
)


class StripeConfig(HttpConnectorConfig):
    base_url: str = Field("https://api.stripe.com", pattern=r"^https?://")
    # From DESKPILOT_CONNECTORS__STRIPE__API_KEY (environment or secrets.env) only: a secret
    # key (sk_...) or a restricted key (rk_...) with Customers, Invoices, Prices, Subscriptions
    # and Charges/Refunds read; Refunds write; Customers and Subscriptions write for
    # account-setting changes.
    api_key: SecretStr
    # Sent as Stripe-Version on every request. Change it only with care: the connector reads
    # this version's objects (and those before 2025-03-31).
    api_version: str = Field(API_VERSION, min_length=1)
    refund_reason: Literal["requested_by_customer", "duplicate", "fraudulent"] = (
        "requested_by_customer"
    )
    page_size: int = Field(100, ge=1, le=100)
    # How plan and seat changes are billed: prorated on the next invoice (Stripe's default),
    # invoiced at once, or not prorated.
    proration_behavior: Literal["create_prorations", "always_invoice", "none"] = "create_prorations"


class StripeConnector(HttpConnector[StripeConfig], Billing):
    config_model: ClassVar[type[ConnectorConfig]] = StripeConfig
    title: ClassVar[str] = "Stripe: subscriptions, invoices, plans, refunds and account settings"

    def __init__(self, config: StripeConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        key = config.api_key.get_secret_value()
        headers = {"Authorization": f"Bearer {key}", "Stripe-Version": config.api_version}
        self.api = ApiClient.from_config(
            SERVICE,
            config,
            headers=headers,
            secrets=[key],
            credential_hint=hint(context, "api_key"),
            error_detail=_error_detail,
        )
        self._by_email: dict[str, str | None] = {}

    async def check(self) -> str:
        """The key works, and reads everything the desk reads: a restricted key (``rk_...``)
        without one of the read permissions is named as such, not as a bad key. Writes (refunds,
        account changes) cannot be tried without changing something: see ``StripeConfig``."""
        await self.api.get("/v1/customers", {"limit": 1})  # a key Stripe refuses fails here
        missing: list[str] = []
        for path, what in READS:
            try:
                await self.api.get(path, {"limit": 1})
            except ConnectorAuthError as error:  # the key works, so this is a permission
                missing.append(f"{what} ({error})")
        if missing:
            raise ConnectorAuthError(
                f"Stripe accepts the key, but it may not read {'; '.join(missing)}; a restricted "
                f"key needs Read on {', '.join(w for _p, w in READS)} and Customers, Write on "
                f"Refunds (and on Customers and Subscriptions for account changes)"
            )
        key = self.config.api_key.get_secret_value()
        mode = "live" if "_live_" in key else "test" if "_test_" in key else "unknown"
        return f"Stripe at {self.api.endpoint} accepts the API key ({mode} mode)"

    async def billing_customer_id(self, customer: Customer) -> str | None:
        """The Stripe customer with the desk's customer's email; a desk whose customer ids are
        Stripe's own (``cus_...``, imported from Stripe) keeps them when the email finds none."""
        found = await self._customer(customer.email)
        if found is None and customer.id.startswith("cus_"):
            return customer.id
        return found

    # --- reads ---------------------------------------------------------------------------------

    async def subscription(self, customer_id: str) -> Subscription | None:
        row = await self._subscription_row(customer_id)
        return None if row is None else _subscription(row, customer_id)

    async def invoices(self, customer_id: str, limit: int = 12) -> list[Invoice]:
        customer = await self._customer(customer_id)
        if customer is None or limit <= 0:
            return []
        params = {"customer": customer, "limit": min(limit, self.config.page_size)}
        found = [
            await self._invoice(row, customer_id)
            async for row in self._list("/v1/invoices", params, limit=limit)
        ]
        found.sort(key=lambda invoice: invoice.issued, reverse=True)
        return found

    async def invoice(self, invoice_id: str) -> Invoice | None:
        row = await self.api.get(f"/v1/invoices/{invoice_id}", not_found=True)
        return None if row is None else await self._invoice(row, str(row.get("customer") or ""))

    async def plans(self) -> list[Plan]:
        params = {
            "active": "true",
            "type": "recurring",
            "expand[]": "data.product",
            "limit": self.config.page_size,
        }
        return [_plan(row) async for row in self._list("/v1/prices", params)]

    # --- refunds -------------------------------------------------------------------------------

    async def refund(
        self, invoice_id: str, amount: float, reason: str, idempotency_key: str
    ) -> RefundResult:
        if amount <= 0:
            raise ConnectorError(f"Stripe: a refund must be more than zero (asked {amount:g})")
        if not idempotency_key.strip():
            raise ConnectorError("Stripe: a refund needs an idempotency key")
        invoice = await self.api.get(f"/v1/invoices/{invoice_id}", not_found=True)
        if invoice is None:
            raise RemoteApiError(f"Stripe has no invoice {invoice_id}", status=404)
        if invoice.get("status") != "paid":
            raise ConnectorError(
                f"Stripe invoice {invoice_id} is {invoice.get('status')}, not paid: "
                "there is no payment to refund"
            )
        currency = str(invoice.get("currency") or "usd")
        fields: dict[str, Any] = await self._payment_of(invoice)
        fields |= {
            "amount": _minor_units(amount, currency),
            "reason": self.config.refund_reason,
            "metadata": {
                "invoice": invoice_id,
                "deskpilot_reason": reason[:500],
                REFUND_KEY: idempotency_key,
            },
        }
        try:
            response = await self.api.request(
                "POST",
                "/v1/refunds",
                data=form_fields(fields),
                headers={"Idempotency-Key": idempotency_key},
            )
        except RemoteApiError as error:
            if error.code == "idempotency_error":
                raise RemoteApiError(
                    f"Stripe: the idempotency key {idempotency_key} was already used for a "
                    "different refund; nothing was refunded this time",
                    status=error.status,
                    code=error.code,
                ) from None
            raise
        assert response is not None
        refund = self.api.decode(response)
        return _refund(refund, invoice_id, reason, idempotency_key, _replayed(response))

    async def find_refund(self, invoice_id: str, idempotency_key: str) -> RefundResult | None:
        """The refund made with ``idempotency_key`` on the invoice, or None: Stripe's refunds of
        the invoice's payment (``GET /v1/refunds?payment_intent=...``), matched by the key the
        desk put in their metadata."""
        invoice = await self.api.get(f"/v1/invoices/{invoice_id}", not_found=True)
        if invoice is None:
            return None
        params = await self._payment_of(invoice) | {"limit": self.config.page_size}
        async for row in self._list("/v1/refunds", params):
            metadata = row.get("metadata") or {}
            if metadata.get(REFUND_KEY) == idempotency_key:
                reason = str(metadata.get("deskpilot_reason") or "")
                return _refund(row, invoice_id, reason, idempotency_key, replayed=False)
        return None

    # --- account settings ----------------------------------------------------------------------

    async def billing_email(self, customer_id: str) -> str | None:
        """The customer's ``email``: where Stripe sends invoices and receipts."""
        customer = await self._customer(customer_id)
        if customer is None:
            return None
        row = await self.api.get(f"/v1/customers/{customer}", not_found=True)
        return None if row is None or row.get("deleted") else str(row.get("email") or "")

    async def change_billing_email(
        self, customer_id: str, email: str, idempotency_key: str
    ) -> SettingChanged:
        customer = await self._customer(customer_id)
        old = await self.billing_email(customer_id)
        if customer is None or old is None:
            raise RemoteApiError(f"Stripe has no customer {customer_id}", status=404)
        new = email.strip().lower()
        row = await self._update(f"/v1/customers/{customer}", {"email": new}, idempotency_key)
        answer = self._answer(row)
        # The old address no longer finds this customer, however it was written.
        for email in [e for e in self._by_email if e.lower() == old.lower()]:
            del self._by_email[email]
        return _changed(customer_id, "billing_email", old, str(answer.get("email") or new), row)

    async def change_plan(
        self, customer_id: str, plan_id: str, idempotency_key: str
    ) -> SettingChanged:
        """The subscription item's price, prorated (Stripe's ``create_prorations``)."""
        item = await self._only_item(customer_id)
        old = str((item.get("price") or item.get("plan") or {}).get("id") or "")
        fields = {"price": plan_id.strip(), "proration_behavior": self.config.proration_behavior}
        row = await self._update(f"/v1/subscription_items/{item['id']}", fields, idempotency_key)
        answer = self._answer(row)
        new = str((answer.get("price") or answer.get("plan") or {}).get("id") or plan_id)
        return _changed(customer_id, "plan", old, new, row, reference=str(item["id"]))

    async def change_seats(
        self, customer_id: str, seats: int, idempotency_key: str
    ) -> SettingChanged:
        """The subscription item's quantity, prorated."""
        if seats < 1:
            raise ConnectorError(f"Stripe: a subscription needs at least one seat (asked {seats})")
        item = await self._only_item(customer_id)
        old = str(item.get("quantity") or 1)
        fields = {"quantity": seats, "proration_behavior": self.config.proration_behavior}
        row = await self._update(f"/v1/subscription_items/{item['id']}", fields, idempotency_key)
        answer = self._answer(row)
        new = str(answer.get("quantity") or seats)
        return _changed(customer_id, "seats", old, new, row, reference=str(item["id"]))

    async def cancel_subscription(
        self, customer_id: str, *, at_period_end: bool, idempotency_key: str
    ) -> SubscriptionCanceled:
        """At the period's end: ``cancel_at_period_end`` on the subscription (it runs to the
        end of what was paid). Now: ``DELETE`` with ``prorate``, so Stripe credits the unused
        time to the customer's balance. Either way with the desk's key: a retry cancels once."""
        row = await self._subscription_row(customer_id)
        if row is None or row.get("status") not in STATUS_ORDER:
            raise ConnectorError(f"Stripe: {customer_id} has no live subscription to cancel")
        path = f"/v1/subscriptions/{row['id']}"
        if at_period_end:
            response = await self._update(path, {"cancel_at_period_end": True}, idempotency_key)
        else:
            deleted = await self.api.request(
                "DELETE",
                path,
                params={"prorate": "true"},
                headers={"Idempotency-Key": idempotency_key},
            )
            assert deleted is not None
            response = deleted
        answer = self._answer(response)
        ends = answer.get("cancel_at") or answer.get("ended_at") or answer.get("canceled_at")
        if at_period_end and not ends:
            ends = _subscription(answer, customer_id).cycle_end
        return SubscriptionCanceled(
            customer_id=customer_id,
            at_period_end=at_period_end,
            ends_on=ends if isinstance(ends, date) else from_unix(ends).date(),
            currency=str(answer.get("currency") or "usd").upper(),
            reference=str(row["id"]),
            idempotency_key=idempotency_key,
            replayed=_replayed(response),
        )

    async def _only_item(self, customer_id: str) -> dict[str, Any]:
        """The live subscription's one item; a subscription of several prices is changed in
        Stripe itself (which item the agent means is not ours to guess)."""
        row = await self._subscription_row(customer_id)
        if row is None or row.get("status") not in STATUS_ORDER:
            raise ConnectorError(f"Stripe: {customer_id} has no live subscription to change")
        items = list((row.get("items") or {}).get("data") or [])
        if len(items) != 1:
            raise ConnectorError(
                f"Stripe subscription {row.get('id')} has {len(items)} items; change it in the "
                "Stripe dashboard"
            )
        return dict(items[0])

    async def _update(
        self, path: str, fields: dict[str, Any], idempotency_key: str
    ) -> httpx.Response:
        """A form-encoded update with the desk's key: a retry (ours after a 429 or 5xx, or the
        agent's) is one change, and Stripe says so with ``Idempotent-Replayed``."""
        if not idempotency_key.strip():
            raise ConnectorError("Stripe: an account change needs an idempotency key")
        try:
            response = await self.api.request(
                "POST",
                path,
                data=form_fields(fields),
                headers={"Idempotency-Key": idempotency_key},
            )
        except RemoteApiError as error:
            if error.code == "idempotency_error":
                raise RemoteApiError(
                    f"Stripe: the idempotency key {idempotency_key} was already used for a "
                    "different change; nothing was changed this time",
                    status=error.status,
                    code=error.code,
                ) from None
            raise
        assert response is not None
        return response

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        answer = self.api.decode(response)
        if not isinstance(answer, dict):
            raise ConnectorError("Stripe answered an update with something other than an object")
        return answer

    async def _subscription_row(self, customer_id: str) -> dict[str, Any] | None:
        """The subscription the customer lives with: active before trialing before past due...,
        the newest first."""
        customer = await self._customer(customer_id)
        if customer is None:
            return None
        params = {"customer": customer, "status": "all", "limit": 20}
        rows = [row async for row in self._list("/v1/subscriptions", params, limit=20)]
        if not rows:
            return None
        rank = {status: i for i, status in enumerate(STATUS_ORDER)}
        rows.sort(key=lambda r: (rank.get(str(r.get("status")), len(rank)), -int(r["created"])))
        return rows[0]

    # --- helpers -------------------------------------------------------------------------------

    async def _customer(self, customer_id: str) -> str | None:
        """A Stripe customer id; an email is looked up. Stripe's ``email`` filter is
        case-sensitive and Stripe keeps the address as it was entered, so it is tried as given,
        then in lower case (as DeskPilot stores customers' addresses) when that differs."""
        if "@" not in customer_id:
            return customer_id
        given = customer_id.strip()
        if given not in self._by_email:
            found: str | None = None
            for email in dict.fromkeys([given, given.lower()]):
                page = await self.api.get("/v1/customers", {"email": email, "limit": 1})
                rows = page.get("data") or []
                if rows:
                    found = str(rows[0]["id"])
                    break
            self._by_email[given] = found
        return self._by_email[given]

    def _list(
        self, path: str, params: dict[str, Any], limit: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Rows of a Stripe list, following has_more/starting_after, up to ``limit``."""
        pages = cursor_pages(
            self.api,
            path,
            params=params,
            cursor_param="starting_after",
            next_cursor=_next_cursor,
            max_pages=self.config.max_pages,
        )

        async def rows() -> AsyncIterator[dict[str, Any]]:
            count = 0
            async for page in pages:
                for row in page.get("data") or []:
                    yield row
                    count += 1
                    if limit is not None and count >= limit:
                        return

        return rows()

    async def _invoice(self, row: dict[str, Any], customer_id: str) -> Invoice:
        lines = row.get("lines") or {}
        rows = list(lines.get("data") or [])
        if lines.get("has_more") and rows:
            # Long invoices come with their first lines only: fetch the rest.
            params = {"limit": self.config.page_size, "starting_after": rows[-1]["id"]}
            rows += [r async for r in self._list(f"/v1/invoices/{row['id']}/lines", params)]
        return _invoice(row, rows, customer_id)

    async def _payment_of(self, invoice: dict[str, Any]) -> dict[str, str]:
        """What to refund: the invoice's payment intent or charge. API versions from
        2025-03-31 list payments separately (``/v1/invoice_payments``)."""
        for field in ("payment_intent", "charge"):
            value = invoice.get(field)
            if isinstance(value, dict):
                value = value.get("id")
            if value:
                return {field: str(value)}
        page = await self.api.get(
            "/v1/invoice_payments", {"invoice": invoice["id"], "status": "paid", "limit": 1}
        )
        for row in page.get("data") or []:
            payment = row.get("payment") or {}
            for field in ("payment_intent", "charge"):
                if payment.get(field):
                    return {field: str(payment[field])}
        raise ConnectorError(f"Stripe invoice {invoice['id']} has no payment to refund")


def _changed(
    customer_id: str,
    setting: AccountSetting,
    old: str,
    new: str,
    response: httpx.Response,
    *,
    reference: str = "",
) -> SettingChanged:
    return SettingChanged(
        customer_id=customer_id,
        setting=setting,
        old_value=old,
        new_value=new,
        reference=reference or customer_id,
        idempotency_key=str(response.request.headers.get("Idempotency-Key", "")),
        replayed=_replayed(response),
    )


def _next_cursor(page: dict[str, Any]) -> str | None:
    data = page.get("data") or []
    return str(data[-1]["id"]) if page.get("has_more") and data else None


def _replayed(response: httpx.Response) -> bool:
    return str(response.headers.get("Idempotent-Replayed", "")).lower() == "true"


def _error_detail(response: httpx.Response) -> str:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return response.text[:200]
    message = str(error.get("message") or "")
    code = error.get("code") or error.get("type") or ""
    return f"{message} [{code}]" if code and message else message or str(code)


def _amount(minor: Any, currency: str) -> float:
    value = int(minor or 0)
    return float(value) if currency.lower() in ZERO_DECIMAL else value / 100


def _minor_units(amount: float, currency: str) -> int:
    return round(amount) if currency.lower() in ZERO_DECIMAL else round(amount * 100)


def _subscription(row: dict[str, Any], customer_id: str) -> Subscription:
    try:
        items = (row.get("items") or {}).get("data") or []
        first = items[0] if items else {}
        price = first.get("price") or first.get("plan") or {}
        # From API version 2025-03-31 the billing period lives on the items.
        start = row.get("current_period_start") or first.get("current_period_start")
        end = row.get("current_period_end") or first.get("current_period_end")
        return Subscription(
            customer_id=customer_id,
            plan_id=str(price.get("id", "")),
            status=str(row["status"]),
            cycle_start=from_unix(start).date(),
            cycle_end=from_unix(end).date(),
            seats=int(first.get("quantity") or 1),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise unreadable(SERVICE, "a subscription", error) from None


def _invoice(row: dict[str, Any], lines: list[dict[str, Any]], customer_id: str) -> Invoice:
    try:
        currency = str(row.get("currency") or "usd")
        status = str(row.get("status") or "draft")
        return Invoice(
            id=str(row["id"]),
            customer_id=customer_id or str(row.get("customer") or ""),
            number=str(row.get("number") or row["id"]),
            issued=from_unix(row["created"]).date(),
            status=INVOICE_STATUS.get(status, status),
            currency=currency.upper(),
            lines=[_line(line, currency) for line in lines],
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise unreadable(SERVICE, "an invoice", error) from None


def _line(row: dict[str, Any], currency: str) -> InvoiceLine:
    """Stripe's line as DeskPilot's: Stripe's ``amount`` is the whole line's (7 seats at 49.00
    are 343.00), DeskPilot's ``amount`` the unit price the quantity multiplies. A line whose
    amount does not divide by its quantity (tiered or volume pricing) is one unit of its whole
    amount, so the invoice's total is always the sum of Stripe's line amounts."""
    period = row.get("period") or {}
    parent = row.get("parent") or {}
    # From API version 2025-03-31 a line's proration flag lives on its parent's details.
    details = parent.get("subscription_item_details") or parent.get("invoice_item_details") or {}
    price = row.get("price") if isinstance(row.get("price"), dict) else {}
    whole = int(row.get("amount") or 0)
    quantity = int(row.get("quantity") or 1)
    if quantity < 1 or whole % quantity:
        quantity = 1
    return InvoiceLine(
        description=str(row.get("description") or (price or {}).get("nickname") or ""),
        amount=_amount(whole // quantity, currency),
        quantity=quantity,
        period_start=from_unix(period["start"]).date() if period.get("start") else None,
        period_end=from_unix(period["end"]).date() if period.get("end") else None,
        proration=bool(row.get("proration") or details.get("proration")),
    )


def _plan(row: dict[str, Any]) -> Plan:
    try:
        product = row.get("product")
        product = product if isinstance(product, dict) else {}
        recurring = row.get("recurring") or {}
        interval = str(recurring.get("interval") or "month")
        every = int(recurring.get("interval_count") or 1)
        currency = str(row.get("currency") or "usd")
        per_period = _amount(row.get("unit_amount"), currency)
        metadata = {**(product.get("metadata") or {}), **(row.get("metadata") or {})}
        return Plan(
            id=str(row["id"]),
            name=str(product.get("name") or row.get("nickname") or row["id"]),
            monthly_price=round(per_period / (MONTHS_PER.get(interval, 1.0) * every), 2),
            seats_included=int(metadata.get("seats_included") or 1),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise unreadable(SERVICE, "a price", error) from None


def _refund(
    row: dict[str, Any], invoice_id: str, reason: str, key: str, replayed: bool
) -> RefundResult:
    try:
        currency = str(row.get("currency") or "usd")
        return RefundResult(
            refund_id=str(row["id"]),
            invoice_id=invoice_id,
            amount=_amount(row["amount"], currency),
            currency=currency.upper(),
            reason=reason,
            idempotency_key=key,
            status=REFUND_STATUS.get(str(row.get("status")), "pending"),
            created_at=from_unix(row["created"]),
            replayed=replayed,
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise unreadable(SERVICE, "a refund", error) from None
