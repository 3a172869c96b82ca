"""Team statistics: how the co-pilot and the team are doing, overall and per intent.

Each figure in one line (the README repeats these):

* acceptance_rate: drafts sent exactly as the co-pilot wrote them, of all drafts with an outcome.
* mean_similarity: rapidfuzz ratio between draft and the reply sent, over sent drafts (0..1).
* deflection_rate: resolved tickets whose every reply went out as drafted (no human edit, or
  sent by the autopilot; a reply written without a draft is a human's), of resolved tickets
  that had a draft; abandoned ones are apart.
* abandoned: tickets waiting on the customer longer than ``abandoned_after_days``.
* reopens: customers writing again on a pending, solved or closed ticket (the channel sync).
* escalation_rate: tickets escalated to a human team, of all tickets.

Per agent, ``tickets`` are the tickets the agent worked (replied on, acted on, or assigned:
see ``feedback.work``), not only those they had a draft on; their escalation and deflection
rates are over those tickets, and ``drafts`` are the agent's own.
* csat: mean satisfaction score (1-5) of tickets that have one.
* first_response_minutes / resolution_minutes: medians, from the ticket's creation.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from deskpilot.feedback.work import actions_by_ticket, replies_by_ticket, worked_by
from deskpilot.models import ActionRecord, EditEvent, EditOutcome, Status
from deskpilot.store import ReplyFact, Store, TicketFacts

SENT = frozenset({EditOutcome.SENT_AS_IS, EditOutcome.SENT_EDITED})
RESOLVED = frozenset({Status.SOLVED, Status.CLOSED})
AUTOPILOT = "autopilot"  # the agent name auto-sent replies are recorded under


@dataclass
class Figures:
    """The same measures for any slice: everything, one intent, one agent, one drafter."""

    tickets: int = 0
    drafts: int = 0  # drafts with an outcome (sent, edited, discarded, regenerated, ...)
    acceptance_rate: float | None = None
    mean_similarity: float | None = None
    deflection_rate: float | None = None
    escalation_rate: float | None = None
    csat: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


@dataclass
class TeamStats:
    since: datetime | None
    overall: Figures
    by_intent: dict[str, Figures]
    by_agent: dict[str, Figures] | None  # None: per-agent figures are for leads only
    by_drafter: dict[str, Figures]
    by_prompt_version: dict[str, Figures]
    abandoned: int
    first_response_minutes: float | None
    resolution_minutes: float | None
    escalation_reasons: dict[str, int]
    csat_distribution: dict[int, int]
    edit_classes: dict[str, int]
    edit_reasons: dict[str, int]
    daily: dict[str, list[Any]] = field(default_factory=dict)  # date -> series, for charts
    # By the draft's own confidence (how much of the question its sources answered), in bands:
    # whether agents accept the drafts it is sure of more often, i.e. whether it is honest.
    by_draft_confidence: dict[str, Figures] = field(default_factory=dict)
    reopens: int = 0  # customers writing again on a pending, solved or closed ticket

    def to_json(self) -> dict[str, Any]:
        figures = self.overall.to_json()
        return {
            "since": self.since.isoformat() if self.since else None,
            **figures,
            "abandoned": self.abandoned,
            "reopens": self.reopens,
            "first_response_minutes": _round(self.first_response_minutes),
            "resolution_minutes": _round(self.resolution_minutes),
            "escalation_reasons": self.escalation_reasons,
            "csat_distribution": {str(k): v for k, v in self.csat_distribution.items()},
            "edit_classes": self.edit_classes,
            "edit_reasons": self.edit_reasons,
            "by_intent": {k: v.to_json() for k, v in self.by_intent.items()},
            "by_agent": (
                None
                if self.by_agent is None
                else {k: v.to_json() for k, v in self.by_agent.items()}
            ),
            "by_drafter": {k: v.to_json() for k, v in self.by_drafter.items()},
            "by_prompt_version": {k: v.to_json() for k, v in self.by_prompt_version.items()},
            "by_draft_confidence": {k: v.to_json() for k, v in self.by_draft_confidence.items()},
            "daily": self.daily,
        }


def compute_stats(
    store: Store,
    *,
    now: datetime,
    since: datetime | None = None,
    abandoned_after_days: int = 7,
    per_agent: bool = False,
    read: tuple[list[TicketFacts], list[EditEvent]] | None = None,
    replies: list[ReplyFact] | None = None,
    actions: list[ActionRecord] | None = None,
) -> TeamStats:
    """The team's figures since ``since``; ``read`` passes tickets and edit events a caller
    already read from ``store`` for that period, so they are not read twice (``replies`` and
    ``actions`` likewise: the agent replies and the audit trail of those tickets)."""
    tickets, all_events = read or (store.ticket_facts(since), store.list_edit_events(since=since))
    if replies is None:
        replies = store.agent_replies(since)
    if actions is None:
        actions = store.list_actions(since=since)
    events = [e for e in all_events if e.outcome is not EditOutcome.PENDING]
    by_ticket: dict[str, list[EditEvent]] = defaultdict(list)
    for event in events:
        by_ticket[event.ticket_id].append(event)
    ticket_replies = replies_by_ticket(replies)
    reply_counts = {ticket_id: len(sent) for ticket_id, sent in ticket_replies.items()}
    abandoned_before = now - timedelta(days=abandoned_after_days)
    abandoned = {
        t.id
        for t in tickets
        if t.status is Status.PENDING
        and not t.customer_spoke_last
        and t.updated_at < abandoned_before
    }
    facts = {t.id: t for t in tickets}
    counted = _Counted(by_ticket, abandoned, reply_counts)
    return TeamStats(
        since=since,
        overall=_figures(tickets, events, counted),
        by_intent=_sliced(tickets, events, counted, lambda t: t.intent, lambda e: e.intent),
        by_agent=(
            _by_agent(tickets, events, counted, ticket_replies, actions) if per_agent else None
        ),
        by_drafter=_sliced_events(events, facts, counted, lambda e: e.drafter),
        by_prompt_version=_sliced_events(events, facts, counted, lambda e: e.prompt_version),
        abandoned=len(abandoned),
        first_response_minutes=_median_minutes(
            (t.first_reply_at - t.created_at) for t in tickets if t.first_reply_at
        ),
        resolution_minutes=_median_minutes(
            (t.updated_at - t.created_at) for t in tickets if t.status in RESOLVED
        ),
        escalation_reasons=dict(
            Counter(
                _reason_kind(t.handoff_reason) for t in tickets if t.status is Status.ESCALATED
            ).most_common()
        ),
        csat_distribution=dict(sorted(Counter(t.csat for t in tickets if t.csat).items())),
        edit_classes=dict(Counter(e.edit_class for e in events if e.edit_class).most_common()),
        edit_reasons=dict(Counter(e.reason for e in events if e.reason).most_common()),
        daily=_daily(tickets, events),
        reopens=len(store.list_actions(action="reopen", since=since)),
        by_draft_confidence=_by_draft_confidence(store, events, facts, counted),
    )


# The bands of a draft's own confidence the statistics compare.
CONFIDENCE_BANDS = ((0.7, "sure (0.7+)"), (0.4, "partly (0.4-0.7)"), (0.0, "unsure (<0.4)"))


def _by_draft_confidence(
    store: Store, events: list[EditEvent], facts: dict[str, TicketFacts], counted: _Counted
) -> dict[str, Figures]:
    drafts = store.drafts_by_id(e.draft_id for e in events if e.draft_id is not None)

    def band(event: EditEvent) -> str:
        draft = drafts.get(event.draft_id) if event.draft_id is not None else None
        if draft is None:
            return "unknown"
        return next(name for low, name in CONFIDENCE_BANDS if draft.confidence >= low)

    return _sliced_events(events, facts, counted, band)


@dataclass(frozen=True)
class _Counted:
    """What every slice's figures look up: each ticket's finished edit events, the abandoned
    tickets, and each ticket's number of agent replies."""

    by_ticket: dict[str, list[EditEvent]]
    abandoned: set[str]
    reply_counts: dict[str, int]


