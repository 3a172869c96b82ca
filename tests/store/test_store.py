"""The store against a real SQLite file and (with DESKPILOT_TEST_POSTGRES_URL) a real PostgreSQL
database: schema versions, pragmas, round trips, the queue. Tests taking ``store`` run on both."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from deskpilot.errors import (
    NotFoundError,
    SchemaOutdatedError,
    SchemaTooNewError,
    StorageError,
)
from deskpilot.models import (
    OPEN_STATUSES,
    ActionRecord,
    Author,
    Customer,
    Draft,
    EditEvent,
    EditOutcome,
    EditRevision,
    IntentSource,
    Message,
    PageContext,
    Priority,
    Source,
    Status,
    Ticket,
    TriageRecord,
)
from deskpilot.store import (
    SCHEMA_VERSION,
    SORT_KEYS,
    QueueFilter,
    Store,
    migrate_database,
    migrations,
    normalise_url,
    open_store,
    sqlite_url,
)

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
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
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
    raw.executescript((Path(__file__).parents[1] / "data" / "workspace_schema_v2.sql").read_text())
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


def test_a_driver_error_once_open_is_a_storage_error_and_the_store_goes_on(
    tmp_path: Path,
) -> None:
    """A database hiccup after opening (here: a table gone under the desk) reaches callers as
    a DeskPilot error naming the database, not as a driver error that would end the desk; a
    failed transaction writes nothing, and the store keeps working once the cause is gone."""
    path = tmp_path / "hiccup.db"
    with open_store(sqlite_url(path)) as store:
        store.add_tickets([make_ticket(1)])
        raw = sqlite3.connect(path)
        raw.execute("ALTER TABLE tickets RENAME TO tickets_away")
        raw.commit()
        with pytest.raises(StorageError, match=re.escape(f"{path}: database error: no such table")):
            store.count_tickets()
        with pytest.raises(StorageError, match="no such table"), store.transaction():
            store.set_meta("hiccup", "1")
            store.count_tickets()
        raw.execute("ALTER TABLE tickets_away RENAME TO tickets")
        raw.commit()
        raw.close()
        assert store.get_meta("hiccup") is None  # the failed transaction wrote nothing
        assert store.count_tickets() == 1


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
    with open_store(store._engine.url.render_as_string(hide_password=False)) as other:
        assert other.get_edit_event("E-1").current_text == "abc"
        assert other.list_actions("T-001")[0].params == {"amount": 12.5}


# --- every query, on both backends ------------------------------------------------------------


def test_each_sort_key_gives_one_total_order_with_missing_values_first(store: Store) -> None:
    store.add_tickets(
        [
            make_ticket(1, intent="refund_request", sentiment="neutral"),
            make_ticket(2),  # no intent, no sentiment, no assignee
            make_ticket(3, intent="bug_report", assignee="bo"),
            make_ticket(4, customer=None, priority=Priority.URGENT),
        ]
    )
    ids = ["T-001", "T-002", "T-003", "T-004"]
    assert [r.id for r in store.list_queue(sort="intent")] == ["T-004", "T-002", "T-003", "T-001"]
    assert [r.id for r in store.list_queue(sort="intent", descending=True)] == [
        "T-001",
        "T-003",
        "T-002",
        "T-004",
    ]
    assert store.list_queue(sort="customer")[0].id == "T-004"  # no customer
    assert store.list_queue(sort="assignee", descending=True)[0].id == "T-003"
    for key in SORT_KEYS:
        for descending in (False, True):
            rows = store.list_queue(sort=key, descending=descending)
            assert sorted(r.id for r in rows) == ids
            paged = [
                r.id
                for offset in range(4)
                for r in store.list_queue(sort=key, descending=descending, limit=1, offset=offset)
            ]
            assert paged == [r.id for r in rows]  # pages never overlap or skip


def test_filters_on_time_ids_customer_and_unassigned(store: Store) -> None:
    store.add_tickets([make_ticket(n, assignee="ada" if n == 2 else None) for n in range(1, 6)])
    cutoff = T0 + timedelta(minutes=3)
    before = QueueFilter(created_before=((Priority.NORMAL, cutoff),))
    assert [r.id for r in store.list_queue(before)] == ["T-001", "T-002"]
    assert store.count_tickets(QueueFilter(ids=frozenset({"T-003", "T-005", "T-404"}))) == 2
    # The ids go to the database as one JSON parameter, whatever they hold.
    odd = frozenset({"T-002", 'T-"1', "T-\\", "T-005"})
    assert [r.id for r in store.list_queue(QueueFilter(ids=odd), sort="id")] == ["T-002", "T-005"]
    assert store.count_tickets(QueueFilter(ids=frozenset())) == 0
    # A search's first page and its count, read together.
    three = QueueFilter(ids=frozenset({"T-001", "T-003", "T-004", "T-404"}))
    page, total = store.first_page_and_count(three, limit=2, sort="age", descending=True)
    assert ([r.id for r in page], total) == (["T-004", "T-003"], 3)
    page, total = store.first_page_and_count(three, limit=10, sort="age")
    assert ([r.id for r in page], total) == (["T-001", "T-003", "T-004"], 3)
    assert store.first_page_and_count(QueueFilter(ids=frozenset({"T-404"}))) == ([], 0)
    assert store.count_tickets(QueueFilter(customer_id="C-1")) == 2
    assert store.count_tickets(QueueFilter(unassigned=True)) == 4


def test_snoozed_until_lists_every_snoozed_ticket_of_the_filter_asleep_or_not(
    store: Store,
) -> None:
    store.add_tickets([make_ticket(n, assignee="ada" if n == 3 else None) for n in range(1, 5)])
    store.set_snooze("T-002", T0 + timedelta(hours=2), T0)  # asleep at T0 + 1h
    store.set_snooze("T-003", T0 + timedelta(minutes=30), T0)  # back by then
    assert store.snoozed_until() == {
        "T-002": T0 + timedelta(hours=2),
        "T-003": T0 + timedelta(minutes=30),
    }
    assert store.snoozed_until(QueueFilter(assignee="ada")) == {"T-003": T0 + timedelta(minutes=30)}


def test_aware_times_json_and_booleans_round_trip(store: Store) -> None:
    store.add_tickets([make_ticket(1, tags=["é", "vip"])])
    later = datetime(2026, 10, 2, 23, 30, 15, 123456, tzinfo=UTC)
    store.append_message("T-001", Message(author=Author.AGENT, body="ok", at=later))
    ticket = store.get_ticket("T-001")
    assert ticket.updated_at == later and ticket.updated_at.tzinfo is not None
    assert ticket.tags == ["é", "vip"]
    triage = TriageRecord(
        ticket_id="T-001",
        intent="refund_request",
        confidence=0.7,
        out_of_scope=True,
        alternatives=[("billing", 0.2)],
        sentiment="angry",
        signals=["anger"],
        evidence=["'refund' in subject"],
        handoff=True,
        handoff_reason="angry customer",
        at=later,
    )
    store.save_triages([triage])
    assert store.get_triage("T-001") == triage
    assert store.get_ticket("T-001").intent_source is IntentSource.PREDICTED
    assert store.queue_marker() == (later, 1)


def test_customers_match_by_email_across_many_chunks(store: Store) -> None:
    customers = [
        Customer(id=f"C-{n:04d}", email=f"p{n}@example.com", name=f"P {n}") for n in range(1200)
    ]
    store.add_customers(customers)
    store.add_customers([customers[0].model_copy(update={"name": "Renamed"})])
    found = store.find_customers_by_emails([c.email for c in customers] + ["nobody@example.com"])
    assert len(found) == 1200 and found["p0@example.com"].name == "Renamed"
    assert store.count_customers() == 1200
    assert store.find_customer("C-0001") == customers[1]
    assert store.find_customer("C-none") is None
    result = store.add_tickets([make_ticket(n) for n in range(600)] + [make_ticket(1)])
    assert len(result.added) == 600 and result.skipped == ["T-001"]
    assert store.add_tickets([make_ticket(n) for n in range(600)]).added == []


def test_a_conversations_last_reply_is_indexed_with_the_question_it_answered(
    store: Store,
) -> None:
    """Several exchanges: the last reply answered the customer's latest messages, not their
    first, in the streamed corpus as for one ticket (``ticket_document``)."""
    from deskpilot.knowledge import ticket_document

    ticket = make_ticket(
        7,
        status=Status.SOLVED,
        messages=[
            Message(author=Author.CUSTOMER, body="my bag is broken", at=T0),
            Message(author=Author.AGENT, body="Sorry! Please file a report.", at=T0),
            Message(author=Author.CUSTOMER, body="can I do it online?", at=T0),
            Message(author=Author.NOTE, body="internal", at=T0),
            Message(author=Author.CUSTOMER, body="or by phone?", at=T0),
            Message(author=Author.AGENT, body="It must be done at the airport.", at=T0),
        ],
    )
    store.add_tickets([ticket])
    (thread,) = store.answered_threads([Status.SOLVED])
    assert thread.question == "can I do it online?\nor by phone?"
    document = ticket_document(ticket)
    assert document is not None
    assert "can I do it online?" in document.body and "my bag is broken" not in document.body


def test_history_queries_resolved_threads_replies_labels_and_search(store: Store) -> None:
    def solved(number: int, reply: str, csat: int | None) -> Ticket:
        return make_ticket(
            number,
            status=Status.SOLVED,
            intent="refund_request",
            csat=csat,
            messages=[
                Message(author=Author.CUSTOMER, body=f"question {number}", at=T0),
                Message(author=Author.NOTE, body="internal", at=T0),
                Message(author=Author.AGENT, body=reply, at=T0 + timedelta(minutes=1)),
            ],
        )

    store.add_tickets(
        [solved(1, "refunded", 5), solved(2, "sorry", 2), solved(3, "done", None), make_ticket(4)]
    )
    threads = list(store.answered_threads([Status.SOLVED, Status.CLOSED], batch=1))
    assert [(t.ticket_id, t.question, t.replies) for t in threads] == [
        ("T-001", "question 1", ["refunded"]),
        ("T-002", "question 2", ["sorry"]),
        ("T-003", "question 3", ["done"]),
    ]
    assert store.approved_replies("refund_request", exclude="T-003") == ["refunded"]
    assert store.approved_replies("refund_request") == ["refunded", "done"]  # rated first
    assert [row[2] for row in store.labelled_texts()] == ["refund_request"] * 3
    corpus = dict(store.search_corpus(QueueFilter(statuses=OPEN_STATUSES)))
    assert list(corpus) == ["T-004"] and "body 4" in corpus["T-004"]
    facts = {f.id: f for f in store.ticket_facts(since=T0 + timedelta(minutes=2))}
    assert sorted(facts) == ["T-002", "T-003", "T-004"]
    assert facts["T-002"].first_reply_at == T0 + timedelta(minutes=1)
    assert facts["T-004"].first_reply_at is None and facts["T-004"].customer_spoke_last
    assert not facts["T-002"].customer_spoke_last


def test_approved_replies_pass_over_the_best_rated_tickets_no_agent_answered(
    store: Store,
) -> None:
    """The best rated resolved tickets are looked at first, a batch at a time; those without
    an agent's reply (more than a batch of them) are passed over, and the last reply counts."""

    def solved(number: int, csat: int, replies: list[str]) -> Ticket:
        thread = [Message(author=Author.CUSTOMER, body=f"question {number}", at=T0)]
        thread += [
            Message(author=Author.AGENT, body=reply, at=T0 + timedelta(minutes=i + 1))
            for i, reply in enumerate(replies)
        ]
        return make_ticket(
            number, status=Status.CLOSED, intent="billing_question", csat=csat, messages=thread
        )

    unanswered = [solved(n, 5, []) for n in range(1, 21)]  # rated best, never answered
    answered = [solved(21, 4, ["first", "second"]), solved(22, 4, ["only"])]
    store.add_tickets([*unanswered, *answered, solved(23, 1, ["badly rated"])])
    assert store.approved_replies("billing_question") == ["only", "second"]  # newest first
    assert store.approved_replies("billing_question", limit=1, exclude="T-022") == ["second"]
    assert store.approved_replies("other_intent") == []


