"""One-key actions that reach outside DeskPilot: password reset, refund, account settings, bug
ticket, the team's hand-off channel.

Each is recorded as requested before it runs and with its result after, so a crash in
between still leaves a trace; money moves only within the configured limit, with an
idempotency key derived from the request so a retry never refunds twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from deskpilot.errors import DeskPilotError

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
    from deskpilot.models import Bug, Invoice, Plan, Ticket


log = logging.getLogger(__name__)

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


async def refund(
    desk: Desk, ticket_id: str, invoice_id: str, amount: float, reason: str
) -> RefundResult:
    settings = desk.settings.actions
    limit = settings.refund_limit_for(desk.agent)
    currency = settings.currency
    if amount <= 0:
        raise ActionRefused("the refund amount must be more than zero")
    if amount > limit:
        where = (
            f"[actions.agent_refund_limits] {desk.agent}"
            if desk.agent in settings.agent_refund_limits
            else "[actions] refund_limit"
        )
        raise ActionRefused(
            f"refunds above {currency} {limit:,.2f} need a lead ({where}); "
            f"this one is {currency} {amount:,.2f}"
        )
    if settings.daily_refund_limit is not None:
        today = refunded_today(desk)
        if today + amount > settings.daily_refund_limit:
            raise ActionRefused(
                f"the team has refunded {currency} {today:,.2f} today; this one would pass the "
                f"daily limit of {currency} {settings.daily_refund_limit:,.2f} "
                "([actions] daily_refund_limit)"
            )
    if not reason.strip():
        raise ActionRefused("give a reason for the refund; it goes on the invoice and the audit")
    key = _idempotency_key(ticket_id, invoice_id, amount)
    params = {"invoice": invoice_id, "amount": amount, "reason": reason, "key": key}
    billing = desk.connectors.billing()
    with _Audited(desk, "refund", ticket_id, params) as record:
        result = await billing.refund(invoice_id, round(amount, 2), reason.strip(), key)
        record["result"] = f"{result.status} {result.refund_id} {result.amount:.2f}"
    note = (
        f"Refunded {result.currency} {result.amount:,.2f} on {invoice_id} "
        f"({reason.strip()}); refund {result.refund_id}."
    )
    desk.add_note(ticket_id, note)
    return result


def refunded_today(desk: Desk) -> float:
    """What the whole team refunded since midnight UTC, from the audit trail."""
    start = desk.clock().replace(hour=0, minute=0, second=0, microsecond=0)
    return sum(
        float(record.params.get("amount", 0))
        for record in desk.store.list_actions(action="refund", since=start)
        if record.ok
    )


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


def _idempotency_key(ticket_id: str, invoice_id: str, amount: float) -> str:
    return _key(ticket_id, invoice_id, f"{amount:.2f}")


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
