"""Signals for team leads: what the numbers say should happen next.

* spikes: an intent arriving far above its trailing baseline (an incident before monitoring
  sees it);
* recurring pages: the pages customers keep writing from (a UX gap);
* knowledge gaps: intents whose drafts agents rewrite, or that no article or past reply backs;
* repeated edits: the same change agents make again and again (an article or template to fix).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from deskpilot.models import Draft, EditEvent, EditOutcome
from deskpilot.store import TicketFacts

KNOWLEDGE_KINDS = frozenset({"article", "ticket", "fact"})


@dataclass(frozen=True)
class Spike:
    intent: str
    recent: int  # tickets in the recent window
    expected: float  # the trailing baseline for a window that long

    @property
    def ratio(self) -> float:
        return self.recent / max(self.expected, 0.5)


@dataclass(frozen=True)
class KnowledgeGap:
    intent: str
    drafts: int
    mean_similarity: float | None
    unsupported_share: float  # drafts with no article, past reply or fact behind them


@dataclass(frozen=True)
class RepeatedEdit:
    removed: str
    added: str
    times: int


@dataclass(frozen=True)
class Signals:
    spikes: list[Spike]
    recurring_pages: list[tuple[str, int]]
    knowledge_gaps: list[KnowledgeGap]
    repeated_edits: list[RepeatedEdit]

    def described(self) -> list[tuple[str, str]]:
        """(kind, one line a lead reads) for each signal: spike, page, gap, edit."""
        lines = [
            ("spike", f"{s.intent}: {s.recent} in 24 h, {s.expected:.1f} expected")
            for s in self.spikes
        ]
        lines += [("page", f"{p}: {n} tickets in 30 days") for p, n in self.recurring_pages]
        lines += [
            (
                "gap",
                f"{g.intent}: similarity "
                + ("-" if g.mean_similarity is None else f"{g.mean_similarity:.3f}")
                + f", {g.unsupported_share:.0%} of {g.drafts} drafts without a source",
            )
            for g in self.knowledge_gaps
        ]
        lines += [
            ("edit", f"{r.times}x '{_short(r.removed)}' -> '{_short(r.added)}': "
                     "change the article or template")
            for r in self.repeated_edits
        ]  # fmt: skip
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "spikes": [{**_rounded(asdict(s)), "ratio": round(s.ratio, 2)} for s in self.spikes],
            "recurring_pages": [{"page": p, "tickets": n} for p, n in self.recurring_pages],
            "knowledge_gaps": [_rounded(asdict(g)) for g in self.knowledge_gaps],
            "repeated_edits": [asdict(r) for r in self.repeated_edits],
        }


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()}


def find_signals(
    tickets: list[TicketFacts],
    events: list[EditEvent],
    drafts: dict[int, Draft],
    *,
    now: datetime,
) -> Signals:
    return Signals(
        spikes=spikes(tickets, now=now),
        recurring_pages=recurring_pages(tickets, now=now),
        knowledge_gaps=knowledge_gaps(events, drafts),
        repeated_edits=repeated_edits(events),
    )


def spikes(
    tickets: list[TicketFacts],
    *,
    now: datetime,
    recent: timedelta = timedelta(hours=24),
    baseline: timedelta = timedelta(days=14),
    factor: float = 3.0,
    minimum: int = 5,
) -> list[Spike]:
    """Intents with at least ``minimum`` tickets in the recent window and ``factor`` times what
    the baseline before it predicts. The prediction scales with today's overall volume, so a
    busy Monday is not an incident in every intent; one intent surging is."""
    start = now - recent
    base_start = start - baseline
    recent_counts: Counter[str] = Counter()
    base_counts: Counter[str] = Counter()
    for ticket in tickets:
        intent = ticket.intent or "unknown"
        if start <= ticket.created_at <= now:
            recent_counts[intent] += 1
        elif base_start <= ticket.created_at < start:
            base_counts[intent] += 1
    recent_total, base_total = sum(recent_counts.values()), sum(base_counts.values())
    if not base_total:
        return []  # nothing to compare with yet
    found = []
    for intent, count in recent_counts.items():
        # The intent's usual share of the traffic (smoothed: a new intent is not infinitely new).
        share = (base_counts[intent] + 1) / (base_total + len(base_counts) + 1)
        expected = share * recent_total
        if count >= minimum and count >= factor * expected:
            found.append(Spike(intent, count, expected))
    return sorted(found, key=lambda s: -s.ratio)


def recurring_pages(
    tickets: list[TicketFacts], *, now: datetime, days: int = 30, minimum: int = 3
) -> list[tuple[str, int]]:
    since = now - timedelta(days=days)
    counts = Counter(t.page for t in tickets if t.page and t.created_at >= since)
    return [(page, n) for page, n in counts.most_common(5) if n >= minimum]


def knowledge_gaps(
    events: list[EditEvent],
    drafts: dict[int, Draft],
    *,
    minimum: int = 5,
    similarity_below: float = 0.6,
    unsupported_above: float = 0.5,
) -> list[KnowledgeGap]:
    groups: dict[str, list[EditEvent]] = defaultdict(list)
    for event in events:
        if event.outcome is not EditOutcome.PENDING:
            groups[event.intent or "unknown"].append(event)
    gaps = []
    for intent, group in groups.items():
        if len(group) < minimum:
            continue
        sims = [e.similarity for e in group if e.similarity is not None]
        mean = statistics.fmean(sims) if sims else None
        unsupported = sum(not _backed(e, drafts) for e in group) / len(group)
        if (mean is not None and mean < similarity_below) or unsupported > unsupported_above:
            gaps.append(KnowledgeGap(intent, len(group), mean, unsupported))
    return sorted(gaps, key=lambda g: (g.mean_similarity or 0.0, -g.drafts))


def _backed(event: EditEvent, drafts: dict[int, Draft]) -> bool:
    draft = drafts.get(event.draft_id) if event.draft_id is not None else None
    return draft is not None and any(s.kind in KNOWLEDGE_KINDS for s in draft.sources)


def repeated_edits(events: list[EditEvent], *, minimum: int = 3) -> list[RepeatedEdit]:
    """The same change (words out, words in) made in at least ``minimum`` drafts."""
    counts: Counter[tuple[str, str]] = Counter()
    for event in events:
        changes = {(removed, added) for _tag, removed, added in event.diff or []}
        counts.update(change for change in changes if len(f"{change[0]}{change[1]}") <= 200)
    return [
        RepeatedEdit(removed, added, times)
        for (removed, added), times in counts.most_common(10)
        if times >= minimum
    ]
