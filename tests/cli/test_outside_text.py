"""Outside text printed by the command line: control characters shown as stand-ins, never
written raw to the terminal (piped or on a TTY); Rich tables never read it as markup; JSON
output stays exact JSON that decodes to the text as stored."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import Cli
from copilot.test_model_drafter import FakeOpenAI, ok
from deskpilot.desk import Desk
from hostile import ESCAPES, SHOWN_ESCAPES, TICKET_ID, hostile, plant, shown

RAW = ("\x1b", "\x07", "\u202e", "\x9b")
SUBJECT = f"Help {ESCAPES} why [/] closed [urgent]"
SHOWN_SUBJECT = f"Help {SHOWN_ESCAPES} why [/] closed [urgent]"
NAME = "Ann [b]\x1b[2J"


def assert_no_raw(output: str) -> None:
    for char in RAW:
        assert char not in output, f"{char!r} reached the terminal"


@pytest.fixture
def posted(cli: Cli, tmp_path: Path) -> Cli:
    """A workspace holding one ticket as a hostile poster sent it."""
    assert cli("init").exit_code == 0
    record = {
        "id": "H-1",
        "subject": SUBJECT,
        "body": f"Please {ESCAPES}",
        "priority": "urgent",
        "customer": {"email": "ann@example.com", "name": NAME},
        "created_at": "2026-10-01T09:00:00Z",
    }
    path = tmp_path / "tickets.jsonl"
    path.write_text(json.dumps(record) + "\n")
    result = cli("import", "tickets", str(path))
    assert result.exit_code == 0, result.output
    return cli


def test_the_queue_shows_a_hostile_subject_as_text_when_piped(posted: Cli) -> None:
    result = posted("queue")
    assert result.exit_code == 0, result.output
    assert_no_raw(result.stdout)
    assert SHOWN_SUBJECT in result.stdout
    assert "Ann [b]␛[2J" in result.stdout


def test_the_queue_shows_a_hostile_subject_as_text_on_a_terminal(posted: Cli) -> None:
    """On a real TTY Rich styles the table (its own escape codes), but the subject's are shown."""
    leader, follower = pty.openpty()
    script = Path(sys.executable).with_name("deskpilot")
    env = {**os.environ, "COLUMNS": "220", "LINES": "40", "TERM": "xterm-256color"}
    with subprocess.Popen(
        [str(script), "--workspace", str(posted.workspace_dir), "queue"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0
    os.close(leader)
    output = b"".join(chunks).decode("utf-8", errors="replace")
    assert "\x1b[" in output, "Rich styled the table: this really was a terminal"
    for raw in ("\x1b]0;PWNED", "\x07", "\x1b[2J", "\u202e"):
        assert raw not in output, f"{raw!r} reached the terminal"
    assert "␛]0;PWNED␇␛[2J" in output and "why [/] closed [urgent]" in output


def test_queue_json_is_exact_json_with_the_stored_text_and_nothing_raw(posted: Cli) -> None:
    result = posted("queue", "--json")
    assert result.exit_code == 0
    assert_no_raw(result.stdout)  # json.dumps escapes them (\u001b, \u0007, \u202e)
    rows = json.loads(result.stdout)
    assert rows[0]["subject"] == SUBJECT, "the stored text, exactly as received"
    assert rows[0]["customer"]["name"] == NAME


def test_an_error_quoting_outside_text_is_one_line_with_stand_ins(posted: Cli) -> None:
    result = posted("draft", "X-1\x1b]0;PWNED\x07\nforged line")
    assert result.exit_code == 2
    assert_no_raw(result.stderr)
    assert "X-1␛]0;PWNED␇␊forged line" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def hostile_demo(demo_desk: Desk) -> Cli:
    plant(demo_desk, demo_desk.workspace.root / "articles")
    return Cli(demo_desk.workspace.root)


def test_a_model_draft_streamed_with_escapes_is_shown_with_stand_ins(
    hostile_demo: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = ("Hi \x1b]0;PWNED", "\x07 there\x1b[2J", " \x9b31m done\u202e.")
    with FakeOpenAI(ok(*chunks)) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        streamed = hostile_demo("draft", TICKET_ID)
        as_json = hostile_demo("draft", TICKET_ID, "--json")
    assert streamed.exit_code == 0, streamed.output
    assert_no_raw(streamed.stdout)
    assert "Hi ␛]0;PWNED␇ there␛[2J ⟨U+009B⟩31m done⟨U+202E⟩." in streamed.stdout
    assert as_json.exit_code == 0, as_json.output
    assert_no_raw(as_json.stdout)
    assert json.loads(as_json.stdout)["text"] == "".join(chunks), "JSON keeps the model's text"


def test_the_local_draft_and_its_sources_are_shown_with_stand_ins(hostile_demo: Cli) -> None:
    result = hostile_demo("draft", TICKET_ID)
    assert result.exit_code == 0, result.output
    assert_no_raw(result.stdout)
    assert SHOWN_ESCAPES in result.stdout


def test_kb_search_shows_a_hostile_article_as_text_and_json_exactly(hostile_demo: Cli) -> None:
    result = hostile_demo("kb", "search", "why closed urgent")
    assert result.exit_code == 0, result.output
    assert_no_raw(result.stdout)
    assert shown("ARTICLE") in result.stdout
    as_json = hostile_demo("kb", "search", "why closed urgent", "--json")
    assert_no_raw(as_json.stdout)  # ensure_ascii=False would leave U+202E raw
    titles = [hit["title"] for hit in json.loads(as_json.stdout)]
    assert hostile("ARTICLE") in titles


def test_stats_show_hostile_intents_and_pages_as_text(demo_desk: Desk) -> None:
    from hostile import SHOWN_INTENT, plant_for_stats

    demo_desk.clock = lambda: datetime.now(UTC)  # the CLI's present: the signals' 30 days
    plant_for_stats(demo_desk)
    result = Cli(demo_desk.workspace.root)("stats")
    assert result.exit_code == 0, result.output
    assert_no_raw(result.stdout)
    assert SHOWN_INTENT in result.stdout
    squeezed = "".join(result.stdout.split())  # Rich wraps the signal line at 80 columns
    assert "".join(shown("STATSPAGE").split()) in squeezed
