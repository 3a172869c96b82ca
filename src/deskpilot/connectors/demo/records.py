"""The demo connector's data: the JSON records ``deskpilot demo`` writes into ``records/``.

Reads are cached until a file changes on disk; the big files (customers, CRM, subscriptions,
invoices, plan changes) are read one customer at a time through an index (see ``index.py``),
so a 20,000-customer demo answers its first lookup in milliseconds. Writes (refunds, filed
bugs, account changes) replace their file atomically under the folder's lock; everything the
desk would have sent somewhere (password resets, hand-offs, replies) is appended to
``outbox.jsonl`` instead, so nothing leaves the machine. Everything here blocks: the
connector calls it from a thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from deskpilot.connectors.demo import index
from deskpilot.connectors.demo.files import append_json_line, locked, write_json_atomic
from deskpilot.connectors.errors import ConnectorError, ConnectorUnavailableError
from deskpilot.connectors.models import (
    AccountSetting,
    CancellationPreview,
    InboundMessage,
    NewBug,
    RefundResult,
    SettingChanged,
    SubscriptionCanceled,
)
from deskpilot.models import (
    Bug,
    CrmRecord,
    Customer,
    Invoice,
    Plan,
    PlanChange,
    Subscription,
    utcnow,
)

RecordT = TypeVar("RecordT", bound=BaseModel)

CUSTOMERS = "customers.json"
CRM = "crm.json"
PLANS = "plans.json"
SUBSCRIPTIONS = "subscriptions.json"
INVOICES = "invoices.json"
PLAN_CHANGES = "plan_changes.json"
BUGS = "bugs.json"
REFUNDS = "refunds.json"
OUTBOX = "outbox.jsonl"
INBOX = "inbox.jsonl"  # customers' messages the demo channel delivers on its next pull
ACCOUNT_CHANGES = "account_changes.json"
CANCELLATIONS = "cancellations.json"
REQUIRED = (CUSTOMERS, CRM, PLANS, SUBSCRIPTIONS, INVOICES, PLAN_CHANGES, BUGS)
REFUNDABLE_STATUSES = frozenset({"paid"})
CENT = 0.005
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _as_is(value: str) -> str:
    return value


def _email_key(value: str) -> str:
    return value.strip().lower()  # as the Customer model stores an email


# The big files and the fields they are looked up by, one customer's records at a time.
INDEXED: dict[str, dict[str, index.Normalise]] = {
    CUSTOMERS: {"id": _as_is, "email": _email_key},
    CRM: {"customer_id": _as_is},
    SUBSCRIPTIONS: {"customer_id": _as_is},
    INVOICES: {"customer_id": _as_is, "id": _as_is},
    PLAN_CHANGES: {"customer_id": _as_is},
}


class DemoRecords:
    def __init__(self, folder: Path, clock: Callable[[], datetime] = utcnow) -> None:
        self.folder = folder
        self.clock = clock
        self._cache: dict[str, tuple[tuple[int, int], list[Any]]] = {}
        self._indexes: dict[tuple[str, str], index.FieldIndex] = {}

    # --- reading -------------------------------------------------------------------------

    def customers(self) -> list[Customer]:
        return self._read(CUSTOMERS, Customer)

    def customer(self, customer_id: str) -> Customer | None:
        return _first(self._lookup(CUSTOMERS, "id", customer_id, Customer))

    def customer_by_email(self, email: str) -> Customer | None:
        return _first(self._lookup(CUSTOMERS, "email", _email_key(email), Customer))

    def crm_record(self, customer_id: str) -> CrmRecord | None:
        return _first(self._lookup(CRM, "customer_id", customer_id, CrmRecord))

    def subscription(self, customer_id: str) -> Subscription | None:
        """The customer's subscription as ``subscriptions()`` shows it."""
        found = self._lookup(SUBSCRIPTIONS, "customer_id", customer_id, Subscription)
        if not found:
            return None
        ended = [c for c in self.cancellations() if c.customer_id == customer_id]
        changed = _after_changes(found[0], self.account_changes())
        return _after_cancellation(changed, ended[-1] if ended else None)

    def customer_invoices(self, customer_id: str) -> list[Invoice]:
        """The customer's invoices as ``invoices()`` shows them, in the file's order."""
        refunded = self._refunded_per_invoice()
        found = self._lookup(INVOICES, "customer_id", customer_id, Invoice)
        return [_after_refunds(i, refunded.get(i.id, 0.0)) for i in found]

    def invoice(self, invoice_id: str) -> Invoice | None:
        found = self._lookup(INVOICES, "id", invoice_id, Invoice)
        if not found:
            return None
        return _after_refunds(found[0], self._refunded_per_invoice().get(invoice_id, 0.0))

    def customer_plan_changes(self, customer_id: str) -> list[PlanChange]:
        """The customer's part of ``plan_changes()``, in its order."""
        recorded = self._lookup(PLAN_CHANGES, "customer_id", customer_id, PlanChange)
        made = [c for c in self.account_changes() if c.customer_id == customer_id]
        if not any(c.setting == "plan" for c in made):
            return recorded
        subscriptions = self._lookup(SUBSCRIPTIONS, "customer_id", customer_id, Subscription)
        if not subscriptions:
            return recorded
        return recorded + _plan_changes_made(made, {customer_id: subscriptions[-1]})

    def crm(self) -> list[CrmRecord]:
        return self._read(CRM, CrmRecord)

    def plans(self) -> list[Plan]:
        return self._read(PLANS, Plan)

    def subscriptions(self) -> list[Subscription]:
        """Subscriptions as recorded, with the plan and seat changes and the cancellations
        made since applied (ended now: "canceled"; at the period's end: "non_renewing")."""
        changes = self.account_changes()
        ended = {c.customer_id: c for c in self.cancellations()}
        return [
            _after_cancellation(_after_changes(s, changes), ended.get(s.customer_id))
            for s in self._read(SUBSCRIPTIONS, Subscription)
        ]

    def cancellations(self) -> list[SubscriptionCanceled]:
        return self._read(CANCELLATIONS, SubscriptionCanceled)

    def cancel_subscription(
        self, preview: CancellationPreview, idempotency_key: str
    ) -> SubscriptionCanceled:
        """Record a cancellation in cancellations.json (one atomic write); the same key again
        returns the first one."""
        if not idempotency_key.strip():
            raise ConnectorError("a cancellation needs an idempotency key")
        with locked(self.folder):
            done = self.cancellations()
            earlier = next((c for c in done if c.idempotency_key == idempotency_key), None)
            if earlier is not None:
                return earlier.model_copy(update={"replayed": True})
            if any(c.customer_id == preview.customer_id for c in done):
                raise ConnectorError(f"customer '{preview.customer_id}' already cancelled")
            canceled = SubscriptionCanceled(
                customer_id=preview.customer_id,
                at_period_end=preview.at_period_end,
                ends_on=preview.ends_on,
                credit=preview.credit,
                currency=preview.currency,
                reference=f"can_{len(done) + 1:07d}",
                idempotency_key=idempotency_key,
            )
            rows = [c.model_dump(mode="json", exclude={"replayed"}) for c in [*done, canceled]]
            write_json_atomic(self.folder / CANCELLATIONS, rows)
        return canceled

    def billing_email(self, customer_id: str) -> str | None:
        """The latest billing email set for the customer, else their own email."""
        changed = [
            c.new_value
            for c in self.account_changes()
            if c.customer_id == customer_id and c.setting == "billing_email"
        ]
        if changed:
            return changed[-1]
        customer = self.customer(customer_id)
        return customer.email if customer is not None else None

    def account_changes(self) -> list[SettingChanged]:
        """Billing email, plan and seat changes, oldest first."""
        return self._read(ACCOUNT_CHANGES, SettingChanged)

    def invoices(self) -> list[Invoice]:
        """Invoices as issued, marked "refunded" once refunds cover their total."""
        refunded = self._refunded_per_invoice()
        return [_after_refunds(i, refunded.get(i.id, 0.0)) for i in self._read(INVOICES, Invoice)]

    def plan_changes(self) -> list[PlanChange]:
        """Recorded plan changes and those made since (which explain the next invoice)."""
        recorded = self._read(PLAN_CHANGES, PlanChange)
        original = {s.customer_id: s for s in self._read(SUBSCRIPTIONS, Subscription)}
        return recorded + _plan_changes_made(self.account_changes(), original)

    def bugs(self) -> list[Bug]:
        return self._read(BUGS, Bug)

    def refunds(self) -> list[RefundResult]:
        return self._read(REFUNDS, RefundResult)

    def outbox(self) -> list[dict[str, Any]]:
        path = self.folder / OUTBOX
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def inbox(self) -> list[InboundMessage]:
        """Messages customers "sent" to the demo channel, oldest first."""
        path = self.folder / INBOX
        if not path.exists():
            return []
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
            return [InboundMessage.model_validate_json(line) for line in lines if line.strip()]
        except (ValueError, ValidationError, UnicodeDecodeError) as error:
            first_line = str(error).splitlines()[0]
            raise ConnectorError(f"{path}: not valid inbound messages: {first_line}") from None

    def summary(self) -> str:
        """What the folder holds; ``ConnectorUnavailableError`` if it is missing or broken."""
        if not self.folder.is_dir():
            raise ConnectorUnavailableError(
                f"{self.folder}: no records folder; build the demo with 'deskpilot demo'"
            )
        missing = [name for name in REQUIRED if not (self.folder / name).is_file()]
        if missing:
            raise ConnectorUnavailableError(f"{self.folder}: missing {', '.join(missing)}")
        return (
            f"records at {self.folder}: {len(self.customers())} customers, "
            f"{len(self.invoices())} invoices, {len(self.bugs())} bugs, "
            f"{len(self.refunds())} refunds"
        )

    def _read(self, name: str, model: type[RecordT]) -> list[RecordT]:
        path = self.folder / name
        try:
            stat = path.stat()
        except FileNotFoundError:
            return []  # a demo without that kind of record (refunds before the first one)
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(name)
        if cached is not None and cached[0] == stamp:
            return list(cached[1])
        records = _parse(path, model)
        self._cache[name] = (stamp, records)
        return list(records)

    def _lookup(self, name: str, field: str, value: str, model: type[RecordT]) -> list[RecordT]:
        """The records of file ``name`` whose ``field`` is ``value``, in the file's order."""
        path = self.folder / name
        for _attempt in range(2):
            spans = self._index(name, field, model).find(value)
            normalise = INDEXED[name][field]
            try:
                rows = index.read(path, spans)
                if any(normalise(str(row.get(field))) != value for row in rows):
                    raise index.RecordsFileError("records moved since they were indexed")
            except FileNotFoundError:
                return []
            except index.RecordsFileError:
                # Replaced since it was indexed, within the stamp's resolution: index it again.
                self._indexes = {k: v for k, v in self._indexes.items() if k[0] != name}
                index.sidecar(path, field).unlink(missing_ok=True)
                continue
            try:
                return [model.model_validate(row) for row in rows]
            except ValidationError as error:
                first_line = str(error).splitlines()[0]
                raise ConnectorError(
                    f"{path}: not valid {model.__name__} records: {first_line}"
                ) from None
        raise ConnectorError(f"{path}: changes while it is read; try again")

    def _index(self, name: str, field: str, model: type[BaseModel]) -> index.FieldIndex:
        path = self.folder / name
        stamp = index.stamp_of(path)
        known = self._indexes.get((name, field))
        if known is not None and known.stamp == stamp:
            return known
        found = index.load(path, field) if stamp is not None else None
        if found is not None:
            self._indexes[(name, field)] = found
            return found
        try:
            built = index.build(path, INDEXED[name])
        except (index.RecordsFileError, UnicodeDecodeError) as error:
            first_line = str(error).splitlines()[0]
            raise ConnectorError(
                f"{path}: not valid {model.__name__} records: {first_line}"
            ) from None
        for each, field_index in built.items():
            self._indexes[(name, each)] = field_index
        return built[field]

    def build_indexes(self) -> None:
        """Index the big files now (the demo build does, so no session pays for it)."""
        for name, fields in INDEXED.items():
            if (self.folder / name).is_file():
                built = index.build(self.folder / name, fields)
                self._indexes |= {(name, field): found for field, found in built.items()}

    def _refunded_per_invoice(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for refund in self.refunds():
            totals[refund.invoice_id] = totals.get(refund.invoice_id, 0.0) + refund.amount
        return totals

    # --- writing -------------------------------------------------------------------------

    def refund(
        self, invoice_id: str, amount: float, reason: str, idempotency_key: str
    ) -> RefundResult:
        """Record a refund in refunds.json; the same key again returns the first refund."""
        amount = _valid_amount(amount)
        if not idempotency_key.strip():
            raise ConnectorError("a refund needs an idempotency key")
        with locked(self.folder):
            refunds = self.refunds()
            earlier = next((r for r in refunds if r.idempotency_key == idempotency_key), None)
            if earlier is not None:
                return _replay(earlier, invoice_id, amount)
            invoice = self._refundable_invoice(invoice_id, amount, refunds)
            refund = RefundResult(
                refund_id=f"re_{len(refunds) + 1:07d}",
                invoice_id=invoice_id,
                amount=amount,
                currency=invoice.currency,
                reason=reason,
                idempotency_key=idempotency_key,
                created_at=self.clock(),
            )
            rows = [r.model_dump(mode="json", exclude={"replayed"}) for r in [*refunds, refund]]
            write_json_atomic(self.folder / REFUNDS, rows)
        return refund

    def _refundable_invoice(
        self, invoice_id: str, amount: float, refunds: Sequence[RefundResult]
    ) -> Invoice:
        found = self._lookup(INVOICES, "id", invoice_id, Invoice)
        invoice = found[0] if found else None
        if invoice is None:
            raise ConnectorError(f"no invoice '{invoice_id}' in {self.folder / INVOICES}")
        if invoice.status not in REFUNDABLE_STATUSES:
            raise ConnectorError(f"invoice {invoice.number} is {invoice.status}; only paid ones")
        already = sum(r.amount for r in refunds if r.invoice_id == invoice_id)
        remaining = round(invoice.total - already, 2)
        if amount > remaining + CENT:
            raise ConnectorError(
                f"refund of {amount:.2f} exceeds the {remaining:.2f} {invoice.currency} "
                f"still refundable on invoice {invoice.number}"
            )
        return invoice

    def change_setting(
        self, customer_id: str, setting: AccountSetting, value: str, idempotency_key: str
    ) -> SettingChanged:
        """Record a billing email, plan or seat change in account_changes.json: one atomic
        write, so a failure changes nothing. The same key again returns the first change."""
        if not idempotency_key.strip():
            raise ConnectorError("an account change needs an idempotency key")
        with locked(self.folder):
            changes = self.account_changes()
            earlier = next((c for c in changes if c.idempotency_key == idempotency_key), None)
            if earlier is not None:
                return _replayed_change(earlier, customer_id, setting, value)
            old = self._current(customer_id, setting)
            new = self._valid_value(setting, value)
            if new == old:
                raise ConnectorError(f"the {setting.replace('_', ' ')} is already {old}")
            change = SettingChanged(
                customer_id=customer_id,
                setting=setting,
                old_value=old,
                new_value=new,
                reference=f"chg_{len(changes) + 1:07d}",
                idempotency_key=idempotency_key,
                at=self.clock(),
            )
            rows = [c.model_dump(mode="json", exclude={"replayed"}) for c in [*changes, change]]
            write_json_atomic(self.folder / ACCOUNT_CHANGES, rows)
        return change

    def _current(self, customer_id: str, setting: AccountSetting) -> str:
        if setting == "billing_email":
            email = self.billing_email(customer_id)
            if email is None:
                raise ConnectorError(f"no customer '{customer_id}' in {self.folder / CUSTOMERS}")
            return email
        subscription = self.subscription(customer_id)
        if subscription is None:
            raise ConnectorError(f"customer '{customer_id}' has no subscription to change")
        return subscription.plan_id if setting == "plan" else str(subscription.seats)

    def _valid_value(self, setting: AccountSetting, value: str) -> str:
        text = value.strip()
        if setting == "billing_email":
            if not _EMAIL.match(text):
                raise ConnectorError(f"'{value}' is not an email address")
            return text.lower()
        if setting == "plan":
            if text not in {p.id for p in self.plans()}:
                known = ", ".join(p.id for p in self.plans())
                raise ConnectorError(f"no plan '{value}' in {self.folder / PLANS}; known: {known}")
            return text
        if not text.isdigit() or int(text) < 1:
            raise ConnectorError(f"seats must be a whole number of at least 1, not '{value}'")
        return str(int(text))

    def add_bug(self, new: NewBug) -> Bug:
        """Append a bug to bugs.json with the next free id."""
        with locked(self.folder):
            bugs = self.bugs()
            bug = Bug(
                id=f"BUG-{_next_number(b.id for b in bugs)}",
                title=new.title,
                status="open",
                page_url=new.page_url,
                error_signature=new.error_signature,
                created=self.clock().date(),
            )
            write_json_atomic(self.folder / BUGS, [b.model_dump(mode="json") for b in [*bugs, bug]])
        return bug

    def record_outgoing(self, kind: str, payload: dict[str, Any]) -> str:
        """Append what would have been sent to ``outbox.jsonl``; returns its reference."""
        with locked(self.folder):
            reference = f"out_{len(self.outbox()) + 1:07d}"
            row = {"id": reference, "at": self.clock().isoformat(), "kind": kind, **payload}
            append_json_line(self.folder / OUTBOX, _jsonable(row))
        return reference


def _first(records: list[RecordT]) -> RecordT | None:
    return records[0] if records else None


def _plan_changes_made(
    changes: Sequence[SettingChanged], original: dict[str, Subscription]
) -> list[PlanChange]:
    """Plan changes made through the desk, in the cycle of the subscription as recorded."""
    return [
        PlanChange(
            customer_id=c.customer_id,
            at=c.at.date(),
            from_plan=c.old_value,
            to_plan=c.new_value,
            cycle_start=original[c.customer_id].cycle_start,
            cycle_end=original[c.customer_id].cycle_end,
        )
        for c in changes
        if c.setting == "plan" and c.customer_id in original
    ]


def _parse(path: Path, model: type[RecordT]) -> list[RecordT]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list):
            raise ValueError("expected a JSON array of records")
        return [model.model_validate(row) for row in rows]
    except (ValueError, ValidationError, UnicodeDecodeError) as error:
        first_line = str(error).splitlines()[0]
        raise ConnectorError(f"{path}: not valid {model.__name__} records: {first_line}") from None


