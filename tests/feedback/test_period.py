"""The period a lead types: dates, times and relative values, read the same everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskpilot.errors import DeskPilotError
from deskpilot.feedback.period import DEFAULT_DAYS, parse_moment, parse_period

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T09:00", datetime(2026, 11, 1, 9, tzinfo=UTC)),
        ("2026-11-01T09:00+01:00", datetime(2026, 11, 1, 8, tzinfo=UTC)),
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("2w", NOW - timedelta(weeks=2)),
        ("30m", NOW - timedelta(minutes=30)),
        ("today", datetime(2026, 11, 20, tzinfo=UTC)),
        ("Yesterday", datetime(2026, 11, 19, tzinfo=UTC)),
    ],
)
def test_since_forms(text: str, expected: datetime) -> None:
    assert parse_moment(text, NOW) == expected


def test_a_bare_day_as_until_includes_that_day() -> None:
    assert parse_moment("2026-11-05", NOW, end=True) == datetime(2026, 11, 6, tzinfo=UTC)
    assert parse_moment("yesterday", NOW, end=True) == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_moment("2026-11-05T12:00", NOW, end=True) == datetime(2026, 11, 5, 12, tzinfo=UTC)


def test_the_default_period_and_all_time() -> None:
    assert parse_period(None, None, NOW).since == NOW - timedelta(days=DEFAULT_DAYS)
    assert parse_period("all", None, NOW).since is None


def test_bad_periods_say_what_to_type() -> None:
    with pytest.raises(DeskPilotError, match="7d, 12h, 2w"):
        parse_moment("last tuesday", NOW)
    with pytest.raises(DeskPilotError, match="must be after"):
        parse_period("2026-11-10", "2026-11-01", NOW)
