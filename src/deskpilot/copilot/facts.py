"""Facts computed from the records, so a draft states figures instead of guessing them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deskpilot.copilot.context import Fact
from deskpilot.models import Invoice, Plan, PlanChange, Source, Subscription


def money(amount: float, currency: str = "USD") -> str:
    sign = "-" if amount < 0 else ""
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{sign}{symbol}{abs(amount):,.2f}"


@dataclass(frozen=True)
class Proration:
    """What a mid-cycle plan change costs: the unused days of the old plan are credited and
    the rest of the cycle on the new one charged."""

    old: Plan
    new: Plan
    remaining: int  # days left in the cycle
    cycle_days: int
    credit: float
    charge: float

    @property
    def difference(self) -> float:
        return round(self.charge - self.credit, 2)

    def describe(self) -> str:
        """The figures in words: "with 12 of 30 days left ...: a credit of ... extra"."""
        return (
            f"with {self.remaining} of {self.cycle_days} days left in the billing cycle: a credit "
            f"of {money(-self.credit)} for the unused {self.old.name} days and a charge of "
            f"{money(self.charge)} for {self.new.name}, {money(self.difference)} extra"
        )


def prorate(change: PlanChange, plans: Sequence[Plan]) -> Proration | None:
    """The proration of a plan change (past, or one being previewed); None when either plan is
    unknown or the change is not within its cycle."""
    by_id = {plan.id: plan for plan in plans}
    old, new = by_id.get(change.from_plan), by_id.get(change.to_plan)
    if old is None or new is None:
        return None
    cycle_days = (change.cycle_end - change.cycle_start).days
    remaining = (change.cycle_end - change.at).days
    if cycle_days <= 0 or not 0 < remaining <= cycle_days:
        return None
    credit = round(old.monthly_price * remaining / cycle_days, 2)
    charge = round(new.monthly_price * remaining / cycle_days, 2)
    return Proration(old, new, remaining, cycle_days, credit, charge)


def proration_facts(
    changes: Sequence[PlanChange], plans: Sequence[Plan], invoices: Sequence[Invoice]
) -> list[Fact]:
    """For each mid-cycle plan change: days left, credit, charge and the invoice that bills it."""
    facts = []
    for change in changes:
        proration = prorate(change, plans)
        if proration is None:
            continue
        old, new = proration.old, proration.new
        text = (
            f"On {change.at:%B %-d, %Y} the plan changed from {old.name} "
            f"({money(old.monthly_price)}/month) to {new.name} "
            f"({money(new.monthly_price)}/month) {proration.describe()}"
        )
        invoice = _invoice_with_proration(invoices)
        if invoice is not None:
            text += f"; invoice {invoice.number} carries these lines, {money(invoice.total)} in all"
        ref = invoice.id if invoice else f"{change.customer_id}:{change.at}"
        facts.append(
            Fact(
                label="proration",
                text=text,
                source=Source(kind="billing", ref=ref, title="Plan change and proration"),
            )
        )
    return facts


def _invoice_with_proration(invoices: Sequence[Invoice]) -> Invoice | None:
    return next((i for i in invoices if any(line.proration for line in i.lines)), None)


def subscription_facts(subscription: Subscription | None, plans: Sequence[Plan]) -> list[Fact]:
    if subscription is None:
        return []
    plan = next((p for p in plans if p.id == subscription.plan_id), None)
    name = plan.name if plan else subscription.plan_id
    price = f" at {money(plan.monthly_price)}/month" if plan else ""
    text = (
        f"Plan: {name}{price}, {subscription.seats} seat(s), status {subscription.status}; "
        f"the current cycle runs {subscription.cycle_start:%B %-d} to "
        f"{subscription.cycle_end:%B %-d, %Y}, so it renews on {subscription.cycle_end:%B %-d, %Y}"
    )
    source = Source(kind="billing", ref=f"subscription:{subscription.customer_id}", title="Plan")
    return [Fact(label="plan", text=text, source=source)]


def invoice_facts(invoices: Sequence[Invoice], mentioned: str) -> list[Fact]:
    """The invoices the customer mentions (by number), else the latest two, and failed ones."""
    named = [i for i in invoices if i.number.lower() in mentioned.lower()]
    chosen = named or sorted(invoices, key=lambda i: i.issued, reverse=True)[:2]
    chosen += [i for i in invoices if i.status == "failed" and i not in chosen]
    facts = []
    for invoice in chosen:
        lines = "; ".join(
            f"{line.description} {money(line.amount * line.quantity)}" for line in invoice.lines
        )
        text = (
            f"Invoice {invoice.number} issued {invoice.issued:%B %-d, %Y}, {invoice.status}, "
            f"total {money(invoice.total, invoice.currency)} ({lines})"
        )
        source = Source(kind="billing", ref=invoice.id, title=f"Invoice {invoice.number}")
        facts.append(Fact(label="invoice", text=text, source=source))
    return facts
