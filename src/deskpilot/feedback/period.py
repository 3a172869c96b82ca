"""The period a report covers, as a lead types it: dates, times or relative values.

``--since`` and ``--until`` take ``2026-11-01``, ``2026-11-01T09:00``, ``7d`` / ``12h`` /
``2w`` (that long before now), ``today`` or ``yesterday``; ``--since all`` means all time.
Times without a zone are UTC. A bare day as ``--until`` includes that whole day (the period
ends at the next midnight), so ``--since 2026-11-01 --until 2026-11-30`` is all of November,
the 30th included. The CLI and the stats screen
share ``DEFAULT_DAYS``, so both open on the same period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from deskpilot.errors import DeskPilotError

DEFAULT_DAYS = 30  # the period both the CLI and the stats screen show unless told otherwise
RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Period:
    since: datetime | None  # None: from the first ticket
    until: datetime | None  # None: up to now

    def describe(self) -> str:
        start = "the start" if self.since is None else _short(self.since)
        end = "now" if self.until is None else _short(self.until)
        return f"{start} to {end}"


def default_period(now: datetime, days: int | None = DEFAULT_DAYS) -> Period:
    return Period(None if days is None else now - timedelta(days=days), None)


def parse_moment(text: str, now: datetime, *, end: bool = False) -> datetime:
    """One end of a period; ``end``: a bare day means the end of that day."""
    value = text.strip().lower()
    midnight = datetime.combine(now.astimezone(UTC).date(), time(0), UTC)
    day_end = timedelta(days=1) if end else timedelta(0)
    if value == "now":
        return now
    if value == "today":
        return midnight + day_end
    if value == "yesterday":
        return midnight - timedelta(days=1) + day_end
    if match := RELATIVE.match(value):
        amount, unit = int(match.group(1)), UNITS[match.group(2)]
        return now - timedelta(**{unit: amount})
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DeskPilotError(
            f"cannot read {text!r} as a time: use a date (2026-11-01), a date and time "
            "(2026-11-01T09:00), a span back from now (7d, 12h, 2w), today or yesterday"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end and _is_bare_date(text):
        parsed += timedelta(days=1)
    return parsed


def parse_period(since: str | None, until: str | None, now: datetime) -> Period:
    """The period from ``--since``/``--until`` (None: the default, the last 30 days to now)."""
    if since is None:
        start = default_period(now).since
    elif since.strip().lower() == "all":
        start = None
    else:
        start = parse_moment(since, now)
    stop = None if until is None else parse_moment(until, now, end=True)
    if start is not None and stop is not None and stop <= start:
        raise DeskPilotError(f"--until ({_short(stop)}) must be after --since ({_short(start)})")
    return Period(start, stop)


def _is_bare_date(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()) is not None


def _short(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return (
        moment.strftime("%Y-%m-%d")
        if moment.time() == time(0)
        else moment.strftime("%Y-%m-%d %H:%M")
    )
