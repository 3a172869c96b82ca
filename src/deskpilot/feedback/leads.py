"""The reports a support lead runs the team on, beyond the co-pilot's figures.

Each figure in one line (the README repeats these); "elapsed" is wall-clock time, or only the
working time when ``[sla.business_hours]`` is set:

* SLA attainment, per priority and overall: first response (created -> first agent reply) and
  resolution (created -> first solved or closed) within the priority's target, of the tickets
  whose clock stopped plus those still running past their target (breached); tickets still
  inside their target are not counted yet.
* breaches: those past their target, the most overdue first.
* backlog: per day, the tickets new, open, pending and escalated at the end of the day.
* first response and resolution times by priority, channel and tier: median and p90 (the
  nearest-rank 90th percentile: the smallest time at least 90% of tickets were within).
* reopen rate: resolved tickets that opened again (a status change back, or the customer
  writing after the resolution), of resolved tickets.
* one-touch resolution: resolved tickets answered with a single agent reply and not reopened,
  of resolved tickets that had a reply.
* per agent (leads only): replies sent, tickets worked, tickets solved, median handle time
  (a draft shown to its reply sent), CSAT and QA of the tickets they solved.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from deskpilot.config import SlaSettings
from deskpilot.feedback.work import (
    UNKNOWN_AGENT,
    History,
    actions_by_ticket,
    history,
    replies_by_ticket,
    solver,
    worked_by,
)
from deskpilot.models import PRIORITY_ORDER, ActionRecord, EditEvent, EditOutcome, Status
from deskpilot.queue.sla import elapsed, resolution_target, target
from deskpilot.store import ReplyFact, TicketFacts

BACKLOG_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ESCALATED)
SENT = frozenset({EditOutcome.SENT_AS_IS, EditOutcome.SENT_EDITED, EditOutcome.REPLACED_BY_MACRO})
MAX_DAYS = 90  # the longest backlog series drawn
MAX_BREACHES = 20


@dataclass
class Attainment:
    met: int = 0
    breached: int = 0

    @property
    def rate(self) -> float | None:
        total = self.met + self.breached
        return self.met / total if total else None

    def to_json(self) -> dict[str, Any]:
        return {"met": self.met, "breached": self.breached, "rate": _round(self.rate)}


@dataclass(frozen=True)
class Breach:
    ticket_id: str
    kind: str  # "first response" or "resolution"
    priority: str
    waited_minutes: float
    target_minutes: float
    running: bool  # still waiting now (no reply, or not resolved yet)


@dataclass(frozen=True)
class Times:
    """Minutes: the median and the p90 of ``count`` tickets."""

    count: int
    median: float | None
    p90: float | None

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "median": _round(self.median), "p90": _round(self.p90)}


@dataclass
class AgentWork:
    replies: int = 0
    tickets: int = 0  # worked: replied on, acted on, or assigned
    solved: int = 0
    handle_minutes: float | None = None  # median, draft shown -> reply sent
    csat: float | None = None  # mean, of the tickets they solved
    qa: float | None = None  # mean QA score (0-100) of the tickets they solved

    def to_json(self) -> dict[str, Any]:
        return {k: _round(v) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass
class LeadReport:
    business_hours: bool
    first_response_sla: dict[str, Attainment]  # priority -> ..., and "all"
    resolution_sla: dict[str, Attainment]
    breaches: list[Breach]
    backlog: dict[str, list[Any]]  # "date" and one series per open status
    first_response: dict[str, dict[str, Times]]  # "priority"/"channel"/"tier" -> value -> times
    resolution: dict[str, dict[str, Times]]
    resolved: int
    reopened: int
    one_touch: int
    answered_resolved: int  # resolved tickets with at least one agent reply
    by_agent: dict[str, AgentWork] | None = field(default=None)

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.resolved if self.resolved else None

    @property
    def one_touch_rate(self) -> float | None:
        return self.one_touch / self.answered_resolved if self.answered_resolved else None

    def to_json(self) -> dict[str, Any]:
        return {
            "business_hours": self.business_hours,
            "sla": {
                "first_response": {k: v.to_json() for k, v in self.first_response_sla.items()},
                "resolution": {k: v.to_json() for k, v in self.resolution_sla.items()},
            },
            "breaches": [
                {**asdict(b), "waited_minutes": round(b.waited_minutes, 1)} for b in self.breaches
            ],
            "backlog": self.backlog,
            "first_response_times": _times_json(self.first_response),
            "resolution_times": _times_json(self.resolution),
            "resolved": self.resolved,
            "reopened": self.reopened,
            "reopen_rate": _round(self.reopen_rate),
            "one_touch": self.one_touch,
            "one_touch_rate": _round(self.one_touch_rate),
            "by_agent": None
            if self.by_agent is None
            else {k: v.to_json() for k, v in self.by_agent.items()},
        }


def lead_report(
    tickets: list[TicketFacts],
    replies: list[ReplyFact],
    actions: list[ActionRecord],
    events: list[EditEvent],
    sla: SlaSettings,
    *,
    now: datetime,
    since: datetime | None,
    until: datetime | None = None,
    per_agent: bool = False,
    qa_scores: dict[str, float] | None = None,
) -> LeadReport:
    """The lead's figures for tickets created in [since, until); ``tickets`` may reach back
    further (the backlog counts every ticket open during the period), ``replies`` and
    ``actions`` are those of these tickets, ``events`` the edit events of the period."""
    end = min(now, until) if until else now
    by_replies = replies_by_ticket(replies)
    by_actions = actions_by_ticket(actions)
    histories = {t.id: history(t, by_actions.get(t.id, [])) for t in tickets}
    in_period = [t for t in tickets if _within(t.created_at, since, until)]
    hours = sla.business_hours

    def spent(start: datetime, stop: datetime) -> float:
        return elapsed(start, stop, hours).total_seconds() / 60

    first_sla, resolution_sla, breaches = _sla(in_period, histories, sla, end, spent)
    resolved = [t for t in in_period if histories[t.id].first_resolved_at() is not None]
    reopened = {t.id for t in resolved if _reopened(t, histories[t.id])}
    answered = [t for t in resolved if by_replies.get(t.id)]
    one_touch = [t for t in answered if len(by_replies[t.id]) == 1 and t.id not in reopened]

    def first_response(t: TicketFacts) -> float | None:
        return spent(t.created_at, t.first_reply_at) if t.first_reply_at else None

    def resolution(t: TicketFacts) -> float | None:
        at = histories[t.id].first_resolved_at()
        return spent(t.created_at, at) if at else None

    return LeadReport(
        business_hours=hours is not None,
        first_response_sla=first_sla,
        resolution_sla=resolution_sla,
        breaches=breaches[:MAX_BREACHES],
        backlog=_backlog(tickets, histories, since, end),
        first_response=_times_by(in_period, first_response),
        resolution=_times_by(in_period, resolution),
        resolved=len(resolved),
        reopened=len(reopened),
        one_touch=len(one_touch),
        answered_resolved=len(answered),
        by_agent=(
            _by_agent(in_period, by_replies, by_actions, events, qa_scores or {})
            if per_agent
            else None
        ),
    )


def _within(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


def _reopened(ticket: TicketFacts, past: History) -> bool:
    resolved_at = past.first_resolved_at()
    if resolved_at is None:
        return False
    wrote_again = ticket.last_customer_at is not None and ticket.last_customer_at > resolved_at
    return wrote_again or past.reopened_after(resolved_at)


def _sla(
    tickets: list[TicketFacts],
    histories: dict[str, History],
    sla: SlaSettings,
    end: datetime,
    spent: Callable[[datetime, datetime], float],
) -> tuple[dict[str, Attainment], dict[str, Attainment], list[Breach]]:
    first = {p.value: Attainment() for p in PRIORITY_ORDER}
    solved = {p.value: Attainment() for p in PRIORITY_ORDER}
    breaches: list[Breach] = []
    for ticket in tickets:
        priority = ticket.priority.value
        resolved_at = histories[ticket.id].first_resolved_at()
        # First response: the clock stops at the first reply; a ticket resolved without one
        # (spam, a duplicate) never owed one.
        allowed = target(ticket.priority, sla).total_seconds() / 60
        if ticket.first_reply_at is not None:
            waited, running = spent(ticket.created_at, ticket.first_reply_at), False
        elif resolved_at is None:
            waited, running = spent(ticket.created_at, end), True
        else:
            waited, running = None, False
        _judge(first[priority], waited, allowed, running, ticket, "first response", breaches)
        allowed = resolution_target(ticket.priority, sla).total_seconds() / 60
        if resolved_at is not None:
            waited, running = spent(ticket.created_at, resolved_at), False
        else:
            waited, running = spent(ticket.created_at, end), True
        _judge(solved[priority], waited, allowed, running, ticket, "resolution", breaches)
    for table in (first, solved):
        table["all"] = Attainment(
            sum(a.met for a in table.values()), sum(a.breached for a in table.values())
        )
    breaches.sort(key=lambda b: -(b.waited_minutes - b.target_minutes))
    return first, solved, breaches


def _judge(
    tally: Attainment,
    waited: float | None,
    allowed: float,
    running: bool,
    ticket: TicketFacts,
    kind: str,
    breaches: list[Breach],
) -> None:
    if waited is None:
        return
    if waited > allowed:
        tally.breached += 1
        breaches.append(
            Breach(ticket.id, kind, ticket.priority.value, waited, allowed, running=running)
        )
    elif not running:
        tally.met += 1  # a clock still inside its target has not met it yet


def _backlog(
    tickets: list[TicketFacts],
    histories: dict[str, History],
    since: datetime | None,
    end: datetime,
) -> dict[str, list[Any]]:
    """Per day of the period (the last ``MAX_DAYS``), the tickets in each open status at the
    day's end (or now, for today)."""
    if not tickets:
        return {}
    first_day = (since or min(t.created_at for t in tickets)).astimezone(UTC).date()
    last_day = end.astimezone(UTC).date()
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    days = days[-MAX_DAYS:]
    ends = [min(end, datetime.combine(d + timedelta(days=1), time(0), UTC)) for d in days]
    counts = {s: [0] * (len(days) + 1) for s in BACKLOG_STATUSES}  # difference arrays
    for past in histories.values():
        steps = past.steps
        for n, (at, status) in enumerate(steps):
            if status not in counts:
                continue
            stop = steps[n + 1][0] if n + 1 < len(steps) else None
            # Snapshots ``ends[i]`` with at <= ends[i] < stop see this status.
            first = bisect_left(ends, at)
            last = len(ends) if stop is None else bisect_left(ends, stop)
            if first < last:
                counts[status][first] += 1
                counts[status][last] -= 1
    series: dict[str, list[Any]] = {"date": [d.isoformat() for d in days]}
    for status, deltas in counts.items():
        running, values = 0, []
        for delta in deltas[:-1]:
            running += delta
            values.append(running)
        series[status.value] = values
    return series


