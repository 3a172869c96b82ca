"""One-key actions that reach outside DeskPilot: password reset, refund, account settings, bug
ticket, the team's hand-off channel.

Each is recorded as requested before it runs and with its result after, so a crash in
between still leaves a trace. Money moves once and the audit trail says what moved: see
``refund`` for the keys, the look-ups after a lost answer, the confirmations and the limits.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast

from deskpilot.errors import DeskPilotError
from deskpilot.url_secrets import UrlSecretsFilter

if TYPE_CHECKING:
    from deskpilot.connectors.capabilities import Billing
    from deskpilot.connectors.models import (
        AccountSetting,
        BugCreated,
        BugMatch,
        HandoffPosted,
        Order,
        PasswordResetResult,
        RefundResult,
        SettingChanged,
    )
    from deskpilot.desk import Desk
    from deskpilot.models import ActionRecord, Bug, Invoice, Plan, Ticket


log = logging.getLogger(__name__)
log.addFilter(UrlSecretsFilter())  # errors it logs may quote a URL with its key

SETTING_TITLES: dict[str, str] = {
    "billing_email": "Billing email",
    "plan": "Plan",
    "seats": "Seats",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# "order #1042", "order no. A-77", "#1042": what customers write about an order.
_ORDER_REF = re.compile(
    r"(?:\border\b\s*(?:no\.?|number|nr\.?)?\s*#?|#)\s*((?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{2,})",
    re.IGNORECASE,
)
ORDER_LIMIT = 3


class ActionRefused(DeskPilotError):
    pass


class RefundNeedsConfirmation(ActionRefused):
    """The invoice was refunded within the last day: the agent confirms a further refund by
    naming the latest earlier one (``refund(..., confirm_after=earlier.reference)``)."""

    def __init__(self, earlier: EarlierRefund, amount: float, currency: str) -> None:
        super().__init__(
            f"{earlier.describe()}; refunding {currency} {amount:,.2f} more needs your confirmation"
        )
        self.earlier = earlier
        self.amount = amount


class RefundOutcomeUnknown(DeskPilotError):
    """The billing system's answer was lost and the refund could not be looked up: it may have
    been made. It counts against the limits until a later attempt finds out."""


@dataclass(frozen=True)
class Escalation:
    """How an escalation went. The ticket is escalated either way; ``posted`` says where the
    team was told, ``problem`` why it was not (empty when no notify connector is configured)."""

    ticket_id: str
    posted: HandoffPosted | None = None
    problem: str = ""

    @property
    def notified(self) -> bool:
        return self.posted is not None

    def describe(self) -> str:
        if self.posted is not None:
            return f"Escalated; the team was notified in {self.posted.channel}"
        if self.problem:
            return f"Escalated, but the team was not notified: {self.problem}"
        return "Escalated; no team channel is configured (notify), so tell them yourself"


async def reset_password(desk: Desk, ticket_id: str) -> PasswordResetResult:
    email = _customer_email(desk, ticket_id)
    identity = desk.connectors.identity()
    with _Audited(desk, "reset_password", ticket_id, {"email": email}) as record:
        result = await identity.send_password_reset(email)
        record["result"] = f"sent={result.sent} {result.reference} {result.detail}".strip()
    return result


async def customer_invoices(desk: Desk, ticket_id: str) -> list[Invoice]:
    customer = desk.ticket(ticket_id).customer
    if customer is None:
        return []
    billing = desk.connectors.billing()
    billing_id = await billing.billing_customer_id(customer)  # the billing system's own id
    return [] if billing_id is None else await billing.invoices(billing_id, limit=12)


# --- refunds ---------------------------------------------------------------------------------
#
# Every refund attempt is two audit records sharing one idempotency key: ``refund.requested``
# before the billing connector is called, then ``refund`` with its outcome:
#   moved     the money moved (``moved`` is the amount, ``refund_id`` the billing system's id;
#             ``recovered`` when the answer was lost and the refund was found by looking it up)
#   replayed  the billing system returned a refund already recorded as moved: nothing new moved
#   failed    nothing moved (the billing system said no, or a look-up found no refund)
#   unknown   the answer was lost and the look-up failed too: it may have moved
#   refused   the desk refused it (a limit); it never reached the billing system
# ``ok`` is true for moved and replayed only, so the trail's moved total is the money that moved.

REFUND_WINDOW = timedelta(days=1)  # a further refund of an invoice within this asks to confirm
# A request this young without an outcome may still be on its way (another press, another
# desk): it is not looked up yet, and a retry of the same intent sends its key again.
IN_FLIGHT = timedelta(minutes=5)
CENT = 0.005
RefundOutcome = Literal["moved", "replayed", "failed", "unknown", "refused"]


@dataclass(frozen=True)
class EarlierRefund:
    """A refund of an invoice the audit trail holds: made (``refund_id``), or sent with its
    outcome still unknown (it may have been made)."""

    invoice_id: str
    amount: float
    currency: str
    agent: str
    ticket_id: str
    at: datetime
    refund_id: str = ""  # empty while the outcome is unknown
    key: str = ""

    @property
    def reference(self) -> str:
        """What the agent's confirmation names: the refund, or the key of an unknown one."""
        return self.refund_id or self.key

    def describe(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M} UTC by {self.agent} on {self.ticket_id}"
        money = f"{self.currency} {self.amount:,.2f}"
        if self.refund_id:
            return f"{money} was already refunded on {self.invoice_id} ({self.refund_id}, {when})"
        return (
            f"{money} may already have been refunded on {self.invoice_id} (outcome unknown, {when})"
        )


