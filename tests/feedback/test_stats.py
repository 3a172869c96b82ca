"""Each statistic on a hand-built history with known answers (see streams.py)."""

from __future__ import annotations

import json

import pytest

from conftest import Cli
from deskpilot.desk import Desk
from deskpilot.feedback.stats import compute_stats

from .streams import NOW, build_history


@pytest.fixture
def history(desk: Desk) -> Desk:
    build_history(desk.store)
    return desk


def test_overall_figures(history: Desk) -> None:
    team = compute_stats(history.store, now=NOW, abandoned_after_days=7)
    o = team.overall
    assert (o.tickets, o.drafts) == (5, 5)  # the draft still being edited is not counted
    assert o.acceptance_rate == pytest.approx(2 / 5)
    assert o.mean_similarity == pytest.approx((1.0 + 0.8 + 1.0) / 3)
    assert o.deflection_rate == pytest.approx(1 / 2)  # T1 of T1, T2 (T4 is abandoned, apart)
    assert o.escalation_rate == pytest.approx(1 / 5)
    assert o.csat == pytest.approx(4.0)
    assert team.abandoned == 1
    assert team.first_response_minutes == pytest.approx(60)  # median of 30, 120, 60
    assert team.resolution_minutes == pytest.approx(120)  # median of 60, 180
    assert team.escalation_reasons == {"angry customer": 1}
    assert team.csat_distribution == {3: 1, 5: 1}


def test_figures_by_intent_drafter_and_agent(history: Desk) -> None:
    team = compute_stats(history.store, now=NOW, per_agent=True)
    billing, access = team.by_intent["billing"], team.by_intent["access"]
    assert (billing.tickets, billing.drafts) == (2, 3)
    assert billing.acceptance_rate == pytest.approx(1 / 3)
    assert billing.mean_similarity == pytest.approx(0.9)
    assert billing.deflection_rate == pytest.approx(0.5)
    assert (access.tickets, access.drafts, access.acceptance_rate) == (3, 2, 0.5)
    assert access.deflection_rate is None and access.escalation_rate == pytest.approx(1 / 3)
    assert set(team.by_drafter) == {"local", "model"}
    assert team.by_drafter["model"].acceptance_rate == 0.0
    assert team.by_agent is not None and set(team.by_agent) == {"ada", "bo"}
    assert team.by_agent["bo"].mean_similarity == pytest.approx(0.8)


