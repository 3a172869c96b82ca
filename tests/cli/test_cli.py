"""The command line as a user runs it: workspace selection, queue, config, and clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.workspace import Workspace, default_workspace_dir, resolve_workspace_dir

TICKETS = [
    {
        "id": "A-1",
        "subject": "Locked out",
        "body": "I can't get in",
        "priority": "urgent",
        "customer": {"email": "ann@example.com", "name": "Ann"},
        "intent": "account_access",
        "created_at": "2026-10-01T09:00:00Z",
    },
    {
        "id": "A-2",
        "subject": "Invoice",
        "body": "Why $120?",
        "customer": "bob@example.com",
        "intent": "invoice_discrepancy",
        "created_at": "2026-10-02T09:00:00Z",
    },
    {
        "id": "A-3",
        "subject": "Thanks",
        "body": "All good",
        "reply": "Glad to help!",
        "created_at": "2026-10-03T09:00:00Z",
    },
]


@pytest.fixture
def filled(cli: Cli, tmp_path: Path) -> Cli:
    assert cli("init").exit_code == 0
    path = tmp_path / "tickets.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in TICKETS) + "\n")
    result = cli("import", "tickets", str(path))
    assert result.exit_code == 0, result.output
    assert "imported 3 tickets" in result.output
    return cli


def test_queue_json_lists_open_tickets_with_the_documented_fields(filled: Cli) -> None:
    result = filled("queue", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == ["A-1", "A-2"]  # urgent first; the solved one is hidden
    first = rows[0]
    for key in ("id", "subject", "status", "priority", "intent", "customer", "created_at"):
        assert key in first
    assert first["customer"]["email"] == "ann@example.com"
    assert first["created_at"].startswith("2026-10-01T09:00:00")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--status", "all"), ["A-1", "A-2", "A-3"]),
        (("--status", "solved"), ["A-3"]),
        (("--intent", "invoice_discrepancy"), ["A-2"]),
        (("--limit", "1"), ["A-1"]),
    ],
)
def test_queue_filters(filled: Cli, args: tuple[str, ...], expected: list[str]) -> None:
    result = filled("queue", "--json", *args)
    assert [r["id"] for r in json.loads(result.stdout)] == expected


def test_queue_table_for_people(filled: Cli) -> None:
    result = filled("queue")
    assert result.exit_code == 0
    assert "Locked out" in result.stdout and "A-2" in result.stdout
    assert "Thanks" not in result.stdout


def test_bad_import_exits_2_with_one_line_and_changes_nothing(filled: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"subject": "ok", "body": "fine"}\n{"subject": "x", "body": "y", "urgency": 1}\n'
    )
    result = filled("import", "tickets", str(bad))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "line 2" in result.stderr and "'urgency'" in result.stderr
    assert "Traceback" not in result.output
    assert len(json.loads(filled("queue", "--json", "--status", "all").stdout)) == 3


def test_commands_on_a_missing_workspace_say_how_to_create_one(cli: Cli) -> None:
    result = cli("queue")
    assert result.exit_code == 2
    assert "not a DeskPilot workspace" in result.stderr and "deskpilot demo" in result.stderr


def test_unwritable_workspace_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = Cli(blocker / "ws")("init")
    assert result.exit_code == 2
    assert "not writable" in result.stderr or "not a folder" in result.stderr
    assert blocker.read_text() == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_workspace_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = Cli(folder)("init")
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 2 and "not writable" in result.stderr
    assert list(folder.iterdir()) == []


def test_corrupted_database_exits_2_and_keeps_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    folder.mkdir()
    database = folder / "deskpilot.db"
    database.write_bytes(b"\x00garbage" * 1000)
    result = Cli(folder)("queue")
    assert result.exit_code == 2
    assert "corrupted" in result.stderr and str(database) in result.stderr
    assert database.read_bytes() == b"\x00garbage" * 1000
    assert sorted(p.name for p in folder.iterdir()) == ["deskpilot.db"]


def test_config_show_masks_secrets(filled: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKPILOT_LLM__API_KEY", "sk-very-secret")
    result = filled("config", "show")
    assert result.exit_code == 0
    assert "sk-very-secret" not in result.output
    assert 'api_key = "********"' in result.stdout
    assert "refund_limit = 200.0" in result.stdout


def test_workspace_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_workspace_dir(None) == default_workspace_dir()
    assert str(default_workspace_dir()).startswith(str(tmp_path / "xdg-data"))
    monkeypatch.setenv("DESKPILOT_WORKSPACE", str(tmp_path / "env-ws"))
    assert resolve_workspace_dir(None) == tmp_path / "env-ws"
    assert resolve_workspace_dir(tmp_path / "flag-ws") == tmp_path / "flag-ws"


def test_workspace_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKPILOT_WORKSPACE", str(tmp_path / "env-ws"))
    from click.testing import CliRunner

    from deskpilot.cli import main

    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    assert Workspace.existing(tmp_path / "env-ws").config_file.exists()


def test_installed_console_script_reports_errors_without_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("deskpilot")
    result = subprocess.run(
        [str(script), "--workspace", str(tmp_path / "none"), "queue"],
        capture_output=True,
        text=True,
        env={**os.environ, "DESKPILOT_WORKSPACE": ""},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    debug = subprocess.run(
        [str(script), "--debug", "--workspace", str(tmp_path / "none"), "queue"],
        capture_output=True,
        text=True,
    )
    assert "Traceback" in debug.stderr