@dataclass
class _Attempt:
    """One idempotency key's story in the audit trail: who asked what, and how it ended."""

    key: str
    ticket_id: str
    invoice_id: str
    agent: str
    amount: float  # asked (the latest request with this key)
    at: datetime  # first asked
    outcome: RefundOutcome | Literal[""] = ""  # "" : asked, no outcome recorded (a crash)
    moved: float = 0.0
    refund_id: str = ""

    @property
    def state(self) -> RefundOutcome:
        return self.outcome or "unknown"

    @property
    def counted(self) -> float:
        """What the limits count: the money moved, or the amount asked while unknown."""
        if self.state == "unknown":
            return self.amount
        return self.moved


async def refund(
    desk: Desk,
    ticket_id: str,
    invoice_id: str,
    amount: float,
    reason: str,
    *,
    confirm_after: str = "",
) -> RefundResult:
    """Refund ``amount`` of an invoice, once, within the limits, audited as it goes.

    - The idempotency key stands for the agent's intent (ticket, invoice, agent), not the
      amount: a retry of an attempt whose outcome is unknown, even for 49.99 instead of 50.00,
      is the same request, which the billing system never carries out twice.
    - Earlier lost answers on the invoice are looked up first, and a lost answer now is looked
      up at once (``Billing.find_refund``): what moved is recorded before anything is reported
      or retried.
    - The per-agent limit applies to what the agent refunds on the invoice, and on the ticket,
      in total; the team's daily limit to every refund since midnight UTC. Both count refunds
      whose outcome is unknown. A refusal is audited (``ok`` false, ``outcome`` refused).
    - A further refund of an invoice refunded within a day raises ``RefundNeedsConfirmation``
      naming the latest earlier refund; pass its ``reference`` as ``confirm_after`` to go on.
    """
    currency = desk.settings.actions.currency
    amount, reason = round(amount, 2), reason.strip()
    if amount <= 0:
        raise ActionRefused("the refund amount must be more than zero")
    if not reason:
        raise ActionRefused("give a reason for the refund; it goes on the invoice and the audit")
    billing = desk.connectors.billing()
    await _settle_lost_answers(desk, billing, invoice_id)
    attempts = _attempts(_refund_records(desk))
    key = _refund_key(attempts, ticket_id, invoice_id, desk.agent)
    refusal = _limit_problem(desk, attempts, ticket_id, invoice_id, amount, key)
    if refusal:
        params = {"invoice": invoice_id, "amount": amount, "reason": reason}
        desk.audit("refund", ticket_id, params | _outcome("refused"), ok=False, result=refusal)
        raise ActionRefused(refusal)
    earlier = earlier_refunds(desk, invoice_id, attempts, but_key=key)
    if earlier and confirm_after != earlier[-1].reference:
        raise RefundNeedsConfirmation(earlier[-1], amount, currency)
    params = {"invoice": invoice_id, "amount": amount, "reason": reason, "key": key}
    if confirm_after:
        params["confirmed_after"] = confirm_after
    desk.audit("refund.requested", ticket_id, params)
    try:
        result = await billing.refund(invoice_id, amount, reason, key)
    except Exception as error:
        return await _after_lost_answer(desk, billing, ticket_id, params, error)
    return _record_refund(desk, ticket_id, params, result)


