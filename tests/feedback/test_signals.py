"""Signals for leads on hand-built histories: spikes, recurring pages, gaps, repeated edits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskpilot.feedback.signals import knowledge_gaps, recurring_pages, repeated_edits, spikes
from deskpilot.models import Draft, EditOutcome, Source, Status
from deskpilot.store import TicketFacts

from .streams import NOW, _event


def _facts(n: int, intent: str, hours_ago: float, page: str | None = None) -> list[TicketFacts]:
    at = NOW - timedelta(hours=hours_ago)
    return [
        TicketFacts(f"{intent}-{hours_ago}-{i}", intent, Status.OPEN, at, at, None, None, True,
                    None, page)
        for i in range(n)
    ]  # fmt: skip


def test_a_spike_stands_out_against_its_baseline() -> None:
    baseline = [f for day in range(1, 15) for f in _facts(4, "billing", 24 * day + 5)]
    baseline += [f for day in range(1, 15) for f in _facts(1, "login", 24 * day + 5)]
    today = _facts(5, "billing", 2) + _facts(9, "login", 2)
    found = spikes(baseline + today, now=NOW)
    assert [(s.intent, s.recent) for s in found] == [("login", 9)]
    # login is usually (14 + 1) / (70 + 2 + 1) of the traffic, and 14 tickets came today
    assert found[0].expected == pytest.approx(15 / 73 * 14)


def test_a_busy_day_everywhere_is_not_a_spike() -> None:
    baseline = [f for day in range(1, 15) for f in _facts(2, "billing", 24 * day + 5)]
    baseline += [f for day in range(1, 15) for f in _facts(1, "login", 24 * day + 5)]
    today = _facts(20, "billing", 2) + _facts(10, "login", 2)
    assert spikes(baseline + today, now=NOW) == []


def test_recurring_pages_need_a_few_tickets() -> None:
    facts = _facts(4, "bug", 30, page="Settings · Billing") + _facts(2, "bug", 30, page="Home")
    assert recurring_pages(facts, now=NOW) == [("Settings · Billing", 4)]


def test_knowledge_gaps_are_intents_agents_rewrite_or_nothing_backs() -> None:
    backed = Draft(ticket_id="T", text="x", sources=[Source(kind="article", ref="a")],
                   drafter="local", confidence=0.5)  # fmt: skip
    bare = Draft(ticket_id="T", text="x", drafter="local", confidence=0.5)
    drafts = {1: backed, 2: bare}
    events = [_event(n, "T", "good", EditOutcome.SENT_AS_IS, 0.95, draft_id=1) for n in range(5)]
    events += [
        _event(10 + n, "T", "rewritten", EditOutcome.SENT_EDITED, 0.4, draft_id=1) for n in range(5)
    ]
    events += [
        _event(20 + n, "T", "unbacked", EditOutcome.SENT_AS_IS, 0.95, draft_id=2) for n in range(5)
    ]
    gaps = knowledge_gaps(events, drafts)
    assert [(g.intent, g.unsupported_share) for g in gaps] == [
        ("rewritten", 0.0),
        ("unbacked", 1.0),
    ]


def test_repeated_edits_are_proposed_once_they_recur() -> None:
    change = [["replace", "within 3 days", "within 5 business days"]]
    events = [_event(n, "T", "x", EditOutcome.SENT_EDITED, 0.9, diff=change) for n in range(3)]
    events.append(_event(9, "T", "x", EditOutcome.SENT_EDITED, 0.9, diff=[["delete", "Hi", ""]]))
    found = repeated_edits(events)
    assert [(r.removed, r.added, r.times) for r in found] == [
        ("within 3 days", "within 5 business days", 3)
    ]