def _figures(tickets: list[TicketFacts], events: list[EditEvent], counted: _Counted) -> Figures:
    by_ticket = counted.by_ticket
    sent = [e for e in events if e.outcome in SENT and e.similarity is not None]
    resolved_with_draft = [
        t
        for t in tickets
        if t.status in RESOLVED and t.id in by_ticket and t.id not in counted.abandoned
    ]
    deflected = [
        t
        for t in resolved_with_draft
        if _untouched(by_ticket[t.id], counted.reply_counts.get(t.id, 0))
    ]
    scores = [t.csat for t in tickets if t.csat]
    return Figures(
        tickets=len(tickets),
        drafts=len(events),
        acceptance_rate=_share(
            sum(e.outcome is EditOutcome.SENT_AS_IS for e in events), len(events)
        ),
        mean_similarity=statistics.fmean(e.similarity for e in sent) if sent else None,  # type: ignore[misc]
        deflection_rate=_share(len(deflected), len(resolved_with_draft)),
        escalation_rate=_share(sum(t.status is Status.ESCALATED for t in tickets), len(tickets)),
        csat=statistics.fmean(scores) if scores else None,
    )


def _untouched(events: list[EditEvent], replies: int) -> bool:
    """Every reply on the ticket went out as drafted (or the autopilot sent it): as many
    untouched drafts were sent as the ticket has agent replies, so a reply an agent wrote
    without a draft (a second answer, a follow-up) makes the ticket a human's."""
    sent = [e for e in events if e.outcome in SENT]
    return (
        bool(sent)
        and all(e.outcome is EditOutcome.SENT_AS_IS or e.agent == AUTOPILOT for e in sent)
        and len(sent) >= replies
        and not any(e.outcome is EditOutcome.ESCALATED for e in events)
    )