def earlier_refunds(
    desk: Desk,
    invoice_id: str,
    attempts: list[_Attempt] | None = None,
    *,
    but_key: str = "",
) -> list[EarlierRefund]:
    """The invoice's refunds of the last day that moved or may have moved, oldest first."""
    if attempts is None:
        attempts = _attempts(_refund_records(desk))
    since = desk.clock() - REFUND_WINDOW
    currency = desk.settings.actions.currency
    return [
        EarlierRefund(
            invoice_id=a.invoice_id,
            amount=a.counted,
            currency=currency,
            agent=a.agent,
            ticket_id=a.ticket_id,
            at=a.at,
            refund_id=a.refund_id if a.state == "moved" else "",
            key=a.key,
        )
        for a in attempts
        if a.invoice_id == invoice_id
        and a.key != but_key
        and a.state in ("moved", "unknown")
        and a.at >= since
    ]


def refunded_today(desk: Desk) -> float:
    """What the whole team refunded since midnight UTC, from the audit trail: every refund that
    moved, and every one whose outcome is unknown (it may have)."""
    start = desk.clock().replace(hour=0, minute=0, second=0, microsecond=0)
    return round(sum(a.counted for a in _attempts(_refund_records(desk)) if a.at >= start), 2)


def refunded_total(desk: Desk, invoice_id: str | None = None) -> float:
    """The money the audit trail says moved (each refund once), on one invoice or on all."""
    attempts = _attempts(_refund_records(desk))
    return round(
        sum(
            a.moved
            for a in attempts
            if a.state == "moved" and (invoice_id is None or a.invoice_id == invoice_id)
        ),
        2,
    )


def _limit_problem(
    desk: Desk,
    attempts: list[_Attempt],
    ticket_id: str,
    invoice_id: str,
    amount: float,
    key: str,
) -> str:
    """Why the refund would pass a limit, or "" when it would not. An unknown attempt with the
    key about to be sent again is not counted: the same key moves money once at most."""
    settings = desk.settings.actions
    currency = settings.currency
    limit = settings.refund_limit_for(desk.agent)
    where = (
        f"[actions.agent_refund_limits] {desk.agent}"
        if desk.agent in settings.agent_refund_limits
        else "[actions] refund_limit"
    )
    counted = [a for a in attempts if a.key != key and a.counted > 0]
    if amount > limit + CENT:
        return (
            f"refunds above {currency} {limit:,.2f} need a lead ({where}); "
            f"this one is {currency} {amount:,.2f}"
        )
    mine = [a for a in counted if a.agent == desk.agent]
    for scope, total in (
        (f"invoice {invoice_id}", sum(a.counted for a in mine if a.invoice_id == invoice_id)),
        (f"ticket {ticket_id}", sum(a.counted for a in mine if a.ticket_id == ticket_id)),
    ):
        if total > 0 and total + amount > limit + CENT:
            return (
                f"you have refunded {currency} {total:,.2f} on {scope} already; another "
                f"{currency} {amount:,.2f} would make {currency} {total + amount:,.2f}, above "
                f"your limit of {currency} {limit:,.2f} for one invoice or ticket ({where}): "
                "ask a lead"
            )
    if settings.daily_refund_limit is not None:
        start = desk.clock().replace(hour=0, minute=0, second=0, microsecond=0)
        today = round(sum(a.counted for a in counted if a.at >= start), 2)
        if today + amount > settings.daily_refund_limit + CENT:
            return (
                f"the team has refunded {currency} {today:,.2f} today; this one would pass the "
                f"daily limit of {currency} {settings.daily_refund_limit:,.2f} "
                "([actions] daily_refund_limit)"
            )
    return ""


