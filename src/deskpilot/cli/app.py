"""The command line: thin commands over the desk. Errors become one line and exit code 2."""

from __future__ import annotations

import json
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from deskpilot import __version__
from deskpilot.cli.common import (
    Context,
    cell,
    pass_context,
    progress_bar,
    shown,
    workspace_option,
)
from deskpilot.config import render_toml
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.models import OPEN_STATUSES, Status, TicketSummary
from deskpilot.workspace import (
    Workspace,
    default_workspace_dir,
    demo_workspace_dir,
    resolve_workspace_dir,
)

USER_ERROR = 2


class DeskPilotGroup(click.Group):
    """Turns DeskPilot errors into one line on stderr and exit code 2 (tracebacks: --debug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DeskPilotError as error:
            _fail(ctx, f"error: {error}", USER_ERROR)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`deskpilot queue | head`): stop quietly, as other tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except Exception as error:
            _fail(ctx, f"internal error: {type(error).__name__}: {error}", 1)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    if ctx.find_root().params.get("debug"):
        traceback.print_exc()
    click.echo(shown(message, one_line=True), err=True)  # errors quote ids, files, connectors
    ctx.exit(code)


@click.group(
    cls=DeskPilotGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DESKPILOT_WORKSPACE",
    help="Workspace folder (default: the per-user data folder). Env: DESKPILOT_WORKSPACE.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--theme", help="TUI theme, e.g. deskpilot-dark or deskpilot-light.")
@click.version_option(__version__, prog_name="deskpilot")
@click.pass_context
def main(ctx: click.Context, workspace: Path | None, debug: bool, theme: str | None) -> None:
    """DeskPilot: the agent desk in the terminal with an AI co-pilot.

    Without a command, opens the desk on the workspace.
    """
    source = ctx.get_parameter_source("workspace")
    ctx.obj = Context(
        resolve_workspace_dir(workspace),
        chosen=source is click.core.ParameterSource.COMMANDLINE,
        theme=theme,
    )
    if ctx.invoked_subcommand is None:
        run_desk(ctx.obj.existing_workspace(), theme)


def run_desk(workspace: Workspace, theme: str | None) -> None:
    """Open the agent desk TUI (imported here: the other commands never load Textual)."""
    from deskpilot.tui.app import DeskPilotApp

    with Desk.open(workspace) as desk:
        DeskPilotApp(desk, theme=theme).run()


@main.command()
@workspace_option
@pass_context
def init(context: Context) -> None:
    """Create an empty workspace (config.toml and database)."""
    workspace = context.create_workspace()
    with Desk.open(workspace) as desk:
        click.echo(f"workspace ready: {workspace.root} (schema version {desk.schema_version})")


@main.command()
@workspace_option
@click.option("--tickets", "-n", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same demo.")
@click.option("--reset", is_flag=True, help="Throw the demo workspace away and build it anew.")
@click.option("--no-tui", is_flag=True, help="Build the workspace and print a summary only.")
@click.option(
    "--now",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
    help="The demo's present (ISO 8601, UTC if no offset): same seed and now, same demo.",
)
@pass_context
def demo(
    context: Context, tickets: int, seed: int, reset: bool, no_tui: bool, now: datetime | None
) -> None:
    """Create a realistic demo workspace and open the desk on it."""
    from deskpilot.demo import build_demo, remove_demo_workspace  # start-up time: the generator

    if not context.chosen:
        # Without --workspace the demo gets a folder of its own, never the agent's real one
        # (not even the one DESKPILOT_WORKSPACE names).
        context.workspace_dir = demo_workspace_dir()
    if reset:
        remove_demo_workspace(context.workspace_dir)
    workspace = context.create_workspace()
    with Desk.open(workspace) as desk:
        built = desk.demo_description()
        if built is not None:
            click.echo(
                f"reusing the demo workspace at {workspace.root} ({built}); --reset builds it anew"
            )
        else:
            with progress_bar("Building the demo") as report:
                summary = build_demo(
                    desk,
                    tickets=tickets,
                    seed=seed,
                    now=now if now is None or now.tzinfo else now.replace(tzinfo=UTC),
                    progress=lambda stage, done, total: report(done, total, stage),
                )
            click.echo(
                f"demo workspace ready at {workspace.root}: {summary.tickets} tickets, "
                f"{summary.customers} customers, {summary.articles} articles, "
                f"{summary.invoices} invoices, {summary.bugs} known bugs"
            )
        _print_overview(desk)
    if not no_tui:
        run_desk(workspace, context.theme)


def _print_overview(desk: Desk) -> None:
    counts = desk.count_by_status()
    line = ", ".join(f"{counts.get(s, 0)} {s.value}" for s in Status)
    click.echo(f"tickets by status: {line}")
    command = _command_for(desk)
    if command == "deskpilot":
        click.echo("next: deskpilot queue (or deskpilot to open the desk)")
    else:
        click.echo(f"next: {command} queue")
    inbox = desk.workspace.records_dir / "inbox.jsonl"
    if inbox.exists() and not desk.pulled_yet("demo"):
        click.echo(
            f"a customer's answer waits in the demo channel: {command} sync --once brings it in"
        )


def _command_for(desk: Desk) -> str:
    """How to name this workspace on the command line: plain ``deskpilot`` when commands fall
    back to it (the demo's, without a workspace of one's own), else with ``--workspace``."""
    own = Workspace(default_workspace_dir())
    if desk.workspace.root == demo_workspace_dir().resolve() and not own.config_file.exists():
        return "deskpilot"
    return f"deskpilot --workspace {desk.workspace.root}"


@main.group("import")
def import_group() -> None:
    """Import data into the workspace."""


@import_group.command("tickets")
@workspace_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--update-customers",
    is_flag=True,
    help="Apply the file's name, company, tier and plan to customers already in the workspace "
    "(without it they are matched by email and kept as they are).",
)
@pass_context
def import_tickets(context: Context, file: Path, update_customers: bool) -> None:
    """Import tickets from a JSONL or CSV FILE (all or nothing)."""
    workspace = context.existing_workspace()
    with Desk.open(workspace) as desk, progress_bar(f"Importing {file.name}") as report:
        result = desk.import_tickets(
            file,
            progress=lambda done, total: report(done, total, ""),
            update_customers=update_customers,
        )
    click.echo(shown(result))


STATUS_CHOICES = [s.value for s in Status] + ["open-all", "all"]


@main.command()
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option(
    "--status",
    type=click.Choice(STATUS_CHOICES),
    default="open-all",
    show_default=True,
    help="One status, 'open-all' (every unsolved status) or 'all'.",
)
@click.option("--intent", help="Only tickets with this intent.")
@click.option(
    "--limit", type=click.IntRange(min=0), default=50, show_default=True, help="0 lists all."
)
@pass_context
def queue(context: Context, as_json: bool, status: str, intent: str | None, limit: int) -> None:
    """List tickets: urgent first, then oldest first."""
    statuses: frozenset[Status] | None
    if status == "all":
        statuses = None
    elif status == "open-all":
        statuses = OPEN_STATUSES
    else:
        statuses = frozenset({Status(status)})
    with Desk.open(context.existing_workspace()) as desk:
        # Snoozed tickets are out of the queue until they come back (deskpilot snooze).
        rows = desk.queue(statuses=statuses, intent=intent, limit=limit or None, awake_only=True)
        stopped = bool(limit) and len(rows) == limit
        total = desk.count_tickets(statuses=statuses, intent=intent, awake_only=True)
    if as_json:
        click.echo(json.dumps([_summary_json(row) for row in rows], indent=2))
    else:
        _print_queue(rows)
        if stopped and total > len(rows):  # a list cut at the limit says so
            click.echo(f"{len(rows)} of {total} tickets; --limit 0 lists them all")


def _summary_json(row: TicketSummary) -> dict[str, Any]:
    data = row.model_dump(mode="json")
    data["customer"] = (
        {
            "id": data.pop("customer_id"),
            "name": data.pop("customer_name"),
            "email": data.pop("customer_email"),
            "tier": data.pop("tier"),
        }
        if row.customer_id
        else None
    )
    for key in ("customer_id", "customer_name", "customer_email", "tier"):
        data.pop(key, None)
    return data


def _print_queue(rows: list[TicketSummary]) -> None:
    table = Table(box=None, header_style="bold")
    for column in ("id", "priority", "status", "intent", "customer", "subject", "created"):
        table.add_column(column, overflow="ellipsis", no_wrap=True)
    for row in rows:
        table.add_row(
            cell(row.id),
            row.priority.value,
            row.status.value,
            cell(row.intent or "-"),
            cell(row.customer_name or row.customer_email or "-"),
            cell(row.subject),
            row.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    if not rows:
        click.echo("no tickets match")


@main.command()
@workspace_option
@pass_context
def migrate(context: Context) -> None:
    """Bring the database to this DeskPilot's schema: once, by one person, when a team on
    PostgreSQL upgrades (desks refuse an older team database; SQLite upgrades on open)."""
    # start-up time: only this command migrates
    from deskpilot.store import SCHEMA_VERSION, describe_url, migrate_database

    workspace = Workspace(context.workspace_dir.expanduser().resolve())
    url = workspace.database_url(workspace.settings())
    location = describe_url(url)
    found, now = migrate_database(url)
    if found is None:
        click.echo(f"{location}: created the DeskPilot schema (version {now})")
    elif found < now:
        click.echo(f"{location}: migrated from schema version {found} to {now}")
    else:
        click.echo(f"{location}: already at schema version {SCHEMA_VERSION}; nothing to do")


@main.group()
def config() -> None:
    """Show the effective configuration."""


@config.command("show")
@workspace_option
@pass_context
def config_show(context: Context) -> None:
    """Print the effective settings as TOML; secrets are masked."""
    click.echo(render_toml(context.existing_workspace().settings()), nl=False)


@config.command("path")
@workspace_option
@pass_context
def config_path(context: Context) -> None:
    """Print the workspace folder and its config file."""
    workspace = Workspace(context.workspace_dir.expanduser().resolve())
    click.echo(f"workspace: {workspace.root}\nconfig: {workspace.config_file}")


def _register_command_groups() -> None:
    from deskpilot.cli.channels import outbox, reply, show
    from deskpilot.cli.copilot import draft
    from deskpilot.cli.feedback import (
        autopilot,
        eval_group,
        export_group,
        learn,
        qa_command,
        stats,
    )
    from deskpilot.cli.flow import assign, next_ticket
    from deskpilot.cli.kb import kb
    from deskpilot.cli.plugins import plugins
    from deskpilot.cli.serve import serve, sync
    from deskpilot.cli.snooze import merge, snooze
    from deskpilot.cli.understand import intents, triage

    main.add_command(triage)
    main.add_command(intents)
    main.add_command(kb)
    main.add_command(draft)
    main.add_command(eval_group)
    main.add_command(learn)
    main.add_command(stats)
    main.add_command(qa_command)
    main.add_command(export_group)
    main.add_command(autopilot)
    main.add_command(plugins)
    main.add_command(serve)
    main.add_command(sync)
    main.add_command(reply)
    main.add_command(show)
    main.add_command(outbox)
    main.add_command(assign)
    main.add_command(next_ticket)
    main.add_command(snooze)
    main.add_command(merge)


_register_command_groups()

if __name__ == "__main__":
    main()
