"""Snooze and merge on the desk: a snoozed ticket leaves the views and comes back marked (on
time or when the customer writes); a customer's duplicate tickets are suggested and merged into
one thread, audited on both; the commands over them; the v7 -> v8 migration on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from conftest import Cli
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.models import Author, Customer, Message, Status, Ticket, Tier
from deskpilot.queue.snooze import parse_when
from deskpilot.store import SCHEMA_VERSION, migrations, normalise_url, open_store
from deskpilot.workspace import Workspace

NOW = datetime(2026, 11, 4, 15, 30, tzinfo=UTC)  # a Wednesday
ANN = Customer(id="C-1", email="ann@example.com", name="Ann", tier=Tier.PRO, created_at=NOW)
BO = Customer(id="C-2", email="bo@example.com", name="Bo", tier=Tier.FREE, created_at=NOW)


def ticket(
    ticket_id: str,
    subject: str,
    body: str,
    *,
    customer: Customer = ANN,
    at: datetime = NOW - timedelta(hours=3),
    status: Status = Status.OPEN,
) -> Ticket:
    return Ticket(
        id=ticket_id,
        subject=subject,
        customer=customer,
        status=status,
        created_at=at,
        updated_at=at,
        messages=[Message(author=Author.CUSTOMER, body=body, at=at, author_name=customer.name)],
    )


@pytest.fixture
def clocked(desk: Desk) -> Desk:
    desk.clock = lambda: NOW
    return desk


def open_ids(desk: Desk) -> set[str]:
    return {row.id for row in desk.page(desk.view("open"), 0, 100)}


# --- when --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("2h", datetime(2026, 11, 4, 17, 30, tzinfo=UTC)),
        ("in 90 minutes", datetime(2026, 11, 4, 17, 0, tzinfo=UTC)),
        ("3d", datetime(2026, 11, 7, 15, 30, tzinfo=UTC)),
        ("tomorrow", datetime(2026, 11, 5, 9, 0, tzinfo=UTC)),
        ("tomorrow 9:00", datetime(2026, 11, 5, 9, 0, tzinfo=UTC)),
        ("Tomorrow 2pm", datetime(2026, 11, 5, 14, 0, tzinfo=UTC)),
        ("today 17:00", datetime(2026, 11, 4, 17, 0, tzinfo=UTC)),
        ("monday", datetime(2026, 11, 9, 9, 0, tzinfo=UTC)),
        ("next fri 14:15", datetime(2026, 11, 6, 14, 15, tzinfo=UTC)),
        ("wednesday", datetime(2026, 11, 11, 9, 0, tzinfo=UTC)),  # today is one: next week's
        ("16:00", datetime(2026, 11, 4, 16, 0, tzinfo=UTC)),
        ("10:00", datetime(2026, 11, 5, 10, 0, tzinfo=UTC)),  # passed today: tomorrow's
        ("2026-11-20T08:45", datetime(2026, 11, 20, 8, 45, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
        ("2026-11-20 10:00+02:00", datetime(2026, 11, 20, 8, 0, tzinfo=UTC)),
    ],
)
def test_when_is_read_as_agents_say_it(said: str, expected: datetime) -> None:
    assert parse_when(said, NOW) == expected


def test_wall_clock_words_are_the_teams_time_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # UTC+1 in November
    assert parse_when("tomorrow 9:00", NOW, berlin) == datetime(2026, 11, 5, 8, 0, tzinfo=UTC)
    assert parse_when("2h", NOW, berlin) == NOW + timedelta(hours=2)


@pytest.mark.parametrize(
    ("said", "problem"),
    [
        ("", "say when"),
        ("soonish", "cannot read 'soonish' as a time; use an ISO time"),
        ("9", "cannot read '9'"),
        ("25:00", "cannot read '25:00'"),
        ("2 fortnights", "cannot read"),
        ("2026-11-01", "has passed"),
        ("today 8:00", "has passed"),
        ("400d", "more than a year ahead"),
    ],
)
def test_a_time_that_cannot_be_read_or_has_passed_is_refused_plainly(
    said: str, problem: str
) -> None:
    with pytest.raises(DeskPilotError, match=problem):
        parse_when(said, NOW)


# --- snooze ----------------------------------------------------------------------------------


def test_a_snoozed_ticket_leaves_the_views_and_comes_back_marked_on_time(clocked: Desk) -> None:
    clocked.store.add_tickets([ticket("T-1", "Invoice", "Where is my invoice?")])
    until = clocked.snooze("T-1", "2h")
    assert until == NOW + timedelta(hours=2)
    assert "T-1" not in open_ids(clocked)
    assert clocked.count(clocked.view("open")) == 0
    assert clocked.snoozed() == [("T-1", until)]
    assert clocked.next_ticket(clocked.view("open")) is None  # not handed out while asleep
    assert clocked.claim_next() is None
    (audit,) = [a for a in clocked.store.list_actions("T-1") if a.action == "snooze"]
    assert audit.params == {"until": until.isoformat(), "was": None} and audit.actor == "ada"

    view = clocked.view("open")  # resolved now; the time passes while it is shown
    clocked.clock = lambda: until + timedelta(minutes=1)
    (row,) = clocked.page(view, 0, 100)
    assert row.id == "T-1" and row.back_from_snooze(clocked.clock())
    assert clocked.snoozed() == []

    clocked.mark_read("T-1")  # the agent opens it: the mark goes
    (row,) = clocked.page(view, 0, 100)
    assert row.snoozed_until is None and not row.back_from_snooze(clocked.clock())


def test_the_customer_writing_wakes_a_snoozed_ticket_at_once(clocked: Desk) -> None:
    clocked.store.add_tickets([ticket("T-1", "Invoice", "Where is my invoice?")])
    clocked.snooze("T-1", "monday")
    clocked.clock = lambda: NOW + timedelta(minutes=5)
    clocked.add_customer_message("T-1", "Any news?", source="widget")
    (row,) = clocked.page(clocked.view("open"), 0, 100)
    assert row.id == "T-1" and row.snoozed_until == NOW + timedelta(minutes=5)
    assert row.back_from_snooze(clocked.clock())


def test_a_note_or_agent_reply_does_not_wake_it(clocked: Desk) -> None:
    clocked.store.add_tickets([ticket("T-1", "Invoice", "Where is my invoice?")])
    until = clocked.snooze("T-1", "tomorrow")
    clocked.add_note("T-1", "Asked billing.")
    assert clocked.ticket("T-1").snoozed_until == until
    assert open_ids(clocked) == set()


def test_a_snoozed_view_lists_only_sleeping_tickets(clocked: Desk, workspace: Workspace) -> None:
    clocked.store.add_tickets(
        [ticket("T-1", "Invoice", "Where?"), ticket("T-2", "Login", "Locked out", customer=BO)]
    )
    clocked.snooze("T-1", "2h")
    from deskpilot.config import ViewSettings

    views = {**clocked.settings.views, "snoozed": ViewSettings(title="Snoozed", snoozed=True)}
    clocked.settings = clocked.settings.model_copy(update={"views": views})
    assert {r.id for r in clocked.page(clocked.view("snoozed"), 0, 10)} == {"T-1"}
    assert open_ids(clocked) == {"T-2"}


def test_waking_brings_it_back_now_and_solved_tickets_cannot_be_snoozed(clocked: Desk) -> None:
    clocked.store.add_tickets(
        [ticket("T-1", "Invoice", "Where?"), ticket("T-2", "Old", "Done", status=Status.SOLVED)]
    )
    clocked.snooze("T-1", "3d")
    assert clocked.wake("T-1") is True
    assert clocked.wake("T-1") is False
    assert "T-1" in open_ids(clocked)
    with pytest.raises(DeskPilotError, match="T-2 is solved: only tickets still being worked"):
        clocked.snooze("T-2", "2h")
    with pytest.raises(DeskPilotError, match="has passed"):
        clocked.snooze("T-1", NOW - timedelta(minutes=1))
    assert [a.action for a in clocked.store.list_actions("T-1")] == ["snooze", "wake"]


# --- duplicates and merge --------------------------------------------------------------------


def add_pair(desk: Desk) -> None:
    desk.store.add_tickets(
        [
            ticket(
                "T-1",
                "Charged twice for November",
                "Hi, my card was charged twice for the November invoice INV-204. Please refund.",
                at=NOW - timedelta(days=2),
            ),
            ticket(
                "T-2",
                "Double charge on invoice INV-204",
                "Hello again, I was charged twice for November (invoice INV-204), refund please",
                at=NOW - timedelta(hours=1),
            ),
            ticket("T-3", "Cannot log in", "Password reset mail never arrives."),
            ticket(
                "T-4",
                "Charged twice for November",
                "My card was charged twice for the November invoice. Please refund.",
                customer=BO,
            ),
            ticket(
                "T-5",
                "Charged twice for November",
                "My card was charged twice for the November invoice INV-204.",
                at=NOW - timedelta(days=30),
            ),
        ]
    )


def test_duplicates_are_the_same_customers_alike_tickets_within_days(clocked: Desk) -> None:
    add_pair(clocked)
    assert [d.ticket_id for d in clocked.duplicates("T-2")] == ["T-1"]  # not Bo's, not T-5
    (found,) = clocked.duplicates("T-1")
    assert found.ticket_id == "T-2" and found.similarity >= 0.75
    assert clocked.duplicates("T-3") == []


def test_merge_moves_the_thread_in_time_order_and_closes_the_source_with_a_link(
    clocked: Desk,
) -> None:
    add_pair(clocked)
    clocked.clock = lambda: NOW - timedelta(minutes=30)
    clocked.send_reply("T-1", "Hi Ann, looking into it.")
    clocked.clock = lambda: NOW
    result = clocked.merge("T-2", into="T-1")
    assert (result.source, result.target, result.moved) == ("T-2", "T-1", 1)

    target = clocked.ticket("T-1")
    bodies = [(m.author, m.body[:24]) for m in target.messages]
    assert bodies == [
        (Author.CUSTOMER, "Hi, my card was charged "),
        (Author.CUSTOMER, "Hello again, I was charg"),  # an hour ago: before the reply
        (Author.AGENT, "Hi Ann, looking into it."),
        (Author.NOTE, "Merged T-2 (“Double char"),
    ]
    source = clocked.ticket("T-2")
    assert source.status is Status.CLOSED and source.merged_into == "T-1"
    (note,) = source.messages
    assert note.author is Author.NOTE and note.body.startswith("Merged into T-1")
    assert [(a.action, a.params) for a in clocked.store.list_actions("T-2")] == [
        ("merge", {"into": "T-1", "moved": 1, "was": "open"})
    ]
    assert ("merge", {"from": "T-2", "moved": 1}) in [
        (a.action, a.params) for a in clocked.store.list_actions("T-1")
    ]
    assert clocked.duplicates("T-1") == []  # a merged ticket is no candidate any more
    assert clocked.store.merged_target("T-2") == "T-1"


def test_merge_refuses_what_cannot_be_one_conversation(clocked: Desk) -> None:
    add_pair(clocked)
    with pytest.raises(DeskPilotError, match="cannot be merged into itself"):
        clocked.merge("T-1", into="T-1")
    with pytest.raises(DeskPilotError, match="belong to different customers"):
        clocked.merge("T-4", into="T-1")
    clocked.merge("T-2", into="T-1")
    with pytest.raises(DeskPilotError, match="T-2 was merged into T-1; merge into that one"):
        clocked.merge("T-3", into="T-2")
    with pytest.raises(DeskPilotError, match="no ticket with id 'T-9'"):
        clocked.merge("T-3", into="T-9")
    assert len(clocked.ticket("T-3").messages) == 1  # nothing moved by a refused merge


# --- the commands ------------------------------------------------------------------------------


def test_snooze_and_merge_commands(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    with Desk.open(Workspace.existing(cli.workspace_dir)) as desk:
        add_pair(desk)
    result = cli("snooze", "T-3", "--until", "2h")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("T-3 snoozed until ") and "UTC" in result.output
    listed = {row["id"] for row in json.loads(cli("queue", "--json").output)}
    assert "T-3" not in listed and "T-1" in listed  # out of the queue while it sleeps
    result = cli("snooze", "T-3", "--until", "whenever")
    assert result.exit_code == 2 and "cannot read 'whenever' as a time" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = cli("merge", "T-2", "--into", "T-1")
    assert result.exit_code == 0, result.output
    assert "Merged T-2 into T-1: 1 message moved; T-2 is closed" in result.output
    result = cli("merge", "T-4", "--into", "T-1")
    assert result.exit_code == 2 and "different customers" in result.output
    shown = json.loads(cli("show", "T-2", "--json").output)
    assert shown["merged_into"] == "T-1" and shown["status"] == "closed"
    assert "snoozed until" in cli("show", "T-3").output
    with Desk.open(Workspace.existing(cli.workspace_dir)) as desk:
        assert desk.ticket("T-2").merged_into == "T-1"
        assert desk.ticket("T-3").snoozed_until is not None


# --- migration ---------------------------------------------------------------------------------


def _v7_database(url: str) -> None:
    engine = sa.create_engine(normalise_url(url))
    with engine.begin() as connection:
        migrations.migrate(connection, target=7)
        connection.execute(
            sa.text(
                "INSERT INTO customers (id, email, name, company, tier, plan, created_at) VALUES"
                " ('C-1', 'ann@example.com', 'Ann', '', 'pro', '', :at)"
            ),
            {"at": NOW},
        )
        for ticket_id in ("T-1", "T-2"):
            connection.execute(
                sa.text(
                    "INSERT INTO tickets (id, subject, customer_id, channel, status, priority,"
                    " priority_rank, created_at, updated_at, tags) VALUES (:id, 'Charged twice',"
                    " 'C-1', 'email', 'open', 'normal', 2, :at, :at, '[]')"
                ),
                {"id": ticket_id, "at": NOW},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO messages (ticket_id, seq, author, author_name, body, at) VALUES"
                    " (:id, 0, 'customer', 'Ann', 'Charged twice for November', :at)"
                ),
                {"id": ticket_id, "at": NOW},
            )
        connection.execute(
            sa.text(
                "INSERT INTO csat_surveys (token, ticket_id, created_at) VALUES ('tok', 'T-1', :at)"
            ),
            {"at": NOW},
        )
    engine.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgres"])
def test_a_version_7_database_migrates_to_8_and_snoozes_and_merges(
    backend_name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
    else:
        url = request.getfixturevalue("new_postgres_database")
    _v7_database(url)
    from deskpilot.store import migrate_database

    assert migrate_database(url) == (7, SCHEMA_VERSION)
    with open_store(url) as store:
        assert store.get_ticket("T-1").snoozed_until is None
        assert store.survey_state("T-1") is not None
        store.set_snooze("T-1", NOW + timedelta(hours=1), NOW)
        assert store.snoozed(NOW) == [("T-1", NOW + timedelta(hours=1))]
        with store.transaction():
            moved = store.move_thread("T-2", "T-1", NOW)
        assert moved.moved == 1
        assert [m.body for m in store.get_ticket("T-1").messages] == [
            "Charged twice for November"
        ] * 2
        assert store.merged_target("T-2") == "T-1"


def test_the_queue_watcher_says_changed_when_a_snoozed_ticket_comes_back(clocked: Desk) -> None:
    clocked.store.add_tickets(
        [ticket("T-1", "Invoice", "Where?"), ticket("T-2", "Login", "Locked out", customer=BO)]
    )
    clocked.snooze("T-1", "2h")
    clocked.snooze("T-2", "3h")
    watcher = clocked.queue_watcher()
    assert watcher.changed() is False  # nothing written, nobody back yet
    clocked.clock = lambda: NOW + timedelta(hours=2)
    assert watcher.changed() is True  # T-1's time came: nothing was written, yet it is back
    assert watcher.changed() is False
    clocked.clock = lambda: NOW + timedelta(hours=3, minutes=1)
    assert watcher.changed() is True  # T-2's
    assert watcher.changed() is False
    watcher.close()


def test_a_merged_duplicate_gets_no_qa_score_of_its_own(clocked: Desk) -> None:

    add_pair(clocked)
    clocked.send_reply("T-1", "Hi Ann, refunded.")
    clocked.solve("T-2")
    assert clocked.score_solved() == 1  # T-2 on its own, for now
    clocked.merge("T-2", into="T-1")
    clocked.solve("T-1")
    assert clocked.score_solved() == 1  # T-2 is closed too, but its thread lives in T-1
    assert [s.ticket_id for s in clocked.store.qa_scores()] == ["T-1"]


def test_a_merged_duplicate_is_not_a_conversation_of_its_own_in_the_stats(clocked: Desk) -> None:
    add_pair(clocked)
    before = {f.id for f in clocked.store.ticket_facts()}
    clocked.merge("T-2", into="T-1")
    assert {f.id for f in clocked.store.ticket_facts()} == before - {"T-2"}


def test_the_ticket_screen_line_says_asleep_back_or_nothing(clocked: Desk) -> None:
    from deskpilot.queue.snooze import describe_snooze

    clocked.store.add_tickets([ticket("T-1", "Invoice", "Where?")])
    assert describe_snooze(clocked.ticket("T-1"), NOW) == ""
    clocked.snooze("T-1", "tomorrow 9:00")
    asleep = clocked.ticket("T-1")
    assert describe_snooze(asleep, NOW) == "⏰ snoozed until Thu 05 Nov 09:00 UTC"
    later = NOW + timedelta(days=1)
    assert describe_snooze(asleep, later) == "⏰ back from snooze (since Thu 05 Nov 09:00 UTC)"