def _refund_key(attempts: list[_Attempt], ticket_id: str, invoice_id: str, agent: str) -> str:
    """The key for this agent's refund of this invoice on this ticket: the key of an attempt
    whose outcome is unknown (sending it again is safe: it moves money once at most), else a
    new one (a key whose outcome is known would only replay that outcome)."""
    mine = [
        a
        for a in attempts
        if (a.ticket_id, a.invoice_id, a.agent) == (ticket_id, invoice_id, agent)
    ]
    pending = next((a for a in mine if a.state == "unknown"), None)
    if pending is not None:
        return pending.key
    return _key("refund", ticket_id, invoice_id, agent, str(len(mine)))


async def _settle_lost_answers(desk: Desk, billing: Billing, invoice_id: str) -> None:
    """Look up the invoice's attempts whose outcome is unknown, and record what they did. An
    attempt the look-up cannot settle stays unknown (and counted against the limits); one that
    may still be on its way is left to finish."""
    now = desk.clock()
    for attempt in _attempts(_refund_records(desk)):
        if attempt.invoice_id != invoice_id or attempt.state != "unknown":
            continue
        if not attempt.outcome and now - attempt.at < IN_FLIGHT:
            continue
        try:
            found = await billing.find_refund(invoice_id, attempt.key)
        except Exception as error:  # whatever the connector raised: it stays unknown
            log.warning("refund %s on %s not looked up: %s", attempt.key, invoice_id, error)
            continue
        params = {
            "invoice": invoice_id,
            "amount": attempt.amount,
            "key": attempt.key,
            "agent": attempt.agent,
        }
        if found is not None:
            _record_refund(desk, attempt.ticket_id, params, found, recovered=True)
        else:
            said = f"looked up later: no refund with the key {attempt.key}; nothing moved"
            desk.audit(
                "refund", attempt.ticket_id, params | _outcome("failed"), ok=False, result=said
            )


async def _after_lost_answer(
    desk: Desk, billing: Billing, ticket_id: str, params: dict[str, Any], error: Exception
) -> RefundResult:
    """The refund call failed. Unless the billing system clearly said no, the refund may have
    been made: look it up by its key before reporting, and record what moved."""
    invoice_id, key = str(params["invoice"]), str(params["key"])
    problem = _problem(error)
    if _clearly_refused(error):
        desk.audit("refund", ticket_id, params | _outcome("failed"), ok=False, result=problem)
        raise error
    try:
        found = await billing.find_refund(invoice_id, key)
    except Exception as lookup_error:
        said = f"{problem}; the look-up failed too ({_problem(lookup_error)}): it may have moved"
        desk.audit("refund", ticket_id, params | _outcome("unknown"), ok=False, result=said)
        raise RefundOutcomeUnknown(
            f"the refund's outcome is unknown ({problem}) and it could not be looked up "
            f"({_problem(lookup_error)}); it counts against the limits until a later try "
            "looks it up, and trying again sends the same request, which cannot refund twice"
        ) from error
    if found is not None:
        return _record_refund(desk, ticket_id, params, found, recovered=True, after=problem)
    said = f"{problem}; no refund with the key {key} was found: nothing moved"
    desk.audit("refund", ticket_id, params | _outcome("failed"), ok=False, result=said)
    raise ActionRefused(f"{problem}; nothing was refunded (looked up by its key)") from error


