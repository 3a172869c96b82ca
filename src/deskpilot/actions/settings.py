"""Account settings through the billing connector: billing email, plan, seats.

Previewed first (the value now, the value after, a plan change's proration from the billing
facts), then applied with the value read again: a change since the preview applies nothing.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, cast

from deskpilot.actions.common import (
    ActionRefused,
    Audited,
    idempotency_key,
)
from deskpilot.actions.kit import ActionKit
from deskpilot.connectors.capabilities import updatable_settings
from deskpilot.copilot.facts import money, prorate
from deskpilot.models import PlanChange

if TYPE_CHECKING:
    from deskpilot.connectors.capabilities import Billing
    from deskpilot.connectors.models import (
        AccountSetting,
        SettingChanged,
    )
    from deskpilot.models import Plan


SETTING_TITLES: dict[str, str] = {
    "billing_email": "Billing email",
    "plan": "Plan",
    "seats": "Seats",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class SettingPreview:
    """An account-setting change as the agent confirms it: the value now, the value after, and
    for a plan change the proration the billing facts compute. Nothing has changed yet."""

    ticket_id: str
    customer_id: str  # the billing system's id for the ticket's customer
    setting: AccountSetting
    old_value: str  # as the billing system stores it (a plan id, a seat count)
    new_value: str
    old_shown: str  # for people (a plan's name and price)
    new_shown: str
    proration: str = ""

    @property
    def title(self) -> str:
        return SETTING_TITLES[self.setting]

    def describe(self) -> str:
        text = f"{self.title}: {self.old_shown} -> {self.new_shown}"
        return f"{text}; {self.proration}" if self.proration else text


async def account_settings(kit: ActionKit) -> tuple[list[str], list[Plan]]:
    """The settings the billing connector can change here, and the plans to choose from."""
    billing = kit.connectors.billing()
    settings = updatable_settings(billing)
    return settings, await billing.plans() if "plan" in settings else []


async def preview_setting(
    kit: ActionKit, ticket_id: str, setting: str, value: str
) -> SettingPreview:
    """What changing ``setting`` to ``value`` would do, read from the billing connector;
    ``ActionRefused`` for a value that cannot be applied. Changes nothing."""
    customer = (await asyncio.to_thread(kit.ticket, ticket_id)).customer
    if customer is None:
        raise ActionRefused(f"{ticket_id} has no customer to act for")
    if setting not in SETTING_TITLES:
        raise ActionRefused(f"unknown setting '{setting}'; known: {', '.join(SETTING_TITLES)}")
    billing = kit.connectors.billing()
    title = SETTING_TITLES[setting]
    if setting not in updatable_settings(billing):
        raise ActionRefused(
            f"the billing connector '{billing.context.name}' cannot change the {title.lower()}"
        )
    billing_id = await billing.billing_customer_id(customer)
    if billing_id is None:
        raise ActionRefused(f"billing has no customer with the email {customer.email}")
    if setting == "billing_email":
        preview = await _email_preview(billing, billing_id, value)
    elif setting == "plan":
        preview = await _plan_preview(kit, billing, billing_id, value)
    else:
        preview = await _seats_preview(billing, billing_id, value)
    if preview.new == preview.old:
        raise ActionRefused(f"the {title.lower()} is already {preview.old_shown}")
    return SettingPreview(ticket_id, billing_id, cast("AccountSetting", setting), *preview)


async def update_setting(kit: ActionKit, preview: SettingPreview) -> SettingChanged:
    """Apply a previewed change through the billing connector, audited before and after. The
    value is read again first: if it changed since the preview, nothing is applied."""
    billing = kit.connectors.billing()
    now = await _current(billing, preview.customer_id, preview.setting)
    if now != preview.old_value:
        raise ActionRefused(
            f"the {preview.title.lower()} changed since the preview (now {now}); preview again"
        )
    key = idempotency_key(
        preview.ticket_id, preview.customer_id, preview.setting, now, preview.new_value
    )
    params = {
        "setting": preview.setting,
        "customer": preview.customer_id,
        "from": preview.old_value,
        "to": preview.new_value,
        "key": key,
    }
    if preview.proration:
        params["proration"] = preview.proration
    async with Audited(kit, "update_setting", preview.ticket_id, params) as record:
        changed = await _apply(billing, preview, key)
        record["result"] = f"{changed.old_value} -> {changed.new_value} {changed.reference}".strip()
    note = f"Changed the {preview.title.lower()} from {preview.old_shown} to {preview.new_shown}"
    if preview.proration:
        note += f"; {preview.proration}"
    note += f" ({billing.context.name} {changed.reference})."
    await asyncio.to_thread(kit.add_note, preview.ticket_id, note)
    return changed


class _Values(NamedTuple):
    old: str
    new: str
    old_shown: str
    new_shown: str
    proration: str


def _values(
    old: str, new: str, old_shown: str = "", new_shown: str = "", proration: str = ""
) -> _Values:
    return _Values(old, new, old_shown or old, new_shown or new, proration)


async def _email_preview(billing: Billing, billing_id: str, value: str) -> _Values:
    new = value.strip().lower()
    if not _EMAIL.match(new):
        raise ActionRefused(f"'{value.strip()}' is not an email address")
    old = await billing.billing_email(billing_id)
    return _values(old or "", new, old or "(none)", new)


async def _plan_preview(kit: ActionKit, billing: Billing, billing_id: str, value: str) -> _Values:
    subscription = await billing.subscription(billing_id)
    if subscription is None:
        raise ActionRefused("the customer has no subscription whose plan could change")
    plans = await billing.plans()
    by_id = {plan.id: plan for plan in plans}
    new = by_id.get(value.strip())
    if new is None:
        known = ", ".join(f"{p.name} ({p.id})" for p in plans) or "none"
        raise ActionRefused(f"no plan '{value.strip()}'; the plans: {known}")
    old = by_id.get(subscription.plan_id)

    def shown(plan_id: str) -> str:
        plan = by_id.get(plan_id)
        return f"{plan.name} ({money(plan.monthly_price)}/month)" if plan else plan_id

    change = PlanChange(
        customer_id=billing_id,
        at=kit.clock().date(),
        from_plan=subscription.plan_id,
        to_plan=new.id,
        cycle_start=subscription.cycle_start,
        cycle_end=subscription.cycle_end,
    )
    proration = prorate(change, plans)
    said = f"prorated {proration.describe()}" if proration else ""
    if old is not None and proration is None and old.id != new.id:
        said = "no proration (the change is not within the current billing cycle)"
    return _values(subscription.plan_id, new.id, shown(subscription.plan_id), shown(new.id), said)


async def _seats_preview(billing: Billing, billing_id: str, value: str) -> _Values:
    text = value.strip()
    if not text.isdigit() or int(text) < 1:
        raise ActionRefused(f"seats must be a whole number of at least 1, not '{text}'")
    subscription = await billing.subscription(billing_id)
    if subscription is None:
        raise ActionRefused("the customer has no subscription whose seats could change")
    return _values(str(subscription.seats), str(int(text)))


async def _current(billing: Billing, billing_id: str, setting: str) -> str:
    if setting == "billing_email":
        return await billing.billing_email(billing_id) or ""
    subscription = await billing.subscription(billing_id)
    if subscription is None:
        return ""
    return subscription.plan_id if setting == "plan" else str(subscription.seats)


async def _apply(billing: Billing, preview: SettingPreview, key: str) -> SettingChanged:
    if preview.setting == "billing_email":
        return await billing.change_billing_email(preview.customer_id, preview.new_value, key)
    if preview.setting == "plan":
        return await billing.change_plan(preview.customer_id, preview.new_value, key)
    return await billing.change_seats(preview.customer_id, int(preview.new_value), key)
