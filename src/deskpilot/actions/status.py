"""Where the things a ticket refers to stand now: its linked bugs and the customer's orders.

Read-only; each source that fails is one line of the report and the others still answer.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deskpilot.actions.common import (
    problem_text,
)
from deskpilot.actions.kit import ActionKit
from deskpilot.connectors.errors import (
    NoConnectorError,
)
from deskpilot.errors import DeskPilotError

if TYPE_CHECKING:
    from deskpilot.connectors.models import (
        Order,
    )
    from deskpilot.models import Bug, Ticket


# "order #1042", "order no. A-77", "#1042": what customers write about an order.
_ORDER_REF = re.compile(
    r"(?:\border\b\s*(?:no\.?|number|nr\.?)?\s*#?|#)\s*((?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{2,})",
    re.IGNORECASE,
)
ORDER_LIMIT = 3


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


def linked_bugs(kit: ActionKit, ticket_id: str) -> list[str]:
    """Bug ids linked to the ticket or filed from it, in order, each once: read from the audit
    trail's records of those actions, never from message text (anyone can write a note that
    looks like "Linked to known bug BUG-109"; an import or a post could carry one)."""
    bug_ids: list[str] = []
    for record in kit.store.list_actions(ticket_id):
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


async def look_up_status(kit: ActionKit, ticket_id: str) -> StatusReport:
    """The current status of the ticket's linked bugs and of its orders; each source that fails
    is one line of ``problems``, the others still answer. Recorded once in the audit trail."""
    ticket = await asyncio.to_thread(kit.ticket, ticket_id)
    linked = await asyncio.to_thread(linked_bugs, kit, ticket_id)
    problems: list[str] = []
    bugs, unknown = await _bug_statuses(kit, linked, problems)
    orders = await _order_statuses(kit, ticket, problems)
    report = StatusReport(ticket_id, bugs, unknown, orders, problems)
    params = {"bugs": [b.id for b in bugs] + unknown, "orders": [o.id for o in orders]}
    said = "; ".join(report.lines())
    await asyncio.to_thread(
        kit.audit, "status_lookup", ticket_id, params, ok=not problems, result=said[:500]
    )
    return report


async def _bug_statuses(
    kit: ActionKit, bug_ids: list[str], problems: list[str]
) -> tuple[list[Bug], list[str]]:
    if not bug_ids:
        return [], []
    try:
        issues = kit.connectors.issues()
        found = [(bug_id, await issues.bug(bug_id)) for bug_id in bug_ids]
    except Exception as error:  # the tracker is one source: the orders still answer
        problems.append(f"bug tracker: {problem_text(error)}")
        return [], []
    return [b for _i, b in found if b is not None], [i for i, b in found if b is None]


async def _order_statuses(kit: ActionKit, ticket: Ticket, problems: list[str]) -> list[Order]:
    try:
        orders = kit.connectors.orders()
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
        problems.append(f"orders: {problem_text(error)}")
        return []
    return found
