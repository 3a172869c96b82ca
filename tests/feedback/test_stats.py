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
    agent_view = json.loads(cli("stats", "--json").stdout)
    assert agent_view["by_agent"] is None
    monkeypatch.setenv("DESKPILOT_AGENT__ROLE", "lead")
    lead_view = json.loads(cli("stats", "--json").stdout)
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
    result = cli("stats")
    assert result.exit_code == 0, result.output
    assert "acceptance 40%" in result.stdout and "CSAT 4.00" in result.stdout
    assert any(bar in result.stdout for bar in "▁▂▃▄▅▆▇█")
