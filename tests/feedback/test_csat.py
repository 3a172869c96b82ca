"""Satisfaction surveys: a token per solved ticket, answered over real HTTP on ``deskpilot
serve``, landing on the ticket, in the audit trail and in the statistics."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.feedback.stats import compute_stats
from deskpilot.intake.server import IntakeServer
from deskpilot.models import Author

from .streams import NOW, build_history


@pytest.fixture
def history(desk: Desk) -> Desk:
    build_history(desk.store)
    desk.clock = lambda: NOW
    return desk


@pytest.fixture
def url(history: Desk) -> Iterator[str]:
    with IntakeServer(history, history.settings.intake, port=0).running() as base:
        yield base


def test_one_survey_per_solved_ticket(history: Desk) -> None:
    survey = history.csat_survey("T1")
    assert history.csat_survey("T1").token == survey.token  # kept, not made anew
    assert len(survey.token) >= 32 and history.csat_survey("T2").token != survey.token
    assert survey.url == f"http://127.0.0.1:8765/csat/{survey.token}"
    for score in range(1, 6):
        assert f"{survey.url}?score={score}" in survey.text
    assert '"billing T1"' in survey.text  # the subject
    with pytest.raises(DeskPilotError, match="T5 is open"):
        history.csat_survey("T5")


def test_a_one_click_answer_lands_on_the_ticket_and_in_the_stats(
    history: Desk, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    survey = history.csat_survey("T2")  # CSAT 3 so far
    with caplog.at_level(logging.INFO, logger="deskpilot.intake"):
        answered = httpx.get(f"{url}/csat/{survey.token}", params={"score": "1"})
    assert answered.status_code == 200 and answered.json() == {"thanks": True, "score": 1}
    assert history.store.get_ticket("T2").csat == 1
    assert compute_stats(history.store, now=NOW).overall.csat == pytest.approx((5 + 1) / 2)
    (record,) = history.store.list_actions("T2", action="csat")
    assert record.params == {"score": 1, "comment": False} and record.actor == "customer"
    # The server side's log (the test's own HTTP client logs the URL it asked for).
    log = "\n".join(r.getMessage() for r in caplog.records if r.name != "httpx")
    assert survey.token not in log and "/csat/<token>" in log


def test_a_comment_is_posted_and_shown_to_agents_as_a_note(history: Desk, url: str) -> None:
    survey = history.csat_survey("T1")
    comment = "Quick, but [b]the[/b] link was broken"
    posted = httpx.post(f"{url}/csat/{survey.token}", json={"score": 4, "comment": comment})
    assert posted.status_code == 200
    ticket = history.store.get_ticket("T1")
    assert ticket.csat == 4
    note = ticket.messages[-1]
    assert note.author is Author.NOTE and note.body == f"CSAT 4/5 from the customer: {comment}"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"score": 0}, "score must be a whole number from 1 to 5"),
        ({"score": 6}, "score must be a whole number from 1 to 5"),
        ({"score": "great"}, "score must be a whole number from 1 to 5"),
        ({"score": True}, "score must be a whole number from 1 to 5"),
        ({"score": 5, "comment": 12}, "comment must be text"),
        ({"score": 5, "comment": "x" * 2001}, "comment is longer than 2000 characters"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(
    history: Desk, url: str, body: dict[str, object], problem: str
) -> None:
    survey = history.csat_survey("T1")
    refused = httpx.post(f"{url}/csat/{survey.token}", json=body)
    assert refused.status_code == 422 and refused.json() == {"error": problem}
    assert history.store.get_ticket("T1").csat == 5
    assert history.store.list_actions("T1", action="csat") == []


def test_unknown_tokens_and_methods(url: str) -> None:
    assert httpx.get(f"{url}/csat/not-a-token", params={"score": 5}).status_code == 404
    assert httpx.delete(f"{url}/csat/whatever").status_code == 405
