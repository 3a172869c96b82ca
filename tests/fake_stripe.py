"""A stand-in for Stripe's refunds, served by a real local HTTP server, behaving as Stripe
documents (https://docs.stripe.com/api/idempotent_requests, /api/refunds) and failing the ways
a network does, so the desk's refund path is tested against the outcomes it must survive.

- ``POST /v1/refunds`` with an ``Idempotency-Key``: the first request is carried out and its
  answer saved; the same key with the same parameters gets the saved answer again with
  ``Idempotent-Replayed: true`` (a saved 500 too); the same key with other parameters gets a
  400 ``idempotency_error`` and moves nothing. A refund above what is left of the payment is
  refused (400), as Stripe refuses it.
- Faults, one per refund request in turn (``fail_next``): ``"500"`` makes the refund and
  answers 500 (saved, so replayed for the key); ``"timeout"`` makes it and answers too late;
  ``"drop"`` makes it and closes the connection unanswered; ``"500-before"`` answers 500 having
  made nothing (and saves that 500).
- ``GET /v1/refunds?payment_intent=...`` (or ``charge=``) lists the payment's refunds, newest
  first, paged with ``has_more``/``starting_after``: how a lost answer is looked up.
  ``lookups_fail`` makes that many look-ups answer 503.
- ``GET /v1/invoices/{id}``: the paid invoices the refunds are made on, in current API shapes
  (no ``payment_intent`` on the invoice: ``GET /v1/invoice_payments?invoice=...``), the objects
  taken from Stripe's own examples (``../shared/specs/stripe/fixtures3.json``).

``moved`` is the money the fake actually refunded: what every audit trail must add up to.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

from deskpilot.testing import ReceivedRequest, RecordedResponse, RecordedServer

FIXTURES = (
    Path(__file__).resolve().parents[1].parent / "shared" / "specs" / "stripe" / "fixtures3.json"
)
Fault = Literal["500", "timeout", "drop", "500-before"]
LATE = 2.0  # seconds the "timeout" fault waits: longer than the tests' client timeout


def stripe_examples() -> dict[str, Any]:
    """Stripe's example objects by resource name (``invoice``, ``refund``, ``line_item``...)."""
    return dict(json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"])


def error(status: int, kind: str, message: str, code: str = "") -> RecordedResponse:
    body: dict[str, Any] = {"type": kind, "message": message}
    if code:
        body["code"] = code
    return RecordedResponse(status, {"error": body})


@dataclass
class Payment:
    invoice_id: str
    payment_intent: str
    charge: str
    amount: int  # minor units
    currency: str = "usd"


@dataclass
class FakeStripe:
    server: RecordedServer
    payments: dict[str, Payment] = field(default_factory=dict)  # by invoice id
    refunds: list[dict[str, Any]] = field(default_factory=list)  # the refunds made
    faults: list[Fault] = field(default_factory=list)
    lookups_fail: int = 0
    _saved: dict[str, tuple[bytes, RecordedResponse]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.examples = stripe_examples()
        self.server.handle("POST", "/v1/refunds", self._create)
        self.server.handle("GET", "/v1/refunds", self._list_refunds)
        self.server.handle("GET", "/v1/invoice_payments", self._invoice_payments)

    # --- set-up ------------------------------------------------------------------------------

    def paid_invoice(self, invoice_id: str, amount: float, currency: str = "usd") -> None:
        """A paid invoice of ``amount`` (one line), with its payment."""
        suffix = invoice_id.removeprefix("in_")
        payment = Payment(invoice_id, f"pi_{suffix}", f"ch_{suffix}", round(amount * 100), currency)
        self.payments[invoice_id] = payment
        invoice = copy.deepcopy(self.examples["invoice"])
        line = copy.deepcopy(self.examples["line_item"])
        line |= {"id": f"il_{suffix}", "invoice": invoice_id, "amount": payment.amount}
        line |= {"quantity": 1, "currency": currency, "description": "1 × Team"}
        invoice |= {
            "id": invoice_id,
            "status": "paid",
            "currency": currency,
            "amount_due": payment.amount,
            "amount_paid": payment.amount,
            "amount_remaining": 0,
            "total": payment.amount,
            "number": f"NUM-{suffix}",
        }
        invoice["lines"] = {**invoice["lines"], "data": [line], "has_more": False}
        self.server.respond("GET", f"/v1/invoices/{invoice_id}", json=invoice)

    def fail_next(self, *faults: Fault) -> None:
        self.faults.extend(faults)

    # --- what moved ----------------------------------------------------------------------------

    @property
    def moved(self) -> float:
        with self._lock:
            return sum(r["amount"] for r in self.refunds) / 100

    def created(self) -> list[ReceivedRequest]:
        return self.server.received("POST", "/v1/refunds")

    # --- the endpoints -------------------------------------------------------------------------

    def _create(self, request: ReceivedRequest) -> RecordedResponse:
        key = request.headers.get("idempotency-key")
        with self._lock:
            if key is not None and key in self._saved:
                body, saved = self._saved[key]
                if body != request.body:
                    return error(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        f"parameters they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.",
                    )
                headers = {**saved.headers, "Idempotent-Replayed": "true"}
                return RecordedResponse(saved.status, saved.json, headers=headers)
            fault = self.faults.pop(0) if self.faults else None
            answer = self._carry_out(dict(parse_qsl(request.body.decode())), fault)
            if key is not None:
                self._saved[key] = (request.body, RecordedResponse(answer.status, answer.json))
        if fault == "timeout":
            return RecordedResponse(answer.status, answer.json, delay=LATE)
        if fault == "drop":
            return RecordedResponse(drop=True)
        return answer

    def _carry_out(self, form: dict[str, str], fault: Fault | None) -> RecordedResponse:
        if fault == "500-before":
            return error(500, "api_error", "An unknown error occurred")
        payment = self._payment(form)
        if payment is None:
            return error(400, "invalid_request_error", "No such payment_intent", "resource_missing")
        left = payment.amount - sum(r["amount"] for r in self._refunds_of(payment))
        amount = int(form.get("amount") or left)
        if amount > left:
            return error(
                400,
                "invalid_request_error",
                f"Refund amount ({amount / 100:.2f}) is greater than unrefunded amount on "
                f"charge ({left / 100:.2f})",
                "amount_too_large",
            )
        refund = copy.deepcopy(self.examples["refund"])
        refund |= {
            "id": f"re_fake{len(self.refunds) + 1:04d}",
            "amount": amount,
            "charge": payment.charge,
            "payment_intent": payment.payment_intent,
            "currency": payment.currency,
            "created": 1795514400 + len(self.refunds),
            "reason": form.get("reason"),
            "status": "succeeded",
            "metadata": {
                name[len("metadata[") : -1]: value
                for name, value in form.items()
                if name.startswith("metadata[")
            },
        }
        self.refunds.append(refund)
        if fault == "500":
            return error(500, "api_error", "An unknown error occurred")
        return RecordedResponse(200, refund)

    def _payment(self, form: dict[str, str]) -> Payment | None:
        for payment in self.payments.values():
            if form.get("payment_intent") == payment.payment_intent:
                return payment
            if form.get("charge") == payment.charge:
                return payment
        return None

    def _refunds_of(self, payment: Payment) -> list[dict[str, Any]]:
        return [r for r in self.refunds if r["payment_intent"] == payment.payment_intent]

    def _list_refunds(self, request: ReceivedRequest) -> RecordedResponse:
        with self._lock:
            if self.lookups_fail > 0:
                self.lookups_fail -= 1
                return error(503, "api_error", "Service unavailable")
            payment = self._payment(request.query)
            rows = list(self.refunds) if payment is None else self._refunds_of(payment)
            rows = sorted(rows, key=lambda r: r["created"], reverse=True)
        after = request.query.get("starting_after")
        if after:
            at = next((i for i, r in enumerate(rows) if r["id"] == after), len(rows))
            rows = rows[at + 1 :]
        limit = int(request.query.get("limit") or 10)
        page = {
            "object": "list",
            "url": "/v1/refunds",
            "has_more": len(rows) > limit,
            "data": rows[:limit],
        }
        return RecordedResponse(200, page)

    def _invoice_payments(self, request: ReceivedRequest) -> RecordedResponse:
        payment = self.payments.get(request.query.get("invoice", ""))
        rows = []
        if payment is not None:
            row = copy.deepcopy(self.examples["invoice_payment"])
            row |= {
                "id": f"inpay_{payment.invoice_id}",
                "invoice": payment.invoice_id,
                "amount_paid": payment.amount,
                "amount_requested": payment.amount,
                "currency": payment.currency,
                "status": "paid",
                "payment": {"type": "payment_intent", "payment_intent": payment.payment_intent},
            }
            rows.append(row)
        page = {"object": "list", "url": "/v1/invoice_payments", "has_more": False, "data": rows}
        return RecordedResponse(200, page)
