"""Team mode: one agent a ticket, leases, "give me the next ticket", replies sent once, and the
live queue. Every test runs on SQLite and (with DESKPILOT_TEST_POSTGRES_URL) on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.config import AgentSettings, Settings
from deskpilot.desk import Desk
from deskpilot.errors import ClaimError
from deskpilot.models import Author, Customer, Message, Priority, Status, Ticket
from deskpilot.store import SCHEMA_VERSION, QueueFilter, Store, open_store
from deskpilot.workspace import Workspace

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def ticket(number: int, **changes: object) -> Ticket:
    fields: dict[str, object] = {
        "id": f"T-{number:03d}",
        "subject": f"Ticket {number}",
        "customer": Customer(id="C-1", email="c1@example.com"),
        "messages": [Message(author=Author.CUSTOMER, body=f"help {number}", at=T0)],
        "created_at": T0 + timedelta(minutes=number),
        "updated_at": T0 + timedelta(minutes=number),
    }
    fields.update(changes)
    return Ticket.model_validate(fields)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with open_store(database_url) as opened:
        opened.add_tickets([ticket(n) for n in range(1, 6)])
        yield opened


DeskFor = Callable[[str], Desk]


@pytest.fixture
def desk_for(store: Store, database_url: str, tmp_path: Path) -> Iterator[DeskFor]:
    """A desk per agent, each with its own connection to the one team database."""
    desks: list[Desk] = []

    def open_desk(agent: str) -> Desk:
        settings = Settings().model_copy(update={"agent": AgentSettings(name=agent)})
        desk = Desk(Workspace.create(tmp_path / agent), settings, open_store(database_url))
        desk.clock = lambda: T0 + timedelta(days=30)
        desks.append(desk)
        return desk

    yield open_desk
    for desk in desks:
        desk.close()


# --- the store ------------------------------------------------------------------------------


def test_a_claimed_ticket_is_refused_to_everyone_else_until_the_lease_runs_out(
    store: Store,
) -> None:
    claim = store.claim("T-001", "ada", lease=LEASE, now=T0)
    with pytest.raises(ClaimError, match="T-001 is being handled by ada") as refused:
        store.claim("T-001", "bo", lease=LEASE, now=T0 + timedelta(minutes=9))
    assert refused.value.holder == "ada"
    again = store.claim("T-001", "ada", lease=LEASE, now=T0 + timedelta(minutes=5))
    assert again.token == claim.token and again.until == T0 + timedelta(minutes=15)
    taken = store.claim("T-001", "bo", lease=LEASE, now=T0 + timedelta(minutes=16))
    assert taken.token != claim.token
    holder = store.claim_holder("T-001", now=T0 + timedelta(minutes=16))
    assert holder is not None and holder.agent == "bo"
    with pytest.raises(ClaimError, match="lapsed and bo took it over"):
        store.check_claim(claim)
    with pytest.raises(ClaimError, match="lapsed and bo took it over"):
        store.renew_claim(claim, lease=LEASE)
    assert store.release_claim(claim) is False  # not ada's to release any more
    assert store.release_claim(taken) is True
    assert store.claim_holder("T-001") is None


def test_claim_next_hands_out_each_free_ticket_once_in_queue_order(store: Store) -> None:
    store.update_ticket("T-004", priority=Priority.URGENT)
    store.update_ticket("T-005", status=Status.PENDING)  # waits on the customer, not an agent
    store.claim("T-002", "bo", lease=LEASE, now=T0)
    handed = []
    while (claim := store.claim_next("ada", lease=LEASE, now=T0)) is not None:
        handed.append(claim.ticket_id)
    assert handed == ["T-004", "T-001", "T-003"]
    later = T0 + LEASE + timedelta(seconds=1)  # every lease ran out: all of them are free
    assert store.claim_next("cy", lease=LEASE, now=later) is not None
    only_urgent = QueueFilter(statuses=frozenset({Status.NEW}), priority=Priority.URGENT)
    assert store.claim_next("cy", lease=LEASE, where=only_urgent, now=later) is None


def test_the_queue_shows_who_is_handling_what(store: Store) -> None:
    store.claim("T-003", "bo", lease=LEASE, now=T0)
    rows = {row.id: row for row in store.list_queue()}
    assert rows["T-003"].claimed_by == "bo"
    assert rows["T-003"].handled_by_other("ada", T0) == "bo"
    assert rows["T-003"].handled_by_other("bo", T0) is None
    assert rows["T-003"].handled_by_other("ada", T0 + LEASE) is None  # lease over
    assert rows["T-001"].claimed_by is None


def test_a_listener_wakes_on_another_desks_change_and_only_then(
    store: Store, database_url: str
) -> None:
    listener = store.change_listener(poll_interval=0.1)
    try:
        assert listener.wait(0.3) is False
        with open_store(database_url) as other:
            other.claim("T-001", "bo", lease=LEASE)
        assert listener.wait(5) is True
        assert listener.wait(0.3) is False  # that change was reported once
        woke = threading.Event()

        def watch() -> None:
            if listener.wait(5):
                woke.set()

        watcher = threading.Thread(target=watch)
        watcher.start()
        with open_store(database_url) as other:
            other.update_ticket("T-002", status=Status.SOLVED)
        watcher.join()
        assert woke.is_set()
    finally:
        listener.close()
    assert store.wait_for_change(0.2) is False
    store.append_message("T-003", Message(author=Author.NOTE, body="hi"))
    assert store.wait_for_change(5) is True


# --- the desk -------------------------------------------------------------------------------


def test_two_agents_never_hold_one_ticket_and_the_reply_goes_out_once(desk_for: DeskFor) -> None:
    ada, bo = desk_for("ada"), desk_for("bo")
    ada.claim("T-001")
    assert bo.handled_by("T-001") == "ada" and ada.handled_by("T-001") is None
    with pytest.raises(ClaimError, match="being handled by ada"):
        bo.claim("T-001")
    with pytest.raises(ClaimError, match="being handled by ada"):
        bo.send_reply("T-001", "Me too")
    with pytest.raises(ClaimError, match="being handled by ada"):
        bo.add_note("T-001", "I'd say")
    ada.send_reply("T-001", "Here is how")
    ticket = ada.ticket("T-001")
    assert [m.body for m in ticket.messages if m.author is Author.AGENT] == ["Here is how"]
    assert ticket.status is Status.PENDING
    assert bo.handled_by("T-001") is None  # sending released it
    # the reply makes the unowned ticket the sender's
    assert [a.action for a in ada.store.list_actions("T-001")] == ["send", "assign"]


def test_an_agent_whose_lease_was_taken_cannot_send(desk_for: DeskFor) -> None:
    ada, bo = desk_for("ada"), desk_for("bo")
    ada.claim("T-001")
    bo.clock = lambda: ada.clock() + LEASE + timedelta(minutes=1)  # ada walked away
    bo.claim("T-001")
    with pytest.raises(ClaimError, match="lapsed and bo took it over"):
        ada.send_reply("T-001", "Late answer")
    bo.send_reply("T-001", "On it")
    with pytest.raises(ClaimError, match="lapsed and it was released"):
        ada.send_reply("T-001", "Late answer")  # pressing send again changes nothing
    with pytest.raises(ClaimError, match="lapsed and it was released"):
        ada.solve("T-001")
    replies = [m.body for m in ada.ticket("T-001").messages if m.author is Author.AGENT]
    assert replies == ["On it"]
    assert [(a.actor, a.action) for a in ada.store.list_actions("T-001")] == [
        ("bo", "send"),
        ("bo", "assign"),
    ]
    ada.claim("T-001")  # reopening it shows her bo's reply; now she may act
    ada.add_note("T-001", "bo answered")


def test_renewing_keeps_the_ticket_and_reports_lost_ones(desk_for: DeskFor) -> None:
    ada, bo = desk_for("ada"), desk_for("bo")
    ada.claim("T-001")
    ada.claim("T-002")
    start = ada.clock()
    ada.clock = lambda: start + timedelta(minutes=8)
    assert ada.renew_claims() == []
    bo.clock = lambda: start + timedelta(minutes=12)  # past the first lease, not the renewed one
    with pytest.raises(ClaimError):
        bo.claim("T-001")
    ada.release("T-002")
    taken = bo.claim("T-002")
    assert taken.agent == "bo"
    assert ada.holds("T-001") and not ada.holds("T-002")
    bo.clock = lambda: start + timedelta(minutes=30)
    bo.claim("T-001")
    assert ada.renew_claims() == ["T-001"]


async def test_claim_next_and_closing_a_desk_releases_what_it_held(desk_for: DeskFor) -> None:
    ada, bo = desk_for("ada"), desk_for("bo")
    first = ada.claim_next()
    second = bo.claim_next()
    assert first is not None and second is not None and first.id != second.id
    await ada.escalate(first.id, "needs billing")
    assert ada.ticket(first.id).status is Status.ESCALATED
    ada.claim("T-005")
    ada.close()
    assert bo.handled_by("T-005") is None
    assert bo.handled_by(second.id) is None  # bo's own


# --- the command line -----------------------------------------------------------------------


def test_deskpilot_migrate_creates_then_reports_nothing_to_do(
    empty_database: str, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", empty_database)
    first = cli("migrate")
    assert first.exit_code == 0, first.output
    assert f"created the DeskPilot schema (version {SCHEMA_VERSION})" in first.output
    again = cli("migrate")
    assert again.exit_code == 0 and "nothing to do" in again.output
    assert cli("init").exit_code == 0 and cli("queue").exit_code == 0


@pytest.mark.postgres
def test_a_desk_on_an_unmigrated_team_database_is_told_what_to_run(
    new_postgres_database: str, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", new_postgres_database)
    result = cli("init")
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ") and "run 'deskpilot migrate'" in line


def test_the_desks_queue_watcher_sees_another_desks_claim(desk_for: DeskFor) -> None:
    ada, bo = desk_for("ada"), desk_for("bo")
    watcher = ada.queue_watcher()
    try:
        expected = "Notify" if ada.store.dialect == "postgresql" else "Polling"
        # The desk wraps the store's watcher so a snooze coming due also counts as a change.
        assert type(getattr(watcher, "_inner", watcher)).__name__ == f"{expected}QueueWatcher"
        assert watcher.changed() is False
        bo.claim("T-003")
        assert watcher.changed() is True
        assert watcher.changed() is False
        bo.send_reply("T-003", "Done")
        assert watcher.changed() is True
    finally:
        watcher.close()
    assert watcher.changed() is False  # closed: answers at once, holds nothing
