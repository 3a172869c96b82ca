"""Satisfaction surveys sent through the ticket's channel, end to end on a copy of the demo:
solving schedules the survey, the channel service queues it after ``[csat] delay_minutes``, the
demo channel delivers it (records/outbox.jsonl), the customer clicks a link on ``deskpilot
serve`` and the score lands on the ticket and in the stats; once per ticket, never on an off
channel, not for a ticket reopened before it was due."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import httpx
import pytest

from deskpilot.channels.service import ChannelService
from deskpilot.config import CsatSettings
from deskpilot.desk import Desk
from deskpilot.feedback.stats import compute_stats
from deskpilot.intake.server import IntakeServer
from deskpilot.models import Channel, Status
from deskpilot.store import QueueFilter
from deskpilot.store.channels import DeliveryState

LINK = re.compile(r"(http://\S+/csat/\S+)\?score=(\d)")


def demo_ticket(desk: Desk, channel: Channel | None = None) -> str:
    where = QueueFilter(statuses=frozenset({Status.OPEN, Status.NEW}))
    for row in desk.store.list_queue(where, limit=200):
        ticket = desk.ticket(row.id)
        if ticket.source == "demo" and ticket.customer and channel in (None, ticket.channel):
            return ticket.id
    raise AssertionError("the demo has no such open ticket")


def surveys_sent(desk: Desk) -> list[dict[str, object]]:
    path = desk.workspace.root / "records" / "outbox.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [r for r in rows if r.get("kind") == "reply" and "/csat/" in str(r.get("body"))]


def run_round(desk: Desk) -> None:
    asyncio.run(ChannelService(desk, inbound=False).run_once())


def later(desk: Desk, **delta: float) -> None:
    now = desk.clock() + timedelta(**delta)
    desk.clock = lambda: now


def test_the_survey_goes_out_through_the_channel_after_the_delay_and_is_answered(
    demo_desk: Desk,
) -> None:
    ticket_id = demo_ticket(demo_desk)
    demo_desk.solve(ticket_id)
    state = demo_desk.store.survey_state(ticket_id)
    assert state is not None and state.due_at == demo_desk.clock() + timedelta(minutes=60)

    later(demo_desk, minutes=59)
    run_round(demo_desk)
    assert surveys_sent(demo_desk) == []  # not before the delay

    later(demo_desk, minutes=2)
    run_round(demo_desk)
    (sent,) = surveys_sent(demo_desk)
    ticket = demo_desk.ticket(ticket_id)
    assert ticket.customer is not None
    assert sent["ticket_id"] == ticket_id and sent["to"] == ticket.customer.email
    links = dict((int(score), url) for url, score in LINK.findall(str(sent["body"])))
    assert sorted(links) == [1, 2, 3, 4, 5] and len(set(links.values())) == 1
    assert links[5].startswith("http://127.0.0.1:8765/csat/")  # [intake] unless base_url is set
    (entry,) = [e for e in demo_desk.outbox() if e.ticket_id == ticket_id]
    assert entry.state is DeliveryState.SENT and entry.message_id == sent["message_id"]
    (audit,) = demo_desk.store.list_actions(ticket_id, action="csat_survey")
    assert audit.params == {"sent": True, "connector": "demo", "message_id": entry.message_id}
    assert len(ticket.messages) == len(demo_desk.ticket(ticket_id).messages)  # not in the thread

    token = links[5].rsplit("/", 1)[1]
    with IntakeServer(demo_desk, demo_desk.settings.intake, port=0).running() as base:
        answered = httpx.get(f"{base}/csat/{token}", params={"score": "2"})
    assert answered.status_code == 200
    assert demo_desk.ticket(ticket_id).csat == 2
    rated = [
        f.csat for f in demo_desk.store.ticket_facts() if f.id == ticket_id and f.csat is not None
    ]
    assert rated == [2]
    assert compute_stats(demo_desk.store, now=demo_desk.clock()).overall.csat is not None

    # Once per ticket: reopened and solved again, it is not surveyed a second time.
    demo_desk.reopen(ticket_id)
    demo_desk.solve(ticket_id)
    later(demo_desk, hours=2)
    run_round(demo_desk)
    assert len(surveys_sent(demo_desk)) == 1


def test_a_ticket_reopened_before_its_survey_was_due_gets_none_until_solved_again(
    demo_desk: Desk,
) -> None:
    ticket_id = demo_ticket(demo_desk)
    demo_desk.solve(ticket_id)
    later(demo_desk, minutes=30)
    demo_desk.reopen(ticket_id)
    later(demo_desk, minutes=60)
    run_round(demo_desk)
    assert surveys_sent(demo_desk) == []
    demo_desk.solve(ticket_id)  # due an hour from now, not from the first solve
    later(demo_desk, minutes=59)
    run_round(demo_desk)
    assert surveys_sent(demo_desk) == []
    later(demo_desk, minutes=1)
    run_round(demo_desk)
    assert [s["ticket_id"] for s in surveys_sent(demo_desk)] == [ticket_id]


def test_off_channels_and_disabled_surveys_send_nothing(demo_desk: Desk) -> None:
    first = demo_ticket(demo_desk)
    demo_desk.settings = demo_desk.settings.model_copy(
        update={
            "csat": CsatSettings(
                delay_minutes=0, off_channels=["demo"], base_url="https://help.example/"
            )
        }
    )
    demo_desk.solve(first)
    run_round(demo_desk)
    assert surveys_sent(demo_desk) == []
    (audit,) = demo_desk.store.list_actions(first, action="csat_survey")
    assert audit.params == {"sent": False, "why": "surveys are off on demo ([csat] off_channels)"}

    demo_desk.settings = demo_desk.settings.model_copy(
        update={"csat": CsatSettings(enabled=False, delay_minutes=0)}
    )
    second = demo_ticket(demo_desk)
    demo_desk.solve(second)
    run_round(demo_desk)
    assert demo_desk.store.survey_state(second) is None
    assert surveys_sent(demo_desk) == []


def test_the_public_base_url_and_delay_come_from_config(demo_desk: Desk) -> None:
    demo_desk.settings = demo_desk.settings.model_copy(
        update={"csat": CsatSettings(delay_minutes=5, base_url="https://help.example/")}
    )
    ticket_id = demo_ticket(demo_desk)
    demo_desk.solve(ticket_id)
    later(demo_desk, minutes=5)
    run_round(demo_desk)
    (sent,) = surveys_sent(demo_desk)
    assert "https://help.example/csat/" in str(sent["body"])


@pytest.mark.parametrize("servers", [2])
def test_two_services_never_queue_one_survey_twice(demo_desk: Desk, servers: int) -> None:
    ticket_id = demo_ticket(demo_desk)
    demo_desk.solve(ticket_id)
    later(demo_desk, hours=1)
    queued = [demo_desk.queue_due_surveys() for _ in range(servers)]
    assert [len(q) for q in queued] == [1, 0]
    assert len([e for e in demo_desk.outbox() if e.ticket_id == ticket_id]) == 1