def _times_by(
    tickets: list[TicketFacts], measure: Callable[[TicketFacts], float | None]
) -> dict[str, dict[str, Times]]:
    slices: dict[str, Callable[[TicketFacts], str]] = {
        "priority": lambda t: t.priority.value,
        "channel": lambda t: t.channel.value,
        "tier": lambda t: t.tier.value if t.tier else "unknown",
    }
    result: dict[str, dict[str, Times]] = {}
    for name, key in slices.items():
        groups: dict[str, list[float]] = defaultdict(list)
        for ticket in tickets:
            value = measure(ticket)
            if value is not None:
                groups[key(ticket)].append(value)
        result[name] = {k: times(v) for k, v in sorted(groups.items(), key=_slice_order)}
    return result


def _slice_order(item: tuple[str, list[float]]) -> tuple[int, str]:
    order = [p.value for p in PRIORITY_ORDER]
    return (order.index(item[0]) if item[0] in order else len(order), item[0])


def times(values: Iterable[float]) -> Times:
    ordered = sorted(values)
    if not ordered:
        return Times(0, None, None)
    return Times(len(ordered), statistics.median(ordered), percentile(ordered, 0.9))


def percentile(ordered: list[float], share: float) -> float:
    """Nearest rank: the smallest value at least ``share`` of the values are at or under."""
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _by_agent(
    tickets: list[TicketFacts],
    replies: dict[str, list[ReplyFact]],
    actions: dict[str, list[ActionRecord]],
    events: list[EditEvent],
    qa_scores: dict[str, float],
) -> dict[str, AgentWork]:
    work: dict[str, AgentWork] = defaultdict(AgentWork)
    ids = {t.id for t in tickets}
    for ticket_id, sent in replies.items():
        if ticket_id in ids:
            for reply in sent:
                work[reply.agent or UNKNOWN_AGENT].replies += 1
    for agent, worked in worked_by(tickets, replies, actions).items():
        work[agent].tickets = len(worked)
    solved: dict[str, list[TicketFacts]] = defaultdict(list)
    for ticket in tickets:
        who = solver(ticket, replies.get(ticket.id, []), actions.get(ticket.id, []))
        if who is not None:
            solved[who].append(ticket)
    for agent, done in solved.items():
        work[agent].solved = len(done)
        scores = [t.csat for t in done if t.csat]
        work[agent].csat = statistics.fmean(scores) if scores else None
        quality = [qa_scores[t.id] for t in done if t.id in qa_scores]
        work[agent].qa = statistics.fmean(quality) if quality else None
    handling: dict[str, list[float]] = defaultdict(list)
    for event in events:
        if event.outcome in SENT and event.finished_at is not None:
            minutes = (event.finished_at - event.shown_at).total_seconds() / 60
            handling[event.agent].append(max(0.0, minutes))
    for agent, spans in handling.items():
        work[agent].handle_minutes = statistics.median(spans)
    return dict(sorted(work.items()))


def _times_json(table: dict[str, dict[str, Times]]) -> dict[str, Any]:
    return {name: {k: v.to_json() for k, v in values.items()} for name, values in table.items()}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
