"""`deskpilot import tickets`: JSONL and CSV, all-or-nothing, errors naming file, line, field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskpilot.desk import Desk
from deskpilot.errors import ImportFileError
from deskpilot.models import Author, Status


def write_jsonl(path: Path, *rows: dict | str) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = {
    "id": "EXT-1",
    "subject": "Locked out",
    "body": "I can't get in since this morning",
    "customer": {"email": "Ann@Example.com", "name": "Ann Lee"},
    "channel": "chat",
    "priority": "high",
    "created_at": "2026-10-01T09:30:00+02:00",
    "tags": ["login"],
    "page_context": {
        "url": "https://app.example.com/login",
        "title": "Sign in",
        "visible_state": "Red banner: account locked",
        "errors": ["POST /session 423 Locked"],
        "steps_attempted": ["reset password", "cleared cookies"],
    },
}
RESOLVED = {
    "id": "EXT-2",
    "subject": "Refund please",
    "messages": [
        {"author": "customer", "body": "Please refund invoice INV-7", "at": "2026-09-01T10:00:00Z"},
        {"author": "customer", "body": "Any news?", "at": "2026-09-02T10:00:00Z"},
    ],
    "customer": "bob@example.com",
    "intent": "refund_request",
    "reply": "I've refunded INV-7 in full.",
    "csat": 4,
}


def test_jsonl_import_keeps_every_field(desk: Desk, tmp_path: Path) -> None:
    report = desk.import_tickets(write_jsonl(tmp_path / "t.jsonl", GOOD, RESOLVED))
    assert (report.added, report.skipped) == (2, 0)

    ticket = desk.ticket("EXT-1")
    assert ticket.customer is not None and ticket.customer.email == "ann@example.com"
    assert ticket.customer.name == "Ann Lee"
    assert ticket.channel.value == "chat" and ticket.priority.value == "high"
    assert ticket.created_at.isoformat() == "2026-10-01T07:30:00+00:00"
    assert ticket.status is Status.NEW
    assert ticket.page_context is not None
    assert ticket.page_context.steps_attempted == ["reset password", "cleared cookies"]
    assert ticket.page_context.errors == ["POST /session 423 Locked"]
    assert [m.author for m in ticket.messages] == [Author.CUSTOMER]

    resolved = desk.ticket("EXT-2")
    assert resolved.status is Status.SOLVED  # a ticket with a final reply is resolved history
    assert [m.author for m in resolved.messages] == [Author.CUSTOMER, Author.CUSTOMER, Author.AGENT]
    assert resolved.messages[-1].body == "I've refunded INV-7 in full."
    assert resolved.intent == "refund_request" and resolved.csat == 4
    assert resolved.updated_at > resolved.created_at


def test_reimport_does_not_duplicate(desk: Desk, tmp_path: Path) -> None:
    no_id = {
        "subject": "Status?",
        "body": "Where is my order",
        "created_at": "2026-10-02T00:00:00Z",
    }
    path = write_jsonl(tmp_path / "t.jsonl", GOOD, no_id)
    desk.import_tickets(path)
    again = desk.import_tickets(path)
    assert (again.added, again.skipped) == (0, 2)
    assert desk.store.count_tickets() == 2
    assert desk.store.count_customers() == 1


def test_customer_by_email_is_shared_across_tickets(desk: Desk, tmp_path: Path) -> None:
    other = {**GOOD, "id": "EXT-3", "customer": "ann@example.com"}
    desk.import_tickets(write_jsonl(tmp_path / "t.jsonl", GOOD, other))
    assert desk.ticket("EXT-1").customer == desk.ticket("EXT-3").customer
    assert desk.store.count_customers() == 1


def test_customer_id_reference_must_exist(desk: Desk, tmp_path: Path) -> None:
    desk.import_tickets(write_jsonl(tmp_path / "a.jsonl", GOOD))
    known_id = desk.ticket("EXT-1").customer.id  # type: ignore[union-attr]
    follow_up = {"id": "EXT-9", "subject": "Again", "body": "Still locked", "customer": known_id}
    desk.import_tickets(write_jsonl(tmp_path / "b.jsonl", follow_up))
    assert desk.ticket("EXT-9").customer.email == "ann@example.com"  # type: ignore[union-attr]

    unknown = {**follow_up, "id": "EXT-10", "customer": "C-missing"}
    with pytest.raises(ImportFileError) as caught:
        desk.import_tickets(write_jsonl(tmp_path / "c.jsonl", unknown))
    assert (caught.value.line, caught.value.field) == (1, "customer")


def test_csv_import_with_dotted_and_list_columns(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "id,subject,body,customer.email,customer.name,priority,tags,"
        "page_context.url,page_context.errors,page_context.steps_attempted,reply\n"
        "C-1,Can't log in,\"I'm locked out, help\",cara@example.com,Cara,urgent,login|2fa,"
        '/login,"[""TypeError: x is undefined""]",reset password|new browser,\n'
        "C-2,Invoice,Why $120?,dan@example.com,,normal,,,,,It includes proration.\n",
        encoding="utf-8",
    )
    report = desk.import_tickets(path)
    assert report.added == 2
    first = desk.ticket("C-1")
    assert first.tags == ["login", "2fa"]
    assert first.page_context is not None
    assert first.page_context.errors == ["TypeError: x is undefined"]
    assert first.page_context.steps_attempted == ["reset password", "new browser"]
    assert first.messages[0].body == "I'm locked out, help"
    assert desk.ticket("C-2").status is Status.SOLVED


BAD_JSONL = [
    pytest.param(
        ['{"subject": "a", "body": "b"}', "{not json"], 2, None, "not valid JSON", id="malformed"
    ),
    pytest.param(
        ['{"subject": "a", "body": "b", "colour": "red"}'],
        1,
        "colour",
        "unknown field",
        id="unknown-field",
    ),
    pytest.param(
        ['{"body": "b"}'], 1, "subject", "required field is missing", id="missing-subject"
    ),
    pytest.param(['{"subject": "a"}'], 1, None, "needs 'body'", id="missing-body"),
    pytest.param(
        ['{"subject": "a", "body": "b", "csat": "great"}'],
        1,
        "csat",
        "valid integer",
        id="wrong-type",
    ),
    pytest.param(
        ['{"subject": "a", "body": "b", "priority": "asap"}'],
        1,
        "priority",
        "'urgent'",
        id="bad-enum",
    ),
    pytest.param(
        ['{"subject": "a", "body": "b", "created_at": "yesterday"}'],
        1,
        "created_at",
        "datetime",
        id="bad-date",
    ),
    pytest.param(
        ['{"subject": "a", "body": "b"}', '["a list"]'],
        2,
        None,
        "expected a JSON object",
        id="not-object",
    ),
    pytest.param(
        ['{"subject": "a", "body": "b", "customer": {"name": "x"}}'],
        1,
        "customer.email",
        "missing",
        id="customer-no-email",
    ),
    pytest.param(
        ['{"subject": "a", "body": "b", "page_context": {"url": "/x", "errors": "boom"}}'],
        1,
        "page_context.errors",
        "valid list",
        id="nested-wrong-type",
    ),
    pytest.param(
        ['{"id": "X", "subject": "a", "body": "b"}', '{"id": "X", "subject": "c", "body": "d"}'],
        2,
        "id",
        "already appears on line 2",
        id="duplicate-id",
    ),
]


@pytest.mark.parametrize(("lines", "line", "field", "message"), BAD_JSONL)
def test_bad_jsonl_names_line_and_field_and_imports_nothing(
    desk: Desk, tmp_path: Path, lines: list[str], line: int, field: str | None, message: str
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", json.dumps(GOOD), *lines)
    with pytest.raises(ImportFileError) as caught:
        desk.import_tickets(path)
    assert caught.value.line == line + 1  # the good first line shifts everything by one
    assert caught.value.field == field
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert desk.store.count_tickets() == 0, "all or nothing: the good line was not imported"
    assert desk.store.list_actions() == []


def test_non_utf8_file_names_the_line(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        json.dumps(GOOD).encode() + b"\n" + '{"subject": "Café", "body": "b"}'.encode("latin-1")
    )
    with pytest.raises(ImportFileError, match="not UTF-8") as caught:
        desk.import_tickets(path)
    assert caught.value.line == 2
    assert desk.store.count_tickets() == 0


@pytest.mark.parametrize("content", ["", "\n\n  \n"], ids=["empty", "blank-lines"])
def test_empty_file_is_refused(desk: Desk, tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    with pytest.raises(ImportFileError, match="empty"):
        desk.import_tickets(path)


BAD_CSV = [
    pytest.param(
        "subject,body,colour\na,b,red\n", 1, "colour", "unknown field", id="unknown-column"
    ),
    pytest.param("subject,body\na,b,c\n", 2, None, "more cells", id="extra-cell"),
    pytest.param(
        "subject,body,priority\na,b,high\nc,d,asap\n", 3, "priority", "'urgent'", id="bad-enum"
    ),
    pytest.param("subject,priority\na,high\n", 2, None, "needs 'body'", id="missing-body"),
    pytest.param('subject,body\na,b\n"c,d\n', 3, None, "not valid CSV", id="unterminated-quote"),
    pytest.param(
        "subject,body,messages\na,,[oops\n", 2, "messages", "not valid JSON", id="bad-json-cell"
    ),
]


@pytest.mark.parametrize(("content", "line", "field", "message"), BAD_CSV)
def test_bad_csv_names_line_and_field(
    desk: Desk, tmp_path: Path, content: str, line: int, field: str | None, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFileError) as caught:
        desk.import_tickets(path)
    assert (caught.value.line, caught.value.field) == (line, field)
    assert message in str(caught.value)
    assert desk.store.count_tickets() == 0


def test_missing_file(desk: Desk, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        desk.import_tickets(tmp_path / "nope.jsonl")


def test_import_is_audited(desk: Desk, tmp_path: Path) -> None:
    desk.import_tickets(write_jsonl(tmp_path / "t.jsonl", GOOD))
    [action] = desk.store.list_actions()
    assert action.action == "import" and action.actor == "ada"
    assert "imported 1 tickets" in action.result


# --- customers across lines and imports -------------------------------------------------


def test_a_bare_email_later_in_the_file_keeps_what_an_earlier_line_said(
    desk: Desk, tmp_path: Path
) -> None:
    rich = {**GOOD, "customer": {"email": "ann@x.com", "name": "Ann Lee", "tier": "enterprise"}}
    bare = {"id": "EXT-5", "subject": "Again", "body": "Me again", "customer": "ann@x.com"}
    desk.import_tickets(write_jsonl(tmp_path / "t.jsonl", rich, bare))
    customer = desk.ticket("EXT-5").customer
    assert customer is not None
    assert (customer.name, customer.tier.value) == ("Ann Lee", "enterprise")
    assert desk.store.count_customers() == 1


def test_a_later_import_keeps_a_known_customer_unless_asked_to_update(
    desk: Desk, tmp_path: Path
) -> None:
    desk.import_tickets(write_jsonl(tmp_path / "a.jsonl", {**GOOD, "customer": "ann@x.com"}))
    named = {
        "id": "EXT-6",
        "subject": "Hi",
        "body": "b",
        "customer": {"email": "ANN@x.com", "name": "Ann", "tier": "enterprise"},
    }
    kept = desk.import_tickets(write_jsonl(tmp_path / "b.jsonl", named))
    assert kept.customers_kept == 1 and "--update-customers" in str(kept)
    assert desk.ticket("EXT-1").customer.name == ""  # type: ignore[union-attr]
    assert desk.ticket("EXT-6").customer.tier.value == "free"  # type: ignore[union-attr]

    named = {**named, "id": "EXT-7"}
    updated = desk.import_tickets(write_jsonl(tmp_path / "c.jsonl", named), update_customers=True)
    assert updated.customers_kept == 0
    assert desk.ticket("EXT-1").customer.name == "Ann"  # type: ignore[union-attr]
    assert desk.ticket("EXT-1").customer.tier.value == "enterprise"  # type: ignore[union-attr]
    assert desk.store.count_customers() == 1
    audit = [a.params for a in desk.store.list_actions(action="import")]
    assert [a["update_customers"] for a in audit] == [False, False, True]


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"email": "bob@x.com", "id": "CRM-77"}, "is ann@x.com elsewhere in the file"),
        ({"email": "ann@x.com", "id": "CRM-78"}, "has id 'CRM-77' on line 1"),
    ],
)
def test_conflicting_customer_ids_in_one_file(
    desk: Desk, tmp_path: Path, second: dict[str, str], message: str
) -> None:
    first = {**GOOD, "customer": {"email": "ann@x.com", "id": "CRM-77"}}
    other = {"id": "EXT-7", "subject": "s", "body": "b", "customer": second}
    with pytest.raises(ImportFileError) as caught:
        desk.import_tickets(write_jsonl(tmp_path / "t.jsonl", first, other))
    assert (caught.value.line, caught.value.field) == (2, "customer.id")
    assert message in str(caught.value)
    assert desk.store.count_customers() == 0


def test_customer_id_conflicting_with_the_workspace(desk: Desk, tmp_path: Path) -> None:
    desk.import_tickets(
        write_jsonl(
            tmp_path / "a.jsonl", {**GOOD, "customer": {"email": "ann@x.com", "id": "CRM-1"}}
        )
    )
    for customer, message in (
        ({"email": "ann@x.com", "id": "CRM-2"}, "is customer 'CRM-1' in this workspace"),
        ({"email": "bob@x.com", "id": "CRM-1"}, "belongs to ann@x.com"),
    ):
        row = {"id": "EXT-8", "subject": "s", "body": "b", "customer": customer}
        with pytest.raises(ImportFileError, match=message):
            desk.import_tickets(write_jsonl(tmp_path / "b.jsonl", row))
    assert desk.store.count_tickets() == 1


def test_reimport_without_ids_or_dates_does_not_duplicate(desk: Desk, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "t.jsonl", {"subject": "a", "body": "b"}, {"subject": "c", "body": "d"}
    )
    desk.import_tickets(path)
    again = desk.import_tickets(path)
    assert (again.added, again.skipped) == (0, 2)
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("subject,body\nx,y\n")
    desk.import_tickets(csv_path)
    assert desk.import_tickets(csv_path).skipped == 1
    assert desk.store.count_tickets() == 3


MORE_BAD_JSONL = [
    pytest.param(
        '{"subject": "a", "body": "b", "customer": {"email": "noat"}}',
        "customer.email",
        "not an email",
        id="email-no-at",
    ),
    pytest.param(
        '{"subject": "a", "body": "b", "customer": {"email": "@"}}',
        "customer.email",
        "not an email",
        id="email-at-only",
    ),
    pytest.param(
        '{"subject": "a", "body": "b", "created_at": "9999-12-31T23:00:00-05:00"}',
        "created_at",
        "out of range",
        id="date-overflow",
    ),
    pytest.param(
        '{"subject": "a", "body": "b", "csat": true}', "csat", "not true/false", id="csat-bool"
    ),
    pytest.param(
        '{"subject": "   ", "body": "b"}', "subject", "at least 1 character", id="blank-subject"
    ),
    pytest.param(
        '{"subject": "a", "subject": "b", "body": "c"}',
        "subject",
        "appears twice",
        id="duplicate-key",
    ),
    pytest.param('{"subject": "a\\u0000", "body": "b"}', "subject", "NUL", id="nul"),
    pytest.param(
        '{"id": "' + "x" * 65 + '", "subject": "a", "body": "b"}', "id", "at most 64", id="long-id"
    ),
    pytest.param(
        '{"subject": "a", "body": "b", "customer": ""}', "customer", None, id="empty-customer"
    ),
]


@pytest.mark.parametrize(("line", "field", "message"), MORE_BAD_JSONL)
def test_more_bad_values_are_refused(
    desk: Desk, tmp_path: Path, line: str, field: str, message: str | None
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", line)
    with pytest.raises(ImportFileError) as caught:
        desk.import_tickets(path)
    assert (caught.value.line, caught.value.field) == (1, field)
    if message:
        assert message in str(caught.value)


MORE_BAD_CSV = [
    pytest.param(
        "subject,body,customer,customer.email\na,b,x@y.com,x@y.com\n",
        1,
        "customer",
        "not both",
        id="customer-twice",
    ),
    pytest.param(
        "subject,body,subject\na,b,c\n", 1, "subject", "appears twice", id="duplicate-column"
    ),
    pytest.param("subject,body\n", None, None, "no tickets after the header", id="header-only"),
]


@pytest.mark.parametrize(("content", "line", "field", "message"), MORE_BAD_CSV)
def test_more_bad_csv(
    desk: Desk, tmp_path: Path, content: str, line: int | None, field: str | None, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ImportFileError) as caught:
        desk.import_tickets(path)
    assert (caught.value.line, caught.value.field) == (line, field)
    assert message in str(caught.value)


def test_csv_customer_plan_page_context_json_and_long_cells(desk: Desk, tmp_path: Path) -> None:
    long_body = "x" * 200_000
    path = tmp_path / "t.csv"
    page = json.dumps({"url": "/billing", "errors": ["500"]}).replace('"', '""')
    path.write_text(
        "id,subject,body,customer.email,customer.plan,page_context\n"
        f'L-1,Long,{long_body},pat@x.com,pro,"{page}"\n'
    )
    desk.import_tickets(path)
    ticket = desk.ticket("L-1")
    assert ticket.customer is not None and ticket.customer.plan == "pro"
    assert ticket.page_context is not None and ticket.page_context.errors == ["500"]
    assert len(ticket.messages[0].body) == 200_000
