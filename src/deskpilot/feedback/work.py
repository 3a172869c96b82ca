"""Who worked a ticket, and what happened to it when: the history the lead's reports count.

A ticket's status history is rebuilt from what the desk recorded: it was created (new), then
every audited change (a reply sent leaves it pending, an escalation escalates it, a status set
by hand is that status). Tickets that came in with their history (an import, the demo) have no
audit trail: their first agent reply made them pending, and their current status holds from
their last update. Attribution follows the same records: an agent worked a ticket if they
replied on it, acted on it, or it is assigned to them; a solved ticket is credited to whoever
solved it (the audit trail), else its assignee, else its last replier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from deskpilot.models import OPEN_STATUSES, ActionRecord, Status
from deskpilot.store import ReplyFact, TicketFacts

RESOLVED = frozenset({Status.SOLVED, Status.CLOSED})
# Audited actions that change a ticket's status, and the status each leaves it in (set_status
# carries its own in the params).
STATUS_ACTIONS = {"send": Status.PENDING, "escalate": Status.ESCALATED, "set_status": None}
UNKNOWN_AGENT = "unknown"


@dataclass(frozen=True)
class History:
    """A ticket's statuses over time: (since when, status), oldest first."""

    ticket_id: str
    steps: tuple[tuple[datetime, Status], ...]

    def first_resolved_at(self) -> datetime | None:
        return next((at for at, status in self.steps if status in RESOLVED), None)

    def reopened_after(self, at: datetime) -> bool:
        """Back to an open status after having been resolved at ``at``."""
        return any(when > at and status in OPEN_STATUSES for when, status in self.steps)


def status_of(action: ActionRecord) -> Status | None:
    if action.action not in STATUS_ACTIONS or not action.ok:
        return None
    fixed = STATUS_ACTIONS[action.action]
    if fixed is not None:
        return fixed
    try:
        return Status(str(action.params.get("status")))
    except ValueError:
        return None


def actions_by_ticket(actions: Iterable[ActionRecord]) -> dict[str, list[ActionRecord]]:
    grouped: dict[str, list[ActionRecord]] = defaultdict(list)
    for action in actions:
        if action.ticket_id is not None and action.action in STATUS_ACTIONS:
            grouped[action.ticket_id].append(action)
    for group in grouped.values():
        group.sort(key=lambda a: a.at)
    return grouped


def history(ticket: TicketFacts, actions: list[ActionRecord]) -> History:
    steps: list[tuple[datetime, Status]] = [(ticket.created_at, Status.NEW)]
    audited = [(a.at, s) for a in actions if (s := status_of(a)) is not None]
    if audited:
        steps += audited
    elif ticket.first_reply_at is not None and ticket.status is not Status.NEW:
        steps.append((ticket.first_reply_at, Status.PENDING))
    if steps[-1][1] is not ticket.status:
        steps.append((max(ticket.updated_at, steps[-1][0]), ticket.status))
    return History(ticket.id, tuple(steps))


def replies_by_ticket(replies: Iterable[ReplyFact]) -> dict[str, list[ReplyFact]]:
    grouped: dict[str, list[ReplyFact]] = defaultdict(list)
    for reply in replies:
        grouped[reply.ticket_id].append(reply)
    return grouped


def worked_by(
    tickets: Iterable[TicketFacts],
    replies: dict[str, list[ReplyFact]],
    actions: dict[str, list[ActionRecord]],
) -> dict[str, set[str]]:
    """Agent -> the tickets they worked: replied on, acted on, or are assigned."""
    worked: dict[str, set[str]] = defaultdict(set)
    for ticket in tickets:
        people = {r.agent or UNKNOWN_AGENT for r in replies.get(ticket.id, [])}
        people |= {a.actor for a in actions.get(ticket.id, [])}
        if ticket.assignee:
            people.add(ticket.assignee)
        for agent in people:
            worked[agent].add(ticket.id)
    return worked


def solver(
    ticket: TicketFacts, replies: list[ReplyFact], actions: list[ActionRecord]
) -> str | None:
    """Who a resolved ticket is credited to; None for an unresolved one."""
    if ticket.status not in RESOLVED:
        return None
    solving = [a for a in actions if status_of(a) in RESOLVED]
    if solving:
        return solving[0].actor
    if ticket.assignee:
        return ticket.assignee
    return (replies[-1].agent or UNKNOWN_AGENT) if replies else None
