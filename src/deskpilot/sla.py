"""Service-level targets: how long a ticket may wait for its first answer, per priority."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from deskpilot.config import SlaSettings
from deskpilot.models import Priority, Status, TicketSummary

# Pending tickets wait on the customer; solved and closed ones wait on nobody.
CLOCK_RUNNING = frozenset({Status.NEW, Status.OPEN, Status.ESCALATED})


class SlaState(StrEnum):
    OK = "ok"
    DUE_SOON = "due soon"
    BREACHED = "breached"
    PAUSED = "-"


def target(priority: Priority, settings: SlaSettings) -> timedelta:
    minutes = {
        Priority.URGENT: settings.urgent_minutes,
        Priority.HIGH: settings.high_minutes,
        Priority.NORMAL: settings.normal_minutes,
        Priority.LOW: settings.low_minutes,
    }[priority]
    return timedelta(minutes=minutes)


def sla_state(ticket: TicketSummary, now: datetime, settings: SlaSettings) -> SlaState:
    if ticket.status not in CLOCK_RUNNING:
        return SlaState.PAUSED
    waited = now - ticket.created_at
    allowed = target(ticket.priority, settings)
    if waited >= allowed:
        return SlaState.BREACHED
    if waited >= allowed * settings.due_soon_fraction:
        return SlaState.DUE_SOON
    return SlaState.OK


def due_soon_cutoffs(now: datetime, settings: SlaSettings) -> tuple[tuple[Priority, datetime], ...]:
    """Per priority, the creation time before which a ticket is due soon or breached."""
    return tuple(
        (priority, now - target(priority, settings) * settings.due_soon_fraction)
        for priority in Priority
    )


def age_text(created: datetime, now: datetime) -> str:
    """Compact age for a table cell: 45m, 7h, 3d, 5w."""
    seconds = max(0, int((now - created).total_seconds()))
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"
