"""The store against a real SQLite file: schema versions, pragmas, round trips, the queue."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from deskpilot.errors import NotFoundError, SchemaTooNewError, StorageError
from deskpilot.models import (
    OPEN_STATUSES,
    ActionRecord,
    Author,
    Customer,
    Draft,
    EditEvent,
    EditOutcome,
    IntentSource,
    Message,
    PageContext,
    Priority,
    Source,
    Status,
    Ticket,
)
from deskpilot.store import SCHEMA_VERSION, QueueFilter, Store, migrations, open_store, sqlite_url

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def make_ticket(number: int, **changes: object) -> Ticket:
    customer = Customer(
        id=f"C-{number % 3}", email=f"c{number % 3}@example.com", name=f"C {number % 3}"
    )
    fields: dict[str, object] = {
        "id": f"T-{number:03d}",
        "subject": f"Ticket {number}",
        "customer": customer,
        "messages": [Message(author=Author.CUSTOMER, body=f"body {number}", at=T0)],
        "created_at": T0 + timedelta(minutes=number),
        "updated_at": T0 + timedelta(minutes=number),
    }
    fields.update(changes)
    return Ticket.model_validate(fields)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(sqlite_url(tmp_path / "desk.db"))
    yield opened
    opened.close()


def test_new_database_is_at_the_current_version_in_wal_mode_with_foreign_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "desk.db"
    with open_store(sqlite_url(path)) as store:
        assert store.schema_version == SCHEMA_VERSION
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    with open_store(sqlite_url(path)) as store, store._engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.append_message("T-none", Message(author=Author.AGENT, body="hello"))


def test_an_older_workspace_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = sa.create_engine(sqlite_url(path))
    with engine.begin() as connection:
        migrations.migrate(connection, target=1)
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute(
        "INSERT INTO tickets (id, subject, channel, status, priority, priority_rank, created_at,"
        " updated_at, tags) VALUES ('T-1', 'old', 'email', 'new', 'normal', 2,"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00', '[]')"
    )
    raw.commit()
    assert "edit_events" not in {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()

    with open_store(sqlite_url(path)) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.get_ticket("T-1").subject == "old"
        store.record_action(ActionRecord(ticket_id="T-1", actor="ada", action="close"))
        assert len(store.list_actions("T-1")) == 1


def test_a_real_version_2_workspace_is_upgraded(tmp_path: Path) -> None:
    """tests/data/workspace_schema_v2.sql was dumped from a workspace made by the v2 code."""
    path = tmp_path / "v2.db"
    raw = sqlite3.connect(path)
    raw.executescript((Path(__file__).parent / "data" / "workspace_schema_v2.sql").read_text())
    raw.close()
    with open_store(sqlite_url(path)) as store:
        assert store.schema_version == SCHEMA_VERSION
        ticket = store.get_ticket("T-1")
        assert (ticket.subject, ticket.intent) == ("Locked out", "account_access")
        assert ticket.intent_source is IntentSource.LABEL  # labels from before v3 stay labels
        assert [row[2] for row in store.labelled_texts()] == ["account_access"]
    raw = sqlite3.connect(path)
    columns = {row[1] for row in raw.execute("PRAGMA table_info(tickets)")}
    raw.close()
    assert "intent_source" in columns


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("CREATE TABLE tickets (x)", "holds tables (tickets) but no DeskPilot schema version"),
        (
            "CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES "
            "('schema_version', 'abc')",
            "schema version 'abc' is not a number",
        ),
    ],
)
def test_a_foreign_database_is_refused_untouched(tmp_path: Path, setup: str, message: str) -> None:
    path = tmp_path / "foreign.db"
    raw = sqlite3.connect(path)
    raw.executescript(setup)
    raw.close()
    before = path.read_bytes()
    with pytest.raises(StorageError, match=re.escape(message)):
        open_store(sqlite_url(path))
    assert path.read_bytes() == before


def test_a_newer_workspace_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_store(sqlite_url(path)).close()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    raw.commit()
    raw.close()
    with pytest.raises(SchemaTooNewError, match="version 99 is newer than this DeskPilot"):
        open_store(sqlite_url(path))
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT value FROM meta").fetchone()[0] == "99"
    raw.close()


def test_a_corrupted_database_gets_a_clear_error_and_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    garbage = b"this is not a database " * 200
    path.write_bytes(garbage)
    with pytest.raises(StorageError, match="corrupted or not a DeskPilot database"):
        open_store(sqlite_url(path))
    assert path.read_bytes() == garbage


def test_ticket_round_trip_keeps_everything(store: Store) -> None:
    ticket = make_ticket(
        1,
        tags=["vip", "login"],
        intent="account_access",
        intent_confidence=0.82,
        sentiment="angry",
        assignee="ada",
        priority=Priority.URGENT,
        page_context=PageContext(url="/login", errors=["423 Locked"], steps_attempted=["reset"]),
        messages=[
            Message(author=Author.CUSTOMER, body="I'm locked out", at=T0),
            Message(author=Author.NOTE, body="checked SSO", at=T0 + timedelta(minutes=1)),
            Message(author=Author.AGENT, body="Unlocked", at=T0 + timedelta(minutes=2)),
        ],
    )
    store.add_tickets([ticket])
    assert store.get_ticket("T-001") == ticket
    assert [m.author for m in store.get_ticket("T-001").public_thread] == [
        Author.CUSTOMER,
        Author.AGENT,
    ]


def test_missing_ticket_is_a_clear_error(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no ticket with id 'T-404'"):
        store.get_ticket("T-404")


def test_queue_orders_urgent_first_then_oldest_and_filters(store: Store) -> None:
    store.add_tickets(
        [
            make_ticket(1, priority=Priority.LOW),
            make_ticket(2, priority=Priority.URGENT, intent="bug_report"),
            make_ticket(3, status=Status.SOLVED, priority=Priority.URGENT),
            make_ticket(4, priority=Priority.URGENT, intent="bug_report", assignee="ada"),
            make_ticket(5, priority=Priority.NORMAL, status=Status.PENDING),
        ]
    )
    open_rows = store.list_queue(QueueFilter(statuses=OPEN_STATUSES))
    assert [r.id for r in open_rows] == ["T-002", "T-004", "T-005", "T-001"]
    assert open_rows[0].customer_email == "c2@example.com"
    assert [r.id for r in store.list_queue(QueueFilter(intent="bug_report"))] == ["T-002", "T-004"]
    assert [r.id for r in store.list_queue(QueueFilter(assignee="ada"))] == ["T-004"]
    assert [r.id for r in store.list_queue(limit=2, offset=1)] == ["T-003", "T-004"]
    assert store.count_tickets(QueueFilter(statuses=frozenset({Status.SOLVED}))) == 1
    assert store.count_by_status() == {Status.NEW: 3, Status.SOLVED: 1, Status.PENDING: 1}


def test_update_and_append_touch_the_ticket(store: Store) -> None:
    store.add_tickets([make_ticket(1)])
    store.update_ticket("T-001", status=Status.ESCALATED, priority=Priority.HIGH, assignee="bo")
    later = T0 + timedelta(days=1)
    store.append_message("T-001", Message(author=Author.AGENT, body="On it", at=later))
    ticket = store.get_ticket("T-001")
    assert (ticket.status, ticket.priority, ticket.assignee) == (
        Status.ESCALATED,
        Priority.HIGH,
        "bo",
    )
    assert ticket.messages[-1].body == "On it" and ticket.updated_at == later
    assert store.list_queue(QueueFilter(priority=Priority.HIGH))[0].id == "T-001"
    with pytest.raises(ValueError, match="cannot update"):
        store.update_ticket("T-001", subject="renamed")


def test_drafts_edit_events_and_audit_trail_persist(store: Store, tmp_path: Path) -> None:
    store.add_tickets([make_ticket(1)])
    draft = Draft(
        ticket_id="T-001",
        text="Hi, here is how",
        sources=[Source(kind="article", ref="reset-password", title="Reset", score=3.2)],
        drafter="local",
        confidence=0.7,
    )
    store.save_draft(draft)
    assert store.latest_draft("T-001") == draft

    edit = EditEvent(id="E-1", ticket_id="T-001", agent="ada", original_text="a", current_text="a")
    store.save_edit_event(edit)
    store.save_edit_event(edit.model_copy(update={"current_text": "ab", "keystrokes": 1}))
    done = edit.model_copy(update={"current_text": "abc", "outcome": EditOutcome.SENT_EDITED})
    store.save_edit_event(done)
    assert store.list_edit_events("T-001") == [done]

    recorded = store.record_action(
        ActionRecord(ticket_id="T-001", actor="ada", action="refund", params={"amount": 12.5})
    )
    assert recorded.id is not None
    # A second connection (another process) sees every committed write.
    with open_store(store._engine.url.render_as_string()) as other:
        assert other.get_edit_event("E-1").current_text == "abc"
        assert other.list_actions("T-001")[0].params == {"amount": 12.5}