def _valid_amount(amount: float) -> float:
    if not amount > 0:  # also refuses NaN
        raise ConnectorError(f"a refund amount must be positive, not {amount}")
    return round(amount, 2)


def _replay(earlier: RefundResult, invoice_id: str, amount: float) -> RefundResult:
    if earlier.invoice_id != invoice_id or abs(earlier.amount - amount) > CENT:
        raise ConnectorError(
            f"idempotency key '{earlier.idempotency_key}' was already used for a refund of "
            f"{earlier.amount:.2f} on {earlier.invoice_id}; use a new key for a new refund"
        )
    return earlier.model_copy(update={"replayed": True})


def _after_refunds(invoice: Invoice, refunded: float) -> Invoice:
    if refunded and invoice.total > 0 and refunded >= invoice.total - CENT:
        return invoice.model_copy(update={"status": "refunded"})
    return invoice


def _after_changes(subscription: Subscription, changes: Sequence[SettingChanged]) -> Subscription:
    for change in changes:
        if change.customer_id != subscription.customer_id:
            continue
        if change.setting == "plan":
            subscription = subscription.model_copy(update={"plan_id": change.new_value})
        elif change.setting == "seats":
            subscription = subscription.model_copy(update={"seats": int(change.new_value)})
    return subscription


def _after_cancellation(
    subscription: Subscription, canceled: SubscriptionCanceled | None
) -> Subscription:
    if canceled is None:
        return subscription
    status = "non_renewing" if canceled.at_period_end else "canceled"
    return subscription.model_copy(update={"status": status})


def _replayed_change(
    earlier: SettingChanged, customer_id: str, setting: str, value: str
) -> SettingChanged:
    asked = (customer_id, setting, value.strip().lower() if setting == "billing_email" else value)
    if (earlier.customer_id, earlier.setting, earlier.new_value) != asked:
        raise ConnectorError(
            f"idempotency key '{earlier.idempotency_key}' was already used for another change "
            f"({earlier.setting} of {earlier.customer_id}); use a new key"
        )
    return earlier.model_copy(update={"replayed": True})


def _next_number(ids: Any) -> int:
    numbers = [int(m.group()) for i in ids if (m := re.search(r"\d+$", i))]
    return max(numbers, default=100) + 1


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}