def _record_refund(
    desk: Desk,
    ticket_id: str,
    params: dict[str, Any],
    result: RefundResult,
    *,
    recovered: bool = False,
    after: str = "",
) -> RefundResult:
    """Record a refund the billing system returned: moved, or a replay of one already recorded
    (the same refund id), which moves nothing and adds no note."""
    attempts = _attempts(_refund_records(desk))
    already = any(a.state == "moved" and a.refund_id == result.refund_id for a in attempts)
    outcome: RefundOutcome = "replayed" if already else "moved"
    moved = 0.0 if already else result.amount
    record = (
        params
        | _outcome(outcome, moved)
        | {
            "refund_id": result.refund_id,
            "replayed": result.replayed,
            "recovered": recovered,
        }
    )
    said = f"{result.status} {result.refund_id} {result.amount:.2f}"
    if recovered:
        said += f" (found by its key after: {after or 'an answer that was lost'})"
    desk.audit("refund", ticket_id, record, result=said)
    if not already:
        desk.add_note(
            ticket_id,
            f"Refunded {result.currency} {result.amount:,.2f} on {result.invoice_id} "
            f"({result.reason or params.get('reason', '')}); refund {result.refund_id}.",
        )
    return result.model_copy(update={"replayed": result.replayed or already})


def _clearly_refused(error: Exception) -> bool:
    """The billing system (or the desk) said no before anything could move: no look-up needed.
    A conflict (409) or an idempotency error may hide an earlier refund with the key."""
    from deskpilot.connectors.errors import (
        ConnectorAuthError,
        ConnectorRateLimitedError,
        NotSupportedError,
        RemoteApiError,
    )

    if isinstance(error, (ActionRefused, NotSupportedError, ConnectorAuthError)):
        return True
    if isinstance(error, ConnectorRateLimitedError):
        return True
    return (
        isinstance(error, RemoteApiError)
        and error.status is not None
        and 400 <= error.status < 500
        and error.status != 409
        and error.code != "idempotency_error"
    )


def _outcome(outcome: RefundOutcome, moved: float = 0.0) -> dict[str, Any]:
    return {"outcome": outcome, "moved": round(moved, 2)}


def _refund_records(desk: Desk) -> list[ActionRecord]:
    records = desk.store.list_actions(action="refund.requested")
    records += desk.store.list_actions(action="refund")
    return sorted(records, key=lambda r: (r.id or 0, r.at))


_LEGACY_RESULT = re.compile(r"^\S+ (\S+) ")  # "succeeded re_123 10.00", before outcomes


def _attempts(records: Iterable[ActionRecord]) -> list[_Attempt]:
    """Each key's attempt, in the order first asked. Records without a key (refused by a
    limit) are no attempt; records from before outcomes were written read as moved when ok."""
    by_key: dict[str, _Attempt] = {}
    for record in records:
        key = str(record.params.get("key") or "")
        if not key:
            continue
        attempt = by_key.get(key)
        if record.action == "refund.requested":
            if attempt is None:
                attempt = by_key[key] = _Attempt(
                    key=key,
                    ticket_id=record.ticket_id or "",
                    invoice_id=str(record.params.get("invoice") or ""),
                    agent=record.actor,
                    amount=float(record.params.get("amount") or 0),
                    at=record.at,
                )
            else:
                attempt.amount = float(record.params.get("amount") or 0)
            if attempt.outcome != "moved":
                attempt.outcome = ""  # asked again: unknown until its outcome is recorded
            continue
        if attempt is None:  # an outcome without its request: read it as its own attempt
            attempt = by_key[key] = _Attempt(
                key=key,
                ticket_id=record.ticket_id or "",
                invoice_id=str(record.params.get("invoice") or ""),
                agent=str(record.params.get("agent") or record.actor),
                amount=float(record.params.get("amount") or 0),
                at=record.at,
            )
        _apply_outcome(attempt, record)
    return list(by_key.values())


def _apply_outcome(attempt: _Attempt, record: ActionRecord) -> None:
    outcome = record.params.get("outcome")
    if outcome is None:  # written before outcomes: ok meant the refund was made
        outcome = "moved" if record.ok else "failed"
        moved = float(record.params.get("amount") or 0) if record.ok else 0.0
        found = _LEGACY_RESULT.match(record.result)
        refund_id = found.group(1) if found else ""
    else:
        moved = float(record.params.get("moved") or 0)
        refund_id = str(record.params.get("refund_id") or "")
    if attempt.outcome == "moved":
        return  # one key moves money once: a later replay or lost answer changes nothing
    attempt.outcome = cast("RefundOutcome", outcome)
    if outcome == "moved":
        attempt.moved, attempt.refund_id = moved, refund_id


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


