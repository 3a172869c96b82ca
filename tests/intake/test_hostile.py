"""Hostile documents at both doors, ``POST /tickets`` and ``deskpilot import tickets``: each is
a clear 4xx or exit 2 naming what is wrong, never a 500, an "internal error" or a hang, and
nothing is stored."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.desk import Desk
from deskpilot.errors import ImportFileError
from deskpilot.intake.records import TicketRecord
from deskpilot.models import utcnow
from deskpilot.textfiles import MAX_JSON_DEPTH, UnreadableText, parse_json
from deskpilot.workspace import Workspace

from .test_server import PAGE_CONTEXT, post, secured, stored, ticket, url  # noqa: F401

HUGE_INTEGER = "9" * 5000  # over Python's 4,300-digit limit for int()
DEEP = "[" * 1000 + "]" * 1000


def jsonl(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def one_line_exit_2(cli: Cli, path: Path) -> str:
    result = cli("import", "tickets", str(path))
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output.lower()
    assert len(result.output.strip().splitlines()) == 1
    return result.output


@pytest.fixture
def filled(cli: Cli) -> Cli:
    assert cli("init").exit_code == 0
    return cli


# --- the parser ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (HUGE_INTEGER, "5,000 digits"),
        (DEEP, f"nested more than {MAX_JSON_DEPTH} levels"),
        ('{"a": ' * 500 + "1" + "}" * 500, "nested more than"),
        ("NaN", "NaN is not a JSON number"),
        ('{"csat": -Infinity}', "-Infinity is not a JSON number"),
        ('{"a": 1, "a": 2}', "the same field appears twice"),
    ],
    ids=["huge-integer", "deep-array", "deep-object", "nan", "infinity", "duplicate"],
)
def test_the_parser_refuses_what_python_would_crash_on(text: str, problem: str) -> None:
    with pytest.raises(UnreadableText, match=problem):
        parse_json(text, refuse_duplicate_keys=True)


def test_the_parser_reads_brackets_inside_strings_as_text() -> None:
    text = json.dumps({"body": "[" * 5000 + "{" * 5000})
    assert parse_json(text)["body"].startswith("[[[")
    assert parse_json(json.dumps([[[1]]])) == [[[1]]]


# --- over HTTP ---------------------------------------------------------------------------------

HOSTILE_BODIES = [
    pytest.param(
        '{"subject": "x", "body": "y", "csat": ' + HUGE_INTEGER + "}", 400, None, id="huge-int"
    ),
    pytest.param('{"subject": "x", "body": "y", "tags": ' + DEEP + "}", 400, None, id="deep"),
    pytest.param(
        json.dumps(ticket(page_context={**PAGE_CONTEXT, "url": "https://a.example/\x00"})),
        422,
        "page_context.url",
        id="nul-page-url",
    ),
    pytest.param(
        json.dumps(ticket(page_context={**PAGE_CONTEXT, "errors": ["ok", "bad\x00"]})),
        422,
        "page_context.errors.1",
        id="nul-page-error",
    ),
    pytest.param(
        json.dumps(ticket(customer={"email": "nul\x00@example.com"})),
        422,
        "customer.email",
        id="nul-email",
    ),
    pytest.param(json.dumps(ticket(subject="a\x00b")), 422, "subject", id="nul-subject"),
    pytest.param(
        '{"subject": "lone \\ud800 surrogate", "body": "y"}', 422, "subject", id="surrogate"
    ),
    pytest.param(json.dumps(ticket(id="T-1\nforged")), 422, "id", id="newline-in-id"),
]


@pytest.mark.parametrize(("body", "status", "field"), HOSTILE_BODIES)
def test_hostile_bodies_are_refused_over_http(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
    body: str,
    status: int,
    field: str | None,
) -> None:
    answer = post(url, body.encode())

    assert answer.status_code == status, answer.text
    assert answer.json().get("field") == field
    assert stored(secured) == (0, 0)


# --- on import -----------------------------------------------------------------------------------

GOOD = {"id": "EXT-1", "subject": "Locked out", "body": "Since this morning"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"subject": "x", "body": "y", "csat": ' + HUGE_INTEGER + "}", "5,000 digits"),
        ('{"subject": "x", "body": "y", "tags": ' + DEEP + "}", "nested more than"),
        (
            json.dumps({**GOOD, "created_at": "9999-12-31T23:59:59Z", "reply": "Done"}),
            "field 'created_at': date must be between 1970 and 2999",
        ),
        (
            json.dumps(
                {
                    "subject": "x",
                    "messages": [
                        {"author": "customer", "body": "a", "at": "9999-12-31T23:59:59Z"},
                        {"author": "customer", "body": "b"},
                    ],
                }
            ),
            "field 'messages.0.at': date must be between",
        ),
        (
            json.dumps({**GOOD, "page_context": {"title": "a\x00"}}),
            "field 'page_context.title': contains a NUL character",
        ),
        (
            json.dumps({**GOOD, "customer": {"email": "a\x00@example.com"}}),
            "field 'customer.email': contains a NUL character",
        ),
    ],
    ids=["huge-int", "deep", "created-9999-reply", "message-9999", "nul-page", "nul-email"],
)
def test_hostile_lines_are_one_line_and_exit_2(
    filled: Cli, tmp_path: Path, line: str, expected: str
) -> None:
    output = one_line_exit_2(filled, jsonl(tmp_path / "t.jsonl", json.dumps(GOOD), line))
    assert "line 2" in output and expected in output
    with Desk.open(Workspace.existing(filled.workspace_dir)) as desk:
        assert desk.store.count_tickets() == 0


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_json_lines_may_hold_unicode_line_separators_in_strings(
    desk: Desk, tmp_path: Path, separator: str
) -> None:
    body = f"first line{separator}second line"
    raw = json.dumps({**GOOD, "body": body}, ensure_ascii=False)
    assert separator in raw  # written raw, as valid JSON allows
    second = json.dumps({**GOOD, "id": "EXT-2", "subject": f"a{separator}b"}, ensure_ascii=False)

    report = desk.import_tickets(jsonl(tmp_path / "t.jsonl", raw, second))

    assert report.added == 2
    assert desk.ticket("EXT-1").messages[0].body == body
    assert desk.ticket("EXT-2").subject == f"a{separator}b"


def test_crlf_json_lines_still_import(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes((json.dumps(GOOD) + "\r\n").encode())
    assert desk.import_tickets(path).added == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_blocking(filled: Cli, tmp_path: Path) -> None:
    pipe = tmp_path / "tickets.jsonl"
    os.mkfifo(pipe)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(one_line_exit_2(filled, pipe)))
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():  # unblock the reader so the test run can end, then fail
        with open(pipe, "w") as writer:
            writer.write("")
        worker.join()
        pytest.fail("import tickets blocked on a named pipe")
    assert outcome and "is not a regular file (a named pipe)" in outcome[0]


def test_a_device_is_refused(desk: Desk) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    with pytest.raises(ImportFileError, match="not a regular file"):
        desk.import_tickets(Path("/dev/zero"))


HEADER = "id,subject,body,tags\n"
ROW = 'EXT-1,Locked out,Since this morning,"[""login"", ""urgent""]"\n'


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        (HEADER + ROW + "EXT-2,Cut off here", 3, "the row has 2 cells but the header has 4"),
        (HEADER + ROW + 'EXT-2,Cut,Mid cell,"[""log', 3, "not valid CSV"),
        (HEADER + 'EXT-1,"Cut in the subject', 2, "not valid CSV"),
    ],
    ids=["mid-row", "mid-quoted-cell", "mid-quoted-subject"],
)
def test_a_truncated_csv_is_refused_with_its_line(
    desk: Desk, tmp_path: Path, content: str, line: int, problem: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFileError, match=problem) as refused:
        desk.import_tickets(path)
    assert refused.value.line == line
    assert desk.store.count_tickets() == 0


def test_a_truncated_csv_is_exit_2_on_the_command_line(filled: Cli, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(HEADER + ROW + "EXT-2,Cut off", encoding="utf-8")
    assert "line 3" in one_line_exit_2(filled, path)


def test_a_nul_in_a_csv_cell_is_refused_naming_the_column(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("subject,body,page_context.url\nHi,there,https://x.example/\x00\n")
    with pytest.raises(ImportFileError, match="contains a NUL character") as refused:
        desk.import_tickets(path)
    assert refused.value.field == "page_context.url"


def test_attachment_metadata_is_read_never_where_it_is_kept(desk: Desk, tmp_path: Path) -> None:
    attachment = {"name": "screenshot.png", "content_type": "image/png", "size": 2048}
    report = desk.import_tickets(
        jsonl(tmp_path / "a.jsonl", json.dumps({**GOOD, "attachments": [attachment]}))
    )
    assert report.added == 1
    record = TicketRecord.model_validate({**GOOD, "attachments": [attachment]})
    [first] = record.to_ticket(now=utcnow(), customer=None).messages
    assert [a.model_dump() for a in first.attachments] == [{**attachment, "stored_as": ""}]
    with pytest.raises(ImportFileError, match="stored_as"):
        desk.import_tickets(
            jsonl(
                tmp_path / "b.jsonl",
                json.dumps({**GOOD, "attachments": [{**attachment, "stored_as": "../../x"}]}),
            )
        )
