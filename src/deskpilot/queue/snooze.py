"""Snooze: a ticket leaves the open views until a time the agent names, or until the customer
writes, and comes back marked.

An agent who has done what they can for now ("I'll check with billing tomorrow", "waiting for
the customer's screenshot") takes the ticket out of the way instead of scrolling past it all
day. The time is read the way agents say it: an ISO time, a span (``2h``, ``3d``), ``tomorrow
9:00``, a weekday (``monday``, ``fri 14:00``). Wall-clock words are read in the team's time zone
(``[sla.business_hours] timezone``, else UTC); a day without a time means the start of the
working morning.

The logic takes narrow collaborators (the store's snooze methods, an audit callable, the time
now), never the desk; ``Desk.snooze`` is the door.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from deskpilot.errors import DeskPilotError
from deskpilot.models import Status, Ticket
from deskpilot.queue.watch import QueueWatcher

MORNING = time(9, 0)  # "tomorrow", "monday": the start of the working day
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS = {
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 7 * 86400,
    "week": 7 * 86400,
    "weeks": 7 * 86400,
}
SPAN = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-z]+)$")
CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
LONGEST = timedelta(days=365)  # a snooze longer than a year is a typo, not a plan
HOW = (
    "use an ISO time (2026-12-07T09:00), a span (30m, 2h, 3d, 1w), "
    "'today 17:00', 'tomorrow 9:00' or a weekday ('monday', 'fri 14:00')"
)
# Tickets that can be snoozed: ones still waiting on someone.
SNOOZABLE = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ESCALATED})

Audit = Callable[..., Any]


class SnoozeTarget(Protocol):
    def get_ticket(self, ticket_id: str) -> Ticket: ...

    def set_snooze(self, ticket_id: str, until: datetime | None, now: datetime) -> None: ...


def parse_when(text: str, now: datetime, zone: tzinfo = UTC) -> datetime:
    """The moment ``text`` names, as an aware UTC time after ``now``; DeskPilotError (saying
    which forms are understood) otherwise."""
    said = " ".join(text.strip().lower().split())
    if not said:
        raise DeskPilotError(f"say when the ticket should come back: {HOW}")
    moment = _parse(said, now, zone)
    if moment is None:
        raise DeskPilotError(f"cannot read '{text.strip()}' as a time; {HOW}")
    moment = moment.astimezone(UTC)
    if moment <= now:
        raise DeskPilotError(
            f"'{text.strip()}' is {moment:%Y-%m-%d %H:%M} UTC, which has passed; name a time ahead"
        )
    if moment - now > LONGEST:
        raise DeskPilotError(f"'{text.strip()}' is more than a year ahead; snooze for less")
    return moment


def _parse(said: str, now: datetime, zone: tzinfo) -> datetime | None:
    if span := SPAN.match(said.removeprefix("in ").replace(" ", "")):
        seconds = UNITS.get(span.group(2))
        return None if seconds is None else now + timedelta(seconds=float(span.group(1)) * seconds)
    local_now = now.astimezone(zone)
    day_word, _, clock_word = said.partition(" ")
    if day_word == "next":  # "next monday 9:00"
        day_word, _, clock_word = clock_word.partition(" ")
    day = _day(day_word, local_now.date())
    if day is not None:
        at = _clock(clock_word) if clock_word else MORNING
        return None if at is None else datetime.combine(day, at, zone)
    at = _clock(said)  # "17:00": today, or tomorrow once it has passed
    if at is not None:
        moment = datetime.combine(local_now.date(), at, zone)
        return moment if moment > now else moment + timedelta(days=1)
    return _iso(said, zone)


def _day(word: str, today: date) -> date | None:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    for number, name in enumerate(WEEKDAY_NAMES):
        if len(word) >= 3 and name.startswith(word):
            ahead = (number - today.weekday()) % 7 or 7  # "monday" on a Monday: next week's
            return today + timedelta(days=ahead)
    return None


def _clock(word: str) -> time | None:
    found = CLOCK.match(word.strip())
    if found is None:
        return None
    hour, minute, half = int(found.group(1)), int(found.group(2) or 0), found.group(3)
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif found.group(2) is None:
        return None  # a bare number ("9") is too easy to mistype; "9:00" or "9am"
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _iso(said: str, zone: tzinfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(said.upper().replace(" ", "T"))
    except ValueError:
        return None
    if len(said) == 10:  # a date alone: that morning
        moment = datetime.combine(moment.date(), MORNING)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def snooze(
    store: SnoozeTarget, audit: Audit, ticket_id: str, until: datetime, now: datetime
) -> None:
    """Put the ticket out of the views until ``until``, audited."""
    ticket = store.get_ticket(ticket_id)
    if ticket.merged_into:
        raise DeskPilotError(f"{ticket_id} was merged into {ticket.merged_into}; snooze that one")
    if ticket.status not in SNOOZABLE:
        raise DeskPilotError(
            f"{ticket_id} is {ticket.status.value}: only tickets still being worked can be "
            "snoozed (reopen it first)"
        )
    store.set_snooze(ticket_id, until, now)
    audit("snooze", ticket_id, {"until": until.isoformat(), "was": _iso_or_none(ticket)})


def wake(store: SnoozeTarget, audit: Audit, ticket_id: str, now: datetime) -> bool:
    """Bring a snoozed ticket back now (audited); False if it was not asleep."""
    ticket = store.get_ticket(ticket_id)
    if ticket.snoozed_until is None or ticket.snoozed_until <= now:
        return False
    store.set_snooze(ticket_id, None, now)
    audit("wake", ticket_id, {"was": _iso_or_none(ticket)})
    return True


def _iso_or_none(ticket: Ticket) -> str | None:
    return ticket.snoozed_until.isoformat() if ticket.snoozed_until else None


class WakeSource(Protocol):
    def next_wake(self, after: datetime) -> datetime | None: ...


class WakingWatcher(QueueWatcher):
    """A queue watcher that also says "changed" when a snoozed ticket's time comes: nothing is
    written then, so the store's own change signals stay silent. Asks the store only when
    something changed or the awaited time has passed."""

    def __init__(
        self, inner: QueueWatcher, store: WakeSource, clock: Callable[[], datetime]
    ) -> None:
        self._inner, self._store, self._clock = inner, store, clock
        self.blocks = inner.blocks
        self._due = store.next_wake(clock())

    def changed(self) -> bool:
        changed = self._inner.changed()
        now = self._clock()
        woke = self._due is not None and self._due <= now
        if changed or woke:
            self._due = self._store.next_wake(now)
        return changed or woke

    def close(self) -> None:
        self._inner.close()


def describe_snooze(ticket: Ticket, now: datetime) -> str:
    """One line for the ticket screen: asleep until when, back, or "" when neither."""
    if ticket.snoozed_until is None:
        return ""
    if ticket.snoozed_until <= now:
        return f"⏰ back from snooze (since {ticket.snoozed_until:%a %d %b %H:%M} UTC)"
    return f"⏰ snoozed until {ticket.snoozed_until:%a %d %b %H:%M} UTC"
