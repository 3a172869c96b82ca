"""Account actions a lockout and a cancellation need: reset the password or unlock the account
through the identity connector, cancel their subscription through the billing connector (previewed
first). Each is audited before and after, so the trail says what was asked even if the answer
is lost."""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING

from deskpilot.actions.common import ActionRefused, Audited, customer_email
from deskpilot.actions.kit import ActionKit
from deskpilot.connectors.capabilities import can_cancel_subscriptions

if TYPE_CHECKING:
    from deskpilot.connectors.models import (
        AccountUnlockResult,
        CancellationPreview,
        PasswordResetResult,
        SubscriptionCanceled,
    )


async def unlock_account(kit: ActionKit, ticket_id: str) -> AccountUnlockResult:
    """Unlock the ticket's customer's account; ActionRefused when the identity system has no
    such account (nothing changed)."""
    customer = (await asyncio.to_thread(kit.ticket, ticket_id)).customer
    if customer is None:
        raise ActionRefused(f"{ticket_id} has no customer to act for")
    params = {"email": customer.email}
    identity = kit.connectors.identity()
    await asyncio.to_thread(kit.audit, "unlock_account.requested", ticket_id, params)
    try:
        result = await identity.unlock_account(customer.email)
    except Exception as error:
        said = str(error)[:500]
        await asyncio.to_thread(
            kit.audit, "unlock_account", ticket_id, params, ok=False, result=said
        )
        raise
    said = f"unlocked={result.unlocked} {result.reference} {result.detail}".strip()
    await asyncio.to_thread(
        kit.audit, "unlock_account", ticket_id, params, ok=result.unlocked, result=said
    )
    if not result.unlocked:
        raise ActionRefused(f"{customer.email} was not unlocked: {result.detail or 'no reason'}")
    await asyncio.to_thread(
        kit.add_note,
        ticket_id,
        f"Unlocked the account of {customer.email} ({result.reference})".strip(),
    )
    return result


async def reset_password(kit: ActionKit, ticket_id: str) -> PasswordResetResult:
    email = await asyncio.to_thread(customer_email, kit, ticket_id)
    identity = kit.connectors.identity()
    async with Audited(kit, "reset_password", ticket_id, {"email": email}) as record:
        result = await identity.send_password_reset(email)
        record["result"] = f"sent={result.sent} {result.reference} {result.detail}".strip()
    return result


# --- cancelling a subscription --------------------------------------------------------------


async def preview_cancellation(
    kit: ActionKit, ticket_id: str, *, at_period_end: bool
) -> CancellationPreview:
    """What cancelling the ticket's customer's subscription would do; changes nothing."""
    billing = kit.connectors.billing()
    if not can_cancel_subscriptions(billing):
        raise ActionRefused(f"the billing connector '{billing.context.name}' cannot cancel")
    billing_id = await _billing_id(kit, ticket_id)
    preview = await billing.preview_cancellation(
        billing_id, at_period_end=at_period_end, today=kit.clock().date()
    )
    return preview.model_copy(update={"currency": kit.settings.currency})


async def cancel_subscription(
    kit: ActionKit, ticket_id: str, preview: CancellationPreview
) -> SubscriptionCanceled:
    """Cancel as previewed, audited before and after; a note on the ticket says what was done.
    The idempotency key stands for the ticket, customer and choice: pressing again cancels
    nothing twice."""
    billing = kit.connectors.billing()
    key = (
        "deskpilot-"
        + hashlib.sha256(
            f"cancel|{ticket_id}|{preview.customer_id}|{preview.at_period_end}".encode()
        ).hexdigest()[:32]
    )
    params = {
        "customer": preview.customer_id,
        "plan": preview.plan_id,
        "at_period_end": preview.at_period_end,
        "ends_on": preview.ends_on.isoformat(),
        "credit": preview.credit,
        "key": key,
    }
    await asyncio.to_thread(kit.audit, "cancel_subscription.requested", ticket_id, params)
    try:
        done = await billing.cancel_subscription(
            preview.customer_id, at_period_end=preview.at_period_end, idempotency_key=key
        )
    except Exception as error:
        said = str(error)[:500]
        await asyncio.to_thread(
            kit.audit, "cancel_subscription", ticket_id, params, ok=False, result=said
        )
        raise
    said = f"ends {done.ends_on} credit {done.credit:.2f} {done.reference}".strip()
    await asyncio.to_thread(kit.audit, "cancel_subscription", ticket_id, params, result=said)
    if not done.replayed:
        note = describe_cancellation(preview) + f" ({done.reference})."
        await asyncio.to_thread(kit.add_note, ticket_id, note)
    return done


def describe_cancellation(preview: CancellationPreview) -> str:
    if preview.at_period_end:
        return f"Cancelled {preview.plan_id} at the period's end: it ends on {preview.ends_on}"
    credit = (
        f", crediting {preview.currency} {preview.credit:,.2f} unused" if preview.credit else ""
    )
    return f"Cancelled {preview.plan_id} now{credit}"


async def _billing_id(kit: ActionKit, ticket_id: str) -> str:
    customer = (await asyncio.to_thread(kit.ticket, ticket_id)).customer
    if customer is None:
        raise ActionRefused(f"{ticket_id} has no customer to act for")
    billing_id = await kit.connectors.billing().billing_customer_id(customer)
    if billing_id is None:
        raise ActionRefused(f"{customer.email} has no account in the billing system")
    return billing_id
