"""What a lead looks at: the team's figures and the signals, computed once for any view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deskpilot.feedback.signals import Signals, find_signals
from deskpilot.feedback.stats import TeamStats, compute_stats

if TYPE_CHECKING:
    from deskpilot.desk import Desk


@dataclass(frozen=True)
class TeamReport:
    now: datetime
    team: TeamStats
    signals: Signals

    def to_json(self) -> dict[str, Any]:
        return {**self.team.to_json(), "signals": self.signals.to_json()}


def team_report(desk: Desk, since: datetime | None = None) -> TeamReport:
    """Figures since ``since`` (or all); per-agent ones only when this desk's agent is a lead."""
    now = desk.clock()
    tickets = desk.store.ticket_facts(since)
    events = desk.store.list_edit_events(since=since)
    team = compute_stats(
        desk.store,
        now=now,
        since=since,
        abandoned_after_days=desk.settings.feedback.abandoned_after_days,
        per_agent=desk.settings.can_see_per_agent_stats(),
        read=(tickets, events),
    )
    drafts = desk.store.drafts_by_id(e.draft_id for e in events if e.draft_id is not None)
    signals = find_signals(tickets, events, drafts, now=now)
    return TeamReport(now, team, signals)
