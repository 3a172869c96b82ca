"""Helpers of the channel tests: a desk on either backend with tickets living in the fake
channel, and a clock the tests move by hand (backoff and leases are measured on it, never
waited for)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskpilot.channels.outbox import OutboxWorker
from deskpilot.config import AgentSettings, ChannelSettings, FeedbackSettings, Settings
from deskpilot.desk import Desk
from deskpilot.models import Author, Customer, Message, Status, Ticket
from deskpilot.store import open_store
from deskpilot.workspace import Workspace

from .fakes import FakeChannel

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def channel_settings(agent: str = "ada") -> Settings:
    return Settings().model_copy(
        update={
            "agent": AgentSettings(name=agent),
            "feedback": FeedbackSettings(learn=False),
            "channels": ChannelSettings(
                retry_base_seconds=30, retry_max_seconds=600, max_attempts=4, lease_seconds=60
            ),
        }
    )


def open_desk(database_url: str, folder: Path, clock: Clock, agent: str = "ada") -> Desk:
    desk = Desk(Workspace.create(folder), channel_settings(agent), open_store(database_url))
    desk.clock = clock
    return desk


def fake_ticket(
    number: int = 1, *, source: str = "fake", status: Status = Status.OPEN, email: str = ""
) -> Ticket:
    email = email or f"customer{number}@example.com"
    return Ticket(
        id=f"T-{number:06d}",
        subject=f"Question {number}",
        customer=Customer(id=f"C-{number}", email=email, name=f"Customer {number}"),
        source=source,
        external_id=f"conv-{number}" if source else "",
        status=status,
        created_at=START - timedelta(hours=1),
        updated_at=START - timedelta(hours=1),
        messages=[
            Message(
                author=Author.CUSTOMER,
                body=f"My question number {number}: the invoice looks wrong.",
                at=START - timedelta(hours=1),
                external_id=f"<q{number}@customer.example>",
            )
        ],
    )


def worker_for(desk: Desk, fake: FakeChannel) -> OutboxWorker:
    return OutboxWorker(desk.channels, lambda _name: fake, desk.settings.channels, desk.clock)