async def account_settings(desk: Desk) -> tuple[list[str], list[Plan]]:
    """The settings the billing connector can change here, and the plans to choose from."""
    from deskpilot.connectors.capabilities import updatable_settings

    billing = desk.connectors.billing()
    settings = updatable_settings(billing)
    return settings, await billing.plans() if "plan" in settings else []


async def preview_setting(desk: Desk, ticket_id: str, setting: str, value: str) -> SettingPreview:
    """What changing ``setting`` to ``value`` would do, read from the billing connector;
    ``ActionRefused`` for a value that cannot be applied. Changes nothing."""
    from deskpilot.connectors.capabilities import updatable_settings

    customer = desk.ticket(ticket_id).customer
    if customer is None:
        raise ActionRefused(f"{ticket_id} has no customer to act for")
    if setting not in SETTING_TITLES:
        raise ActionRefused(f"unknown setting '{setting}'; known: {', '.join(SETTING_TITLES)}")
    billing = desk.connectors.billing()
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
        preview = await _plan_preview(desk, billing, billing_id, value)
    else:
        preview = await _seats_preview(billing, billing_id, value)
    if preview.new == preview.old:
        raise ActionRefused(f"the {title.lower()} is already {preview.old_shown}")
    return SettingPreview(ticket_id, billing_id, cast("AccountSetting", setting), *preview)


async def update_setting(desk: Desk, preview: SettingPreview) -> SettingChanged:
    """Apply a previewed change through the billing connector, audited before and after. The
    value is read again first: if it changed since the preview, nothing is applied."""
    billing = desk.connectors.billing()
    now = await _current(billing, preview.customer_id, preview.setting)
    if now != preview.old_value:
        raise ActionRefused(
            f"the {preview.title.lower()} changed since the preview (now {now}); preview again"
        )
    key = _key(preview.ticket_id, preview.customer_id, preview.setting, now, preview.new_value)
    params = {
        "setting": preview.setting,
        "customer": preview.customer_id,
        "from": preview.old_value,
        "to": preview.new_value,
        "key": key,
    }
    if preview.proration:
        params["proration"] = preview.proration
    with _Audited(desk, "update_setting", preview.ticket_id, params) as record:
        changed = await _apply(billing, preview, key)
        record["result"] = f"{changed.old_value} -> {changed.new_value} {changed.reference}".strip()
    note = f"Changed the {preview.title.lower()} from {preview.old_shown} to {preview.new_shown}"
    if preview.proration:
        note += f"; {preview.proration}"
    desk.add_note(preview.ticket_id, f"{note} ({billing.context.name} {changed.reference}).")
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


async def _plan_preview(desk: Desk, billing: Billing, billing_id: str, value: str) -> _Values:
    from deskpilot.copilot.facts import money, prorate
    from deskpilot.models import PlanChange

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
        at=desk.clock().date(),
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


@dataclass(frozen=True)
class StatusReport:
    """Where the things a ticket refers to stand now: its linked bugs in the tracker and, when
    an ``orders`` connector serves the desk, the customer's orders. Read-only."""

    ticket_id: str
    bugs: list[Bug]
    unknown_bugs: list[str]  # linked, but the tracker no longer has them
    orders: list[Order]
    problems: list[str]  # sources that failed, each on its own line

    def lines(self) -> list[str]:
        lines = [f"{b.id}: {b.status} · {b.title}" for b in self.bugs]
        lines += [f"{bug_id}: not found in the bug tracker" for bug_id in self.unknown_bugs]
        for order in self.orders:
            line = f"Order {order.id}: {order.status} · placed {order.placed_at:%Y-%m-%d}"
            if order.carrier:
                line += f" · {order.carrier}"
            if order.estimated_delivery:
                line += f" · due {order.estimated_delivery:%Y-%m-%d}"
            if order.tracking_url:
                line += f" · {order.tracking_url}"
            lines.append(line)
        lines += [f"{problem}" for problem in self.problems]
        return lines or ["No linked bugs or orders to look up."]