def test_per_agent_figures_are_for_leads_only(history: Desk, cli: Cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cli.workspace_dir = history.workspace.root
    agent_view = json.loads(cli("stats", "--json", "--since", "all").stdout)
    assert agent_view["by_agent"] is None
    monkeypatch.setenv("DESKPILOT_AGENT__ROLE", "lead")
    lead_view = json.loads(cli("stats", "--json", "--since", "all").stdout)
    assert set(lead_view["by_agent"]) == {"ada", "bo"}
    for key in ("tickets", "drafts", "acceptance_rate", "mean_similarity", "deflection_rate",
                "escalation_rate", "csat", "by_intent"):  # fmt: skip
        assert key in lead_view
    assert lead_view["by_intent"]["billing"]["drafts"] == 3


def test_since_narrows_to_recent_work(history: Desk) -> None:
    from datetime import timedelta

    team = compute_stats(history.store, now=NOW, since=NOW - timedelta(days=5))
    assert team.overall.tickets == 4  # T4 is older
    assert team.daily["tickets"][-1] == 4 and team.daily["drafts"][-1] == 5


def test_the_human_report_draws_its_trends(history: Desk, cli: Cli) -> None:
    cli.workspace_dir = history.workspace.root
    result = cli("stats", "--since", "all")
    assert result.exit_code == 0, result.output
    assert "acceptance 40%" in result.stdout and "CSAT 4.00" in result.stdout
    assert any(bar in result.stdout for bar in "▁▂▃▄▅▆▇█")


def test_per_agent_figures_count_the_tickets_each_agent_worked(history: Desk) -> None:
    """The seeded-demo bug: per agent, tickets equalled drafts and escalations were 0, because
    only drafted tickets counted. cy escalates T3 and answers T5 by hand, with no draft."""
    from deskpilot.models import ActionRecord, Author, Message

    store = history.store
    store.record_action(ActionRecord(ticket_id="T3", actor="cy", action="escalate", at=NOW))
    store.append_message("T5", Message(author=Author.AGENT, body="On it.", author_name="cy"))
    team = compute_stats(store, now=NOW, per_agent=True)
    assert team.by_agent is not None
    cy = team.by_agent["cy"]
    assert (cy.tickets, cy.drafts, cy.escalation_rate) == (2, 0, 0.5)
    # ada worked T1, T4 (replies) and T2, T3 (drafts): T3 escalated.
    ada = team.by_agent["ada"]
    assert (ada.tickets, ada.drafts, ada.escalation_rate) == (4, 4, 0.25)
    assert team.by_agent["bo"].tickets == 1  # T2, replied and drafted


def test_a_reply_written_without_a_draft_is_not_deflected(history: Desk) -> None:
    from deskpilot.models import Author, Message

    before = compute_stats(history.store, now=NOW).overall.deflection_rate
    assert before == pytest.approx(1 / 2)  # T1 of T1, T2
    history.store.append_message(
        "T1", Message(author=Author.AGENT, body="One more thing.", author_name="ada", at=NOW)
    )
    after = compute_stats(history.store, now=NOW).overall
    assert after.deflection_rate == 0.0 and after.acceptance_rate == pytest.approx(2 / 5)


def test_stats_as_csv_and_for_a_period(history: Desk, cli: Cli) -> None:
    import csv
    import io

    cli.workspace_dir = history.workspace.root
    result = cli("stats", "--csv", "--since", "2026-11-01", "--until", "2026-11-30")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["report", "slice", "name", "measure", "value"]
    table = {tuple(row[:4]): row[4] for row in rows[1:]}
    assert table[("team", "", "", "tickets")] == "5"
    assert table[("period", "", "", "until")] == "2026-12-01T00:00:00+00:00"  # the 30th included
    assert table[("resolution_quality", "", "", "resolved")] == "2"  # T1, T2
    assert table[("sla_first_response", "priority", "all", "met")] == "3"  # T1, T2, T4 in a day
    narrow = cli("stats", "--json", "--since", "2026-11-15T00:00", "--until", "2026-11-19")
    assert json.loads(narrow.stdout)["tickets"] == 4  # T4 is older


def test_a_bad_period_is_one_line_and_exit_2(history: Desk, cli: Cli) -> None:
    cli.workspace_dir = history.workspace.root
    result = cli("stats", "--since", "last tuesday")
    assert result.exit_code == 2
    assert "cannot read 'last tuesday' as a time" in result.output


def test_figures_by_the_drafts_own_confidence(history: Desk) -> None:
    """Each finished draft is counted in the band of its own confidence (stored with it)."""
    from deskpilot.models import Draft

    events = [e for e in history.store.list_edit_events() if e.outcome.value != "pending"]
    sure, unsure = events[0], events[1]
    for event, confidence in ((sure, 0.9), (unsure, 0.2)):
        draft = Draft(ticket_id=event.ticket_id, text="d", drafter="local", confidence=confidence)
        draft_id = history.store.save_draft(draft)
        history.store.save_edit_event(event.model_copy(update={"draft_id": draft_id}))
    team = compute_stats(history.store, now=NOW)
    bands = team.by_draft_confidence
    assert bands["sure (0.7+)"].drafts == 1 and bands["unsure (<0.4)"].drafts == 1
    assert bands["unknown"].drafts == len(events) - 2
    sure_accepted = 1.0 if sure.outcome.value == "sent_as_is" else 0.0
    assert bands["sure (0.7+)"].acceptance_rate == sure_accepted