def test_approved_replies_walk_the_rated_index_of_a_migrated_database(tmp_path: Path) -> None:
    """Every draft reads its intent's approved replies: on a database migrated from version 8
    they are read from ``ix_tickets_rated`` in its order, with no sort of the intent's
    resolved tickets (30-80 ms a draft on the 100k demo), and in the same order as before."""
    path = tmp_path / "v8.db"
    engine = sa.create_engine(sqlite_url(path))
    with engine.begin() as connection:
        migrations.migrate(connection, target=8)
    engine.dispose()

    def solved(number: int, csat: int | None, minute: int) -> Ticket:
        thread = [
            Message(author=Author.CUSTOMER, body=f"question {number}", at=T0),
            Message(author=Author.AGENT, body=f"reply {number}", at=T0),
        ]
        return make_ticket(
            number,
            status=Status.SOLVED,
            intent="billing_question",
            csat=csat,
            messages=thread,
            updated_at=T0 + timedelta(minutes=minute),
        )

    statements: list[tuple[str, object]] = []

    def capture(*args: object) -> None:
        statements.append((str(args[2]), args[3]))

    with open_store(sqlite_url(path)) as store:
        rated = [solved(1, None, 9), solved(2, 4, 1), solved(3, 5, 2), solved(4, 4, 3)]
        store.add_tickets([*rated, solved(5, 2, 8), make_ticket(6, intent="billing_question")])
        sa.event.listen(store._engine, "before_cursor_execute", capture)
        # Best rated first, the newest first among equals, unrated last, badly rated never.
        assert store.approved_replies("billing_question", limit=5) == [
            "reply 3",
            "reply 4",
            "reply 2",
            "reply 1",
        ]
        sa.event.remove(store._engine, "before_cursor_execute", capture)
    statement, parameters = next(each for each in statements if "ORDER BY" in each[0])
    raw = sqlite3.connect(path)
    plan = " ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters))
    raw.close()
    assert "COVERING INDEX ix_tickets_rated" in plan and "TEMP B-TREE" not in plan