def linked_bugs(desk: Desk, ticket_id: str) -> list[str]:
    """Bug ids linked to the ticket or filed from it, in order, each once: read from the audit
    trail's records of those actions, never from message text (anyone can write a note that
    looks like "Linked to known bug BUG-109"; an import or a post could carry one)."""
    bug_ids: list[str] = []
    for record in desk.store.list_actions(ticket_id):
        if not record.ok:
            continue
        if record.action == "link_bug":
            bug_ids.append(str(record.params.get("bug_id", "")))
        elif record.action == "create_bug":
            bug_ids.append(record.result)  # the tracker's id for the bug it filed
    return [bug_id for bug_id in dict.fromkeys(bug_ids) if bug_id]


def mentioned_orders(ticket: Ticket) -> list[str]:
    """Order numbers the customer's messages and subject mention."""
    text = "\n".join(
        [ticket.subject, *(m.body for m in ticket.messages if m.author.value == "customer")]
    )
    return list(dict.fromkeys(_ORDER_REF.findall(text)))


async def look_up_status(desk: Desk, ticket_id: str) -> StatusReport:
    """The current status of the ticket's linked bugs and of its orders; each source that fails
    is one line of ``problems``, the others still answer. Recorded once in the audit trail."""
    ticket = desk.ticket(ticket_id)
    problems: list[str] = []
    bugs, unknown = await _bug_statuses(desk, linked_bugs(desk, ticket_id), problems)
    orders = await _order_statuses(desk, ticket, problems)
    report = StatusReport(ticket_id, bugs, unknown, orders, problems)
    params = {"bugs": [b.id for b in bugs] + unknown, "orders": [o.id for o in orders]}
    said = "; ".join(report.lines())
    desk.audit("status_lookup", ticket_id, params, ok=not problems, result=said[:500])
    return report


async def _bug_statuses(
    desk: Desk, bug_ids: list[str], problems: list[str]
) -> tuple[list[Bug], list[str]]:
    if not bug_ids:
        return [], []
    try:
        issues = desk.connectors.issues()
        found = [(bug_id, await issues.bug(bug_id)) for bug_id in bug_ids]
    except Exception as error:  # the tracker is one source: the orders still answer
        problems.append(f"bug tracker: {_problem(error)}")
        return [], []
    return [b for _i, b in found if b is not None], [i for i, b in found if b is None]


async def _order_statuses(desk: Desk, ticket: Ticket, problems: list[str]) -> list[Order]:
    from deskpilot.connectors.errors import NoConnectorError

    try:
        orders = desk.connectors.orders()
    except NoConnectorError:
        return []  # no shop here: there are no orders to look up
    except DeskPilotError as error:
        problems.append(f"orders: {error}")
        return []
    try:
        numbers = mentioned_orders(ticket)
        found = [order for n in numbers if (order := await orders.order(n)) is not None]
        if not found and ticket.customer is not None:
            found = await orders.orders_for_customer(ticket.customer.email, limit=ORDER_LIMIT)
    except Exception as error:
        problems.append(f"orders: {_problem(error)}")
        return []
    return found


async def similar_bugs(desk: Desk, ticket_id: str) -> list[BugMatch]:
    from deskpilot.connectors.models import BugQuery

    issues = desk.connectors.issues()
    return await issues.search_bugs(BugQuery.from_ticket(desk.ticket(ticket_id)), limit=3)


async def create_bug(desk: Desk, ticket_id: str, title: str, description: str) -> BugCreated:
    from deskpilot.connectors.models import NewBug

    ticket = desk.ticket(ticket_id)
    page = ticket.page_context
    new = NewBug(
        title=title.strip(),
        description=description.strip(),
        page_url=page.url if page else "",
        error_signature=page.errors[0] if page and page.errors else "",
        ticket_ids=[ticket_id],
    )
    with _Audited(desk, "create_bug", ticket_id, {"title": new.title}) as record:
        created = await desk.connectors.issues().create_bug(new)
        record["result"] = created.bug.id
    desk.add_note(
        ticket_id, f"Filed bug {created.bug.id}: {created.bug.title} {created.url}".strip()
    )
    return created


