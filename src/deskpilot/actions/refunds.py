"""Refunds: money moves once, within the limits, and the audit trail says what moved.

See ``refund`` for the keys, the look-ups after a lost answer, the confirmations and the
limits; ``customer_invoices`` lists what a refund can be made on. The audit trail's reads and
writes run off the event loop (``asyncio.to_thread``); the steps that read the trail and then
write to it hold ``_LEDGER``, as the single-threaded loop used to make them whole.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

from deskpilot.actions.common import (
    ActionRefused,
    idempotency_key,
    log,
    problem_text,
)
from deskpilot.actions.kit import ActionKit
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorRateLimitedError,
    NotSupportedError,
    RemoteApiError,
)
from deskpilot.errors import DeskPilotError

if TYPE_CHECKING:
    from deskpilot.connectors.capabilities import Billing
    from deskpilot.connectors.models import (
        RefundResult,
    )
    from deskpilot.models import ActionRecord, Invoice


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


async def customer_invoices(kit: ActionKit, ticket_id: str) -> list[Invoice]:
    customer = (await asyncio.to_thread(kit.ticket, ticket_id)).customer
    if customer is None:
        return []
    billing = kit.connectors.billing()
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
# Held by each step that reads the refunds in the audit trail and then writes one (checking
# the limits and recording the request; recording an outcome, which a replay must not count
# twice): in threads, two refunds' steps must not interleave.
_LEDGER = threading.Lock()
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
    kit: ActionKit,
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
    amount, reason = round(amount, 2), reason.strip()
    if amount <= 0:
        raise ActionRefused("the refund amount must be more than zero")
    if not reason:
        raise ActionRefused("give a reason for the refund; it goes on the invoice and the audit")
    billing = kit.connectors.billing()
    await _settle_lost_answers(kit, billing, invoice_id)
    key, params = await asyncio.to_thread(
        _request, kit, ticket_id, invoice_id, amount, reason, confirm_after
    )
    try:
        result = await billing.refund(invoice_id, amount, reason, key)
    except Exception as error:
        return await _after_lost_answer(kit, billing, ticket_id, params, error)
    return await asyncio.to_thread(_record_refund, kit, ticket_id, params, result)


def _request(
    kit: ActionKit, ticket_id: str, invoice_id: str, amount: float, reason: str, confirm_after: str
) -> tuple[str, dict[str, Any]]:
    """Check the limits and the confirmation against the audit trail, then record the request
    before the billing system is called: its key and params. Refuse (audited) or ask."""
    with _LEDGER:
        attempts = _attempts(_refund_records(kit))
        key = _refund_key(attempts, ticket_id, invoice_id, kit.agent)
        refusal = _limit_problem(kit, attempts, ticket_id, invoice_id, amount, key)
        if refusal:
            params = {"invoice": invoice_id, "amount": amount, "reason": reason}
            kit.audit("refund", ticket_id, params | _outcome("refused"), ok=False, result=refusal)
            raise ActionRefused(refusal)
        earlier = earlier_refunds(kit, invoice_id, attempts, but_key=key)
        if earlier and confirm_after != earlier[-1].reference:
            raise RefundNeedsConfirmation(earlier[-1], amount, kit.settings.currency)
        params = {"invoice": invoice_id, "amount": amount, "reason": reason, "key": key}
        if confirm_after:
            params["confirmed_after"] = confirm_after
        kit.audit("refund.requested", ticket_id, params)
    return key, params


def earlier_refunds(
    kit: ActionKit,
    invoice_id: str,
    attempts: list[_Attempt] | None = None,
    *,
    but_key: str = "",
) -> list[EarlierRefund]:
    """The invoice's refunds of the last day that moved or may have moved, oldest first."""
    if attempts is None:
        attempts = _attempts(_refund_records(kit))
    since = kit.clock() - REFUND_WINDOW
    currency = kit.settings.currency
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


def refunded_today(kit: ActionKit) -> float:
    """What the whole team refunded since midnight UTC, from the audit trail: every refund that
    moved, and every one whose outcome is unknown (it may have)."""
    start = kit.clock().replace(hour=0, minute=0, second=0, microsecond=0)
    return round(sum(a.counted for a in _attempts(_refund_records(kit)) if a.at >= start), 2)


def refunded_total(kit: ActionKit, invoice_id: str | None = None) -> float:
    """The money the audit trail says moved (each refund once), on one invoice or on all."""
    attempts = _attempts(_refund_records(kit))
    return round(
        sum(
            a.moved
            for a in attempts
            if a.state == "moved" and (invoice_id is None or a.invoice_id == invoice_id)
        ),
        2,
    )


