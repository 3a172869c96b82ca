"""Service-level targets: how long a ticket may wait for its first answer and for its
resolution, per priority, counted around the clock or in business hours only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from deskpilot.config import WEEKDAYS, BusinessHours, SlaSettings
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


def resolution_target(priority: Priority, settings: SlaSettings) -> timedelta:
    minutes = {
        Priority.URGENT: settings.urgent_resolution_minutes,
        Priority.HIGH: settings.high_resolution_minutes,
        Priority.NORMAL: settings.normal_resolution_minutes,
        Priority.LOW: settings.low_resolution_minutes,
    }[priority]
    return timedelta(minutes=minutes)


def elapsed(start: datetime, end: datetime, hours: BusinessHours | None) -> timedelta:
    """The time between ``start`` and ``end`` that counts against a target: all of it, or
    with ``hours`` only what falls inside the working week (in its timezone, so a ticket
    written Friday 16:30 and answered Monday 09:30 waited one hour of a 9-17 week)."""
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    zone = ZoneInfo(hours.timezone)
    working = {WEEKDAYS.index(day) for day in hours.days}
    opens, closes = _clock(hours.start), _clock(hours.end)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    total = timedelta(0)
    day = first
    while day <= last:
        if day.weekday() in working:
            window_start = _at(day, opens, zone)
            window_end = _at(day, closes, zone)
            overlap = min(end, window_end) - max(start, window_start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def _clock(text: str) -> time | None:
    """ "09:00" as a time; "24:00" (the end of the day) as None."""
    return None if text == "24:00" else time.fromisoformat(text)


def _at(day: date, clock: time | None, zone: ZoneInfo) -> datetime:
    if clock is None:
        return datetime.combine(day + timedelta(days=1), time(0), zone)
    return datetime.combine(day, clock, zone)


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