def test_get_tickets_reads_each_ticket_as_get_ticket_does(store: Store) -> None:
    with_thread = make_ticket(
        7,
        messages=[
            Message(author=Author.CUSTOMER, body="first", at=T0),
            Message(author=Author.AGENT, body="second", at=T0 + timedelta(minutes=1)),
        ],
    )
    store.add_tickets([make_ticket(1), make_ticket(2, customer=None), with_thread])
    found = store.get_tickets(["T-007", "T-001", "T-002", "T-404", "T-001"])
    assert sorted(found) == ["T-001", "T-002", "T-007"]  # an unknown id is left out
    for ticket_id, ticket in found.items():
        assert ticket == store.get_ticket(ticket_id)
    assert [m.body for m in found["T-007"].messages] == ["first", "second"]
    assert store.get_tickets([]) == {}


def test_drafts_revisions_feedback_and_meta(store: Store) -> None:
    store.add_tickets([make_ticket(1)])
    draft = Draft(ticket_id="T-001", text="Hi", drafter="local", confidence=0.5)
    draft_id = store.save_draft(draft)
    assert store.get_draft(draft_id) == draft and store.get_draft(draft_id + 99) is None
    assert store.drafts_by_id([draft_id, draft_id, draft_id + 99]) == {draft_id: draft}
    edit = EditEvent(
        id="E-1", ticket_id="T-001", agent="ada", original_text="Hi", current_text="Hi"
    )
    store.save_edit_event(edit.model_copy(update={"draft_id": draft_id, "diff": [["equal"]]}))
    store.save_edit_revision(EditRevision(event_id="E-1", text="Hi there", keystrokes=6))
    assert store.pending_edit_event("T-001", "ada").current_text == "Hi there"  # type: ignore[union-attr]
    assert store.pending_edit_event("T-001", "bo") is None
    assert [r.text for r in store.list_edit_revisions("E-1")] == ["Hi there"]
    with pytest.raises(NotFoundError):
        store.save_edit_revision(EditRevision(event_id="E-404", text="x"))
    store.save_source_feedback({"article:reset": (3, 2, 1)})
    store.save_source_feedback({"article:reset": (4, 2, 1), "ticket:T-9": (1, 1, 0)})
    assert store.source_feedback() == {"article:reset": (4, 2, 1), "ticket:T-9": (1, 1, 0)}
    store.set_meta("demo", "a")
    store.set_meta("demo", "b")
    assert store.get_meta("demo") == "b" and store.get_meta("none") is None