def _sliced(
    tickets: list[TicketFacts],
    events: list[EditEvent],
    counted: _Counted,
    ticket_key: Callable[[TicketFacts], str | None],
    event_key: Callable[[EditEvent], str | None],
) -> dict[str, Figures]:
    ticket_groups: dict[str, list[TicketFacts]] = defaultdict(list)
    for ticket in tickets:
        ticket_groups[ticket_key(ticket) or "unknown"].append(ticket)
    event_groups: dict[str, list[EditEvent]] = defaultdict(list)
    for event in events:
        event_groups[event_key(event) or "unknown"].append(event)
    names = sorted(set(ticket_groups) | set(event_groups))
    return {
        name: _figures(ticket_groups.get(name, []), event_groups.get(name, []), counted)
        for name in names
    }


def _by_agent(
    tickets: list[TicketFacts],
    events: list[EditEvent],
    counted: _Counted,
    replies: dict[str, list[ReplyFact]],
    actions: list[ActionRecord],
) -> dict[str, Figures]:
    """Each agent's figures over the tickets they worked (not only the drafted ones: an
    agent who escalates a ticket without a draft escalated it all the same)."""
    facts = {t.id: t for t in tickets}
    worked = worked_by(tickets, replies, actions_by_ticket(actions))
    mine: dict[str, list[EditEvent]] = defaultdict(list)
    for event in events:
        mine[event.agent or "unknown"].append(event)
    sliced = {}
    for agent in sorted(set(worked) | set(mine)):
        ids = worked.get(agent, set()) | {e.ticket_id for e in mine.get(agent, [])}
        agent_tickets = [facts[i] for i in sorted(ids) if i in facts]
        sliced[agent] = _figures(agent_tickets, mine.get(agent, []), counted)
    return sliced


def _sliced_events(
    events: list[EditEvent],
    facts: dict[str, TicketFacts],
    counted: _Counted,
    key: Callable[[EditEvent], str],
) -> dict[str, Figures]:
    """Slices only events have (agent, drafter, prompt): their tickets are the ones drafted."""
    groups: dict[str, list[EditEvent]] = defaultdict(list)
    for event in events:
        groups[key(event) or "unknown"].append(event)
    sliced = {}
    for name, group in sorted(groups.items()):
        tickets = [facts[i] for i in dict.fromkeys(e.ticket_id for e in group) if i in facts]
        sliced[name] = _figures(tickets, group, counted)
    return sliced


def _daily(tickets: list[TicketFacts], events: list[EditEvent]) -> dict[str, list[Any]]:
    """Per day: tickets created, drafts, acceptance, mean similarity, escalations, CSAT."""
    if not tickets and not events:
        return {}
    days: set[date] = {t.created_at.date() for t in tickets} | {e.shown_at.date() for e in events}
    first, last = min(days), max(days)
    span = [first + timedelta(days=n) for n in range((last - first).days + 1)][-90:]
    created = Counter(t.created_at.date() for t in tickets)
    escalated = Counter(t.created_at.date() for t in tickets if t.status is Status.ESCALATED)
    csat: dict[date, list[int]] = defaultdict(list)
    for t in tickets:
        if t.csat:
            csat[t.created_at.date()].append(t.csat)
    drafted: dict[date, list[EditEvent]] = defaultdict(list)
    for e in events:
        drafted[e.shown_at.date()].append(e)
    series: dict[str, list[Any]] = {
        "date": [], "tickets": [], "drafts": [], "acceptance_rate": [], "mean_similarity": [],
        "escalations": [], "csat": [],
    }  # fmt: skip
    for day in span:
        day_events = drafted.get(day, [])
        sent = [e.similarity for e in day_events if e.outcome in SENT and e.similarity is not None]
        series["date"].append(day.isoformat())
        series["tickets"].append(created.get(day, 0))
        series["drafts"].append(len(day_events))
        series["acceptance_rate"].append(
            _round(
                _share(
                    sum(e.outcome is EditOutcome.SENT_AS_IS for e in day_events), len(day_events)
                )
            )
        )
        series["mean_similarity"].append(_round(statistics.fmean(sent)) if sent else None)
        series["escalations"].append(escalated.get(day, 0))
        series["csat"].append(_round(statistics.fmean(csat[day])) if csat.get(day) else None)
    return series


def _reason_kind(reason: str | None) -> str:
    """A hand-off reason without its particulars ("angry: 'Terrible'"), so reasons group."""
    if not reason:
        return "agent's decision"
    return reason.split(";")[0].split(" (")[0].split(":")[0].strip()


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _median_minutes(spans: Iterable[timedelta]) -> float | None:
    minutes = [span.total_seconds() / 60 for span in spans]
    return statistics.median(minutes) if minutes else None


# --- how the views (CLI, TUI) print these figures ----------------------------------------------


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def decimal(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def duration(minutes: float | None) -> str:
    if minutes is None:
        return "-"
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
