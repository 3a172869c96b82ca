"""What a lead looks at: the team's figures, the lead's reports and the signals, computed once
for any view (the CLI, the stats screen) over one period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deskpilot.config import Settings
from deskpilot.feedback.leads import LeadReport, lead_report
from deskpilot.feedback.period import Period
from deskpilot.feedback.qa import QaReport, qa_report, score_solved
from deskpilot.feedback.signals import Signals, find_signals
from deskpilot.feedback.stats import TeamStats, compute_stats
from deskpilot.store import Store


@dataclass(frozen=True)
class TeamReport:
    now: datetime
    period: Period
    team: TeamStats
    leads: LeadReport
    signals: Signals
    qa: QaReport

    def to_json(self) -> dict[str, Any]:
        return {
            **self.team.to_json(),
            "until": self.period.until.isoformat() if self.period.until else None,
            **self.leads.to_json(),
            "by_agent": self.team.to_json()["by_agent"],
            "agent_work": self.leads.to_json()["by_agent"],
            "signals": self.signals.to_json(),
            "qa": self.qa.to_json(),
        }


def team_report(
    store: Store,
    settings: Settings,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> TeamReport:
    """Figures for tickets created in [since, until) (or all); per-agent ones only when the
    settings' agent is a lead."""
    everything = store.ticket_facts(None, until)  # the backlog counts older open tickets too
    tickets = [t for t in everything if since is None or t.created_at >= since]
    ids = {t.id for t in tickets}
    # Drafts shown in the period, on any ticket (an older ticket drafted now counts).
    events = [e for e in store.list_edit_events(since=since) if until is None or e.shown_at < until]
    all_replies = store.agent_replies(None, until)
    all_actions = store.list_actions()
    replies = [r for r in all_replies if r.ticket_id in ids]
    actions = [a for a in all_actions if a.ticket_id in ids]
    per_agent = settings.can_see_per_agent_stats()
    # Every solved ticket has its QA score before the figures are read (and, with an [llm]
    # endpoint, a few more have the model's).
    # Imported here for start-up time: the model prompt's redaction loads its detectors.
    from deskpilot.feedback.qa_model import model_scorer

    score_solved(store, settings, now, model_scorer(settings.llm))
    scores = [q for q in store.qa_scores() if q.ticket_id in ids]
    team = compute_stats(
        store,
        now=now,
        since=since,
        abandoned_after_days=settings.feedback.abandoned_after_days,
        per_agent=per_agent,
        read=(tickets, events),
        replies=replies,
        actions=actions,
    )
    leads = lead_report(
        everything,
        all_replies,
        all_actions,
        events,
        settings.sla,
        now=now,
        since=since,
        until=until,
        per_agent=per_agent,
        qa_scores={q.ticket_id: float(q.score) for q in scores},
    )
    drafts = store.drafts_by_id(e.draft_id for e in events if e.draft_id is not None)
    signals = find_signals(tickets, events, drafts, now=now)
    quality = qa_report(scores, per_agent=per_agent, worst=5)
    return TeamReport(now, Period(since, until), team, leads, signals, quality)