def test_a_failed_transaction_leaves_nothing_behind(store: Store) -> None:
    store.add_tickets([make_ticket(1)])
    with pytest.raises(NotFoundError), store.transaction():
        store.append_message("T-001", Message(author=Author.AGENT, body="half", at=T0))
        store.update_ticket("T-404", status=Status.SOLVED)
    assert len(store.get_ticket("T-001").messages) == 1


# --- PostgreSQL: migrations are explicit ------------------------------------------------------


@pytest.mark.postgres
def test_a_team_database_is_migrated_on_purpose_not_on_open(new_postgres_database: str) -> None:
    with pytest.raises(SchemaOutdatedError, match="run 'deskpilot migrate'") as refused:
        open_store(new_postgres_database)
    assert "\n" not in str(refused.value)
    assert migrate_database(new_postgres_database) == (None, SCHEMA_VERSION)
    assert migrate_database(new_postgres_database) == (SCHEMA_VERSION, SCHEMA_VERSION)
    with open_store(new_postgres_database) as store:
        assert store.dialect == "postgresql" and store.schema_version == SCHEMA_VERSION


@pytest.mark.postgres
def test_an_older_team_database_is_refused_until_migrated_and_keeps_its_data(
    new_postgres_database: str,
) -> None:
    engine = sa.create_engine(normalise_url(new_postgres_database))
    with engine.begin() as connection:
        migrations.migrate(connection, target=SCHEMA_VERSION - 1)
        connection.execute(
            sa.text(
                "INSERT INTO tickets (id, subject, channel, status, priority, priority_rank,"
                " created_at, updated_at, tags) VALUES ('T-1', 'old', 'email', 'new', 'normal',"
                " 2, now(), now(), '[]')"
            )
        )
    engine.dispose()
    with pytest.raises(SchemaOutdatedError, match=f"schema version {SCHEMA_VERSION - 1}"):
        open_store(new_postgres_database)
    assert migrate_database(new_postgres_database) == (SCHEMA_VERSION - 1, SCHEMA_VERSION)
    with open_store(new_postgres_database) as store:
        assert store.get_ticket("T-1").subject == "old"
        assert store.claim_holder("T-1") is None


@pytest.mark.postgres
def test_desks_migrating_at_once_take_turns(new_postgres_database: str) -> None:
    """Without the advisory lock both would CREATE TABLE and one would fail."""
    start = threading.Barrier(4)
    results: list[tuple[int | None, int]] = []
    errors: list[BaseException] = []

    def migrate() -> None:
        start.wait()
        try:
            results.append(migrate_database(new_postgres_database))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (
        sorted(results, key=lambda result: result[0] or 0)
        == [(None, SCHEMA_VERSION)] + [(SCHEMA_VERSION, SCHEMA_VERSION)] * 3
    )