def _limit_problem(
    kit: ActionKit,
    attempts: list[_Attempt],
    ticket_id: str,
    invoice_id: str,
    amount: float,
    key: str,
) -> str:
    """Why the refund would pass a limit, or "" when it would not. An unknown attempt with the
    key about to be sent again is not counted: the same key moves money once at most."""
    settings = kit.settings
    currency = settings.currency
    limit = settings.refund_limit_for(kit.agent)
    where = (
        f"[actions.agent_refund_limits] {kit.agent}"
        if kit.agent in settings.agent_refund_limits
        else "[actions] refund_limit"
    )
    counted = [a for a in attempts if a.key != key and a.counted > 0]
    if amount > limit + CENT:
        return (
            f"refunds above {currency} {limit:,.2f} need a lead ({where}); "
            f"this one is {currency} {amount:,.2f}"
        )
    mine = [a for a in counted if a.agent == kit.agent]
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
        start = kit.clock().replace(hour=0, minute=0, second=0, microsecond=0)
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
    return idempotency_key("refund", ticket_id, invoice_id, agent, str(len(mine)))


async def _settle_lost_answers(kit: ActionKit, billing: Billing, invoice_id: str) -> None:
    """Look up the invoice's attempts whose outcome is unknown, and record what they did. An
    attempt the look-up cannot settle stays unknown (and counted against the limits); one that
    may still be on its way is left to finish."""
    now = kit.clock()
    for attempt in await asyncio.to_thread(_known_attempts, kit):
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
            await asyncio.to_thread(
                _record_refund, kit, attempt.ticket_id, params, found, recovered=True
            )
        else:
            said = f"looked up later: no refund with the key {attempt.key}; nothing moved"
            failed = params | _outcome("failed")
            await asyncio.to_thread(
                kit.audit, "refund", attempt.ticket_id, failed, ok=False, result=said
            )


async def _after_lost_answer(
    kit: ActionKit, billing: Billing, ticket_id: str, params: dict[str, Any], error: Exception
) -> RefundResult:
    """The refund call failed. Unless the billing system clearly said no, the refund may have
    been made: look it up by its key before reporting, and record what moved."""
    invoice_id, key = str(params["invoice"]), str(params["key"])
    problem = problem_text(error)
    if _clearly_refused(error):
        failed = params | _outcome("failed")
        await asyncio.to_thread(kit.audit, "refund", ticket_id, failed, ok=False, result=problem)
        raise error
    try:
        found = await billing.find_refund(invoice_id, key)
    except Exception as lookup_error:
        said = (
            f"{problem}; the look-up failed too ({problem_text(lookup_error)}): it may have moved"
        )
        unknown = params | _outcome("unknown")
        await asyncio.to_thread(kit.audit, "refund", ticket_id, unknown, ok=False, result=said)
        raise RefundOutcomeUnknown(
            f"the refund's outcome is unknown ({problem}) and it could not be looked up "
            f"({problem_text(lookup_error)}); it counts against the limits until a later try "
            "looks it up, and trying again sends the same request, which cannot refund twice"
        ) from error
    if found is not None:
        return await asyncio.to_thread(
            _record_refund, kit, ticket_id, params, found, recovered=True, after=problem
        )
    said = f"{problem}; no refund with the key {key} was found: nothing moved"
    failed = params | _outcome("failed")
    await asyncio.to_thread(kit.audit, "refund", ticket_id, failed, ok=False, result=said)
    raise ActionRefused(f"{problem}; nothing was refunded (looked up by its key)") from error


def _record_refund(
    kit: ActionKit,
    ticket_id: str,
    params: dict[str, Any],
    result: RefundResult,
    *,
    recovered: bool = False,
    after: str = "",
) -> RefundResult:
    """Record a refund the billing system returned: moved, or a replay of one already recorded
    (the same refund id), which moves nothing and adds no note."""
    with _LEDGER:
        attempts = _attempts(_refund_records(kit))
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
        kit.audit("refund", ticket_id, record, result=said)
        if not already:
            kit.add_note(
                ticket_id,
                f"Refunded {result.currency} {result.amount:,.2f} on {result.invoice_id} "
                f"({result.reason or params.get('reason', '')}); refund {result.refund_id}.",
            )
        return result.model_copy(update={"replayed": result.replayed or already})


def _clearly_refused(error: Exception) -> bool:
    """The billing system (or the desk) said no before anything could move: no look-up needed.
    A conflict (409) or an idempotency error may hide an earlier refund with the key."""
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


def _known_attempts(kit: ActionKit) -> list[_Attempt]:
    return _attempts(_refund_records(kit))


def _refund_records(kit: ActionKit) -> list[ActionRecord]:
    records = kit.store.list_actions(action="refund.requested")
    records += kit.store.list_actions(action="refund")
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
