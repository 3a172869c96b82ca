"""One-key actions that reach outside DeskPilot: password reset, refund, bug ticket, the
team's hand-off channel.

Each is recorded as requested before it runs and with its result after, so a crash in
between still leaves a trace; money moves only within the configured limit, with an
idempotency key derived from the request so a retry never refunds twice.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deskpilot.errors import DeskPilotError

if TYPE_CHECKING:
    from deskpilot.connectors.models import (
        BugCreated,
        BugMatch,
        HandoffPosted,
        PasswordResetResult,
        RefundResult,
    )
    from deskpilot.desk import Desk
    from deskpilot.models import Invoice


log = logging.getLogger(__name__)


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
    limit = desk.settings.actions.refund_limit
    currency = desk.settings.actions.currency
    if amount <= 0:
        raise ActionRefused("the refund amount must be more than zero")
    if amount > limit:
        raise ActionRefused(
            f"refunds above {currency} {limit:,.2f} need a lead ([actions] refund_limit); "
            f"this one is {currency} {amount:,.2f}"
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
    desk.add_note(ticket_id, f"Linked to known bug {bug_id}: {title}")


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
    digest = hashlib.sha256(f"{ticket_id}|{invoice_id}|{amount:.2f}".encode()).hexdigest()
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
