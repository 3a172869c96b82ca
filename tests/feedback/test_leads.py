"""Each lead report figure on a hand-built history with worked answers (see lead_history.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskpilot.config import BusinessHours, SlaSettings
from deskpilot.feedback.leads import LeadReport, lead_report, percentile, times
from deskpilot.queue.sla import elapsed

from .lead_history import ACTIONS, EVENTS, NOW, REPLIES, SINCE, TICKETS


def _report(sla: SlaSettings | None = None, per_agent: bool = True) -> LeadReport:
    return lead_report(
        TICKETS, REPLIES, ACTIONS, EVENTS, sla or SlaSettings(),
        now=NOW, since=SINCE, per_agent=per_agent, qa_scores={"L1": 90.0, "L3": 50.0},
    )  # fmt: skip


def _rates(table: dict) -> dict[str, tuple[int, int]]:  # type: ignore[type-arg]
    return {k: (v.met, v.breached) for k, v in table.items()}


def test_first_response_sla_attainment_per_priority() -> None:
    report = _report()
    # urgent: L1 30 <= 60 met, L2 90 > 60 breached; high: L4 still waiting 2880 > 240;
    # normal: L3 60 met, L6 no reply for 2880 > 1440; low: L8 20 met, L5 inside its target.
    assert _rates(report.first_response_sla) == {
        "urgent": (1, 1), "high": (0, 1), "normal": (1, 1), "low": (1, 0), "all": (3, 3),
    }  # fmt: skip
    assert report.first_response_sla["all"].rate == pytest.approx(0.5)


def test_resolution_sla_attainment_per_priority() -> None:
    report = _report()
    # urgent: L1 120 <= 480, L2 600 > 480; high: L4 open 2880 > 1440; normal: L3 180 met,
    # L6 open 2880 still inside 4320 (not counted); low: L8 first solved at 60, L5 inside.
    assert _rates(report.resolution_sla) == {
        "urgent": (1, 1), "high": (0, 1), "normal": (1, 0), "low": (1, 0), "all": (3, 2),
    }  # fmt: skip
    assert report.resolution_sla["all"].rate == pytest.approx(3 / 5)


def test_breaches_most_overdue_first() -> None:
    found = [(b.ticket_id, b.kind, b.waited_minutes, b.running) for b in _report().breaches]
    assert found == [
        ("L4", "first response", 2880, True),  # 2640 over
        ("L4", "resolution", 2880, True),  # 1440 over
        ("L6", "first response", 2880, True),  # 1440 over
        ("L2", "resolution", 600, False),  # 120 over
        ("L2", "first response", 90, False),  # 30 over
    ]


def test_business_hours_count_only_working_time() -> None:
    # 09:00-13:00 on weekdays: L2 (written Wednesday 12:00, answered 13:30) waited 60 minutes.
    hours = BusinessHours(start="09:00", end="13:00")
    report = _report(SlaSettings(business_hours=hours))
    assert report.business_hours
    assert report.first_response_sla["urgent"].met == 2
    assert report.first_response["priority"]["urgent"].median == pytest.approx(45)  # 30, 60


def test_elapsed_in_business_hours() -> None:
    friday = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    monday = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert elapsed(friday, monday, None) == timedelta(hours=65)
    assert elapsed(friday, monday, BusinessHours()) == timedelta(hours=1)
    # In Berlin it is 17:30 on Friday (closed) and 10:30 on Monday.
    assert elapsed(friday, monday, BusinessHours(timezone="Europe/Berlin")) == timedelta(minutes=90)
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert elapsed(saturday, saturday + timedelta(hours=5), BusinessHours()) == timedelta(0)
    every_day = BusinessHours(days=["sat"], start="00:00", end="24:00")
    assert elapsed(saturday, saturday + timedelta(hours=20), every_day) == timedelta(hours=14)


def test_business_hours_are_checked() -> None:
    with pytest.raises(ValueError, match="after start"):
        BusinessHours(start="17:00", end="09:00")
    with pytest.raises(ValueError, match="unknown timezone"):
        BusinessHours(timezone="Mars/Olympus")


def test_times_by_priority_channel_and_tier() -> None:
    report = _report()
    first = report.first_response
    urgent = first["priority"]["urgent"]
    assert (urgent.count, urgent.median, urgent.p90) == (2, 60, 90)  # 30, 90
    assert "high" not in first["priority"]  # L4 has no reply yet
    assert (first["channel"]["email"].median, first["channel"]["email"].p90) == (45, 60)
    assert (first["channel"]["chat"].median, first["channel"]["chat"].p90) == (55, 90)
    resolution = report.resolution
    assert (resolution["priority"]["urgent"].median, resolution["priority"]["urgent"].p90) == (
        360, 600,
    )  # fmt: skip
    assert (resolution["tier"]["pro"].median, resolution["tier"]["pro"].p90) == (150, 180)
    assert list(first["priority"]) == ["urgent", "normal", "low"]  # urgent first


def test_percentile_is_nearest_rank() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == 9.0
    assert percentile([5.0], 0.9) == 5.0
    assert times([]).median is None and times([]).count == 0


def test_reopen_rate_and_one_touch() -> None:
    report = _report()
    # Resolved: L1, L2, L3, L8. Reopened: L3 (the customer wrote after), L8 (set open again).
    assert (report.resolved, report.reopened, report.reopen_rate) == (4, 2, 0.5)
    # One reply and not reopened: L1 and L2 (L3 took two replies; L8 came back).
    assert (report.one_touch, report.answered_resolved, report.one_touch_rate) == (2, 4, 0.5)


def test_backlog_at_each_days_end() -> None:
    backlog = _report().backlog
    assert backlog["date"][0] == "2026-11-13" and backlog["date"][-1] == "2026-11-20"
    assert backlog["pending"] == [1] * 8  # L7, all along
    assert backlog["open"] == [0, 0, 0, 0, 0, 2, 2, 2]  # L4 and L8 from the 18th
    assert backlog["escalated"] == [0, 0, 0, 0, 0, 1, 1, 1]  # L6
    assert backlog["new"] == [0] * 7 + [1]  # L5, written today


def test_work_per_agent() -> None:
    work = _report().by_agent
    assert work is not None
    ada, bo = work["ada"], work["bo"]
    # ada: replies on L1 and L3 (twice); worked L1, L3, L8; solved L1 (audited) and L3 (last
    # replier); handle times 20 and 30 minutes; CSAT 5 and 3; QA 90 and 50.
    assert (ada.replies, ada.tickets, ada.solved) == (3, 3, 2)
    assert (ada.handle_minutes, ada.csat, ada.qa) == (25, 4.0, 70.0)
    # bo: replies on L2 and L8; worked L2, L6 (escalated), L8; solved L2; L8 is open again.
    assert (bo.replies, bo.tickets, bo.solved) == (2, 3, 1)
    assert (bo.handle_minutes, bo.csat, bo.qa) == (30, 2.0, None)
    assert "cy" not in work  # L7 is older than the period


def test_agent_work_is_for_leads_only() -> None:
    assert _report(per_agent=False).by_agent is None


def test_until_bounds_the_period() -> None:
    report = lead_report(
        TICKETS, REPLIES, ACTIONS, EVENTS, SlaSettings(),
        now=NOW, since=SINCE, until=NOW - timedelta(hours=2),
    )  # fmt: skip
    # L5 was written after the period's end, and the clocks stop at the end.
    assert report.first_response_sla["low"].met + report.first_response_sla["low"].breached == 1
    assert report.backlog["new"][-1] == 0