def link_bug(desk: Desk, ticket_id: str, bug_id: str, title: str) -> None:
    """Link the ticket to a known bug: the audit record is the link (``linked_bugs`` reads
    it); the note tells the team in the thread."""
    with desk.store.transaction():
        desk.add_note(ticket_id, f"Linked to known bug {bug_id}: {title}")
        desk.audit("link_bug", ticket_id, {"bug_id": bug_id, "title": title})


def bug_description(desk: Desk, ticket_id: str) -> str:
    """What an engineer needs, gathered from the ticket and its page context."""
    ticket = desk.ticket(ticket_id)
    lines = [
        f"Reported in {ticket.id} by {ticket.customer.email if ticket.customer else 'a customer'}.",
        "",
    ]
    lines.append(ticket.first_customer_message.strip())
    page = ticket.page_context
    if page and not page.is_empty():
        lines += ["", f"Page: {page.title} {page.url}".strip()]
        if page.visible_state:
            lines.append(f"They see: {page.visible_state}")
        lines += [f"Error: {error}" for error in page.errors]
        lines += [f"Tried: {step}" for step in page.steps_attempted]
    return "\n".join(lines)


async def notify_team(desk: Desk, ticket_id: str, summary: str) -> Escalation:
    """Post an escalated ticket's hand-off summary to the ``notify`` connector, audited before
    and after. Never raises: the escalation already happened, so a failure is reported in the
    result (and the audit trail) for the agent to pass on by other means."""
    from deskpilot.connectors.errors import NoConnectorError
    from deskpilot.connectors.models import Handoff

    try:
        notify = desk.connectors.notify()
    except NoConnectorError:
        return Escalation(ticket_id)  # nobody to tell: the note on the ticket is the hand-off
    except DeskPilotError as error:  # configured, but broken or ambiguous
        desk.audit("notify_handoff", ticket_id, {}, ok=False, result=str(error))
        return Escalation(ticket_id, problem=str(error))
    ticket = desk.ticket(ticket_id)
    triage = desk.store.get_triage(ticket_id)
    params = {"connector": notify.context.name, "summary_chars": len(summary)}
    try:
        handoff = Handoff(
            ticket_id=ticket_id,
            summary=summary,
            reason=triage.handoff_reason if triage else "",
            customer_email=ticket.customer.email if ticket.customer else "",
            agent=desk.agent,
        )
        with _Audited(desk, "notify_handoff", ticket_id, params) as record:
            posted = await notify.post_handoff(handoff)
            record["result"] = f"{posted.channel} {posted.reference}".strip()
    except Exception as error:  # whatever the connector raised: the hand-off itself stands
        log.warning("hand-off of %s not posted: %s", ticket_id, error, exc_info=True)
        return Escalation(ticket_id, problem=_problem(error))
    return Escalation(ticket_id, posted=posted)


def _problem(error: Exception) -> str:
    return str(error) if isinstance(error, DeskPilotError) else f"{type(error).__name__}: {error}"


def _customer_email(desk: Desk, ticket_id: str) -> str:
    customer = desk.ticket(ticket_id).customer
    if customer is None:
        raise ActionRefused(f"{ticket_id} has no customer to act for")
    return customer.email


def _key(*parts: str) -> str:
    """An idempotency key derived from the request: the same request again is the same key."""
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"deskpilot-{digest[:32]}"


class _Audited:
    """Audit an action as requested, then with its outcome (ok or the error)."""

    def __init__(self, desk: Desk, action: str, ticket_id: str, params: dict[str, Any]) -> None:
        self.desk, self.action, self.ticket_id, self.params = desk, action, ticket_id, params
        self.record: dict[str, str] = {"result": ""}

    def __enter__(self) -> dict[str, str]:
        self.desk.audit(f"{self.action}.requested", self.ticket_id, self.params)
        return self.record

    def __exit__(self, kind: object, error: BaseException | None, _tb: object) -> None:
        if error is None:
            self.desk.audit(self.action, self.ticket_id, self.params, result=self.record["result"])
        else:
            said = _problem(error) if isinstance(error, Exception) else str(error)
            self.desk.audit(self.action, self.ticket_id, self.params, ok=False, result=said)
