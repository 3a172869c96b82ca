"""`deskpilot demo`: the seeded demo workspace, as a newcomer gets it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.desk import Desk
from deskpilot.errors import WorkspaceError
from deskpilot.models import Author, Bug, CrmRecord, Invoice, Message, Status, Ticket
from deskpilot.workspace import Workspace

NOW = "2026-11-02T09:00:00Z"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "ws"
    result = Cli(folder)("demo", "--no-tui", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "demo workspace ready" in result.stdout
    return folder


def test_demo_workspace_holds_tickets_articles_and_records(demo_dir: Path) -> None:
    workspace = Workspace.existing(demo_dir)
    with Desk.open(workspace) as desk:
        assert desk.store.count_tickets() >= 300
        assert desk.store.count_customers() >= 60
        counts = desk.store.count_by_status()
        assert counts.get(Status.SOLVED, 0) + counts.get(Status.CLOSED, 0) > 100
        assert counts.get(Status.NEW, 0) > 30
        open_rows = desk.queue(limit=None)
        ticket = desk.ticket(open_rows[0].id)
        assert ticket.customer is not None and ticket.messages

    articles = sorted(workspace.articles_dir.glob("*.md"))
    assert len(articles) >= 40
    assert all("\n# " in a.read_text() for a in articles)

    records = workspace.records_dir
    invoices = [
        Invoice.model_validate(i) for i in json.loads((records / "invoices.json").read_text())
    ]
    assert any(line.proration for invoice in invoices for line in invoice.lines)
    crm = [CrmRecord.model_validate(r) for r in json.loads((records / "crm.json").read_text())]
    assert len(crm) >= 60
    bugs = [Bug.model_validate(b) for b in json.loads((records / "bugs.json").read_text())]
    assert bugs and all(b.error_signature for b in bugs)


def test_the_demo_is_seeded_through_the_desk_on_the_audit_trail(demo_dir: Path) -> None:
    with Desk.open(Workspace.existing(demo_dir)) as desk:
        (seeded,) = desk.store.list_actions(action="seed_demo")
        assert seeded.ticket_id is None and seeded.ok
        assert seeded.params == {
            "demo": "seed 7, 300 tickets",
            "tickets": 300,
            "customers": desk.store.count_customers(),
            "drafts": len(desk.store.list_edit_events()),
        }
        assert seeded.params["drafts"] > 0


def test_a_demo_is_seeded_only_into_an_empty_workspace(desk: Desk) -> None:
    real = Message(author=Author.CUSTOMER, body="Real customer")
    desk.take_in(
        [Ticket(id="REAL-1", subject="Hi", messages=[real], status=Status.SOLVED)], source="t"
    )
    with pytest.raises(WorkspaceError, match="already holds tickets"):
        desk.seed_demo(customers=[], history=[], arriving=[], edits=[], demo="seed 1, 0 tickets")
    assert desk.demo_description() is None
    assert [a.action for a in desk.store.list_actions()] == ["intake"]


def test_running_demo_again_reopens_the_same_workspace(demo_dir: Path) -> None:
    before = Workspace.existing(demo_dir)
    with Desk.open(before) as desk:
        count = desk.store.count_tickets()
    result = Cli(demo_dir)("demo", "--no-tui")
    assert result.exit_code == 0 and "reusing the demo workspace" in result.stdout
    assert "seed 7, 300 tickets" in result.stdout and "--reset" in result.stdout
    with Desk.open(before) as desk:
        assert desk.store.count_tickets() == count


def test_same_seed_gives_the_same_demo(tmp_path: Path, demo_dir: Path) -> None:
    again = Cli(tmp_path / "again")
    assert again("demo", "--no-tui", "--now", NOW).exit_code == 0
    first = Cli(demo_dir)("queue", "--json", "--status", "all", "--limit", "0")
    second = again("queue", "--json", "--status", "all", "--limit", "0")
    assert json.loads(first.stdout) == json.loads(second.stdout)


def test_demo_refuses_a_workspace_with_real_tickets(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    tickets = tmp_path / "t.jsonl"
    tickets.write_text('{"id": "REAL-1", "subject": "Hi", "body": "Real customer"}\n')
    assert cli("import", "tickets", str(tickets)).exit_code == 0
    result = cli("demo", "--no-tui")
    assert result.exit_code == 2
    assert "not demo data" in result.stderr


def test_demo_without_workspace_option_uses_its_own_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from deskpilot.cli import main

    result = CliRunner().invoke(main, ["demo", "--no-tui", "--tickets", "50"])
    assert result.exit_code == 0, result.output
    demo_folder = tmp_path / "xdg-data" / "deskpilot" / "demo"
    assert (demo_folder / "deskpilot.db").exists()
    assert not (tmp_path / "xdg-data" / "deskpilot" / "workspace").exists()


def test_after_the_demo_the_readmes_commands_work_as_written(tmp_path: Path) -> None:
    """No workspace of one's own yet: commands use the demo's and say so in one line."""
    from click.testing import CliRunner

    from deskpilot.cli import main

    runner = CliRunner()
    built = runner.invoke(main, ["demo", "--no-tui", "--tickets", "20"])
    assert built.exit_code == 0
    assert "next: deskpilot queue" in built.stdout
    demo_folder = (tmp_path / "xdg-data" / "deskpilot" / "demo").resolve()
    result = runner.invoke(main, ["queue", "--status", "all", "--json"])
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 20
    assert result.stderr == (
        f"using the demo workspace at {demo_folder} "
        "(no workspace of your own yet: 'deskpilot init' creates one)\n"
    )
    assert runner.invoke(main, ["stats"]).exit_code == 0
    # a workspace named on the command line never falls back
    named = runner.invoke(main, ["--workspace", str(tmp_path / "elsewhere"), "queue"])
    assert named.exit_code == 2 and "not a DeskPilot workspace" in named.stderr
    # with a workspace of one's own, that one is used
    assert runner.invoke(main, ["init"]).exit_code == 0
    own = runner.invoke(main, ["queue", "--json"])
    assert own.exit_code == 0 and json.loads(own.stdout) == [] and own.stderr == ""


def test_piping_into_a_closed_reader_stops_quietly(demo_dir: Path) -> None:
    import shlex
    import subprocess
    import sys

    script = Path(sys.executable).with_name("deskpilot")
    command = f"{shlex.quote(str(script))} -w {shlex.quote(str(demo_dir))} queue --json --limit 0"
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} | head -c 10"],
        capture_output=True,
        text=True,
    )
    assert len(result.stdout) == 10
    assert result.stderr == ""


def test_reset_rebuilds_a_demo_but_never_a_real_workspace(tmp_path: Path, cli: Cli) -> None:
    demo = Cli(tmp_path / "demo")
    assert demo("demo", "--no-tui", "--tickets", "40").exit_code == 0
    rebuilt = demo("demo", "--no-tui", "--reset", "--tickets", "60", "--seed", "3")
    assert rebuilt.exit_code == 0 and "60 tickets" in rebuilt.stdout
    with Desk.open(Workspace.existing(tmp_path / "demo")) as desk:
        assert desk.store.count_tickets() == 60

    assert cli("init").exit_code == 0
    refused = cli("demo", "--no-tui", "--reset")
    assert refused.exit_code == 2 and "not a demo workspace" in refused.stderr
    assert (tmp_path / "ws" / "config.toml").exists()


def test_an_interrupted_build_leaves_a_workspace_that_builds_again(tmp_path: Path) -> None:
    from deskpilot.demo import build_demo

    def interrupt(stage: str, done: int, _total: int) -> None:
        if stage == "storing" and done > 0:
            raise KeyboardInterrupt

    workspace = Workspace.create(tmp_path / "ws")
    with Desk.open(workspace) as desk:
        with pytest.raises(KeyboardInterrupt):
            build_demo(desk, tickets=50, progress=interrupt)
        assert desk.store.count_tickets() == 0 and desk.store.count_customers() == 0
        assert desk.demo_description() is None
        assert desk.store.list_actions() == []  # nor is the seeding on the audit trail
        build_demo(desk, tickets=50)
        assert desk.store.count_tickets() == 50


def test_workspace_option_after_the_subcommand(demo_dir: Path) -> None:
    from click.testing import CliRunner

    from deskpilot.cli import main

    result = CliRunner().invoke(main, ["queue", "--json", "--workspace", str(demo_dir)])
    assert result.exit_code == 0 and json.loads(result.stdout)


def test_demo_ignores_a_workspace_chosen_only_by_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from deskpilot.cli import main

    real = tmp_path / "real"
    monkeypatch.setenv("DESKPILOT_WORKSPACE", str(real))
    assert CliRunner().invoke(main, ["demo", "--no-tui", "--tickets", "20"]).exit_code == 0
    assert not real.exists()
