"""The feedback loop from the shell: eval replay, learn, stats, export training, autopilot."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskpilot.cli.common import (
    Context,
    cell,
    pass_context,
    progress_bar,
    shown,
    workspace_option,
)
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.feedback.stats import decimal, duration, percent

if TYPE_CHECKING:
    from deskpilot.feedback.export import Format
    from deskpilot.feedback.signals import Signals
    from deskpilot.feedback.stats import TeamStats
    from deskpilot.models import CrmRecord


@click.group("eval")
def eval_group() -> None:
    """Measure the desk on historical data."""


@eval_group.command("replay")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--window", default=200, show_default=True, type=click.IntRange(min=1))
@click.option("--no-learning", is_flag=True, help="The control: the same replay, learning off.")
@click.option(
    "--shuffle",
    "shuffle_seed",
    type=int,
    default=None,
    metavar="SEED",
    help="Replay in a shuffled order (for files sorted by topic and without dates).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Replay the first N.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A team's config.toml for the replay workspace (default: the defaults).",
)
@click.option(
    "--output",
    "output_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write one JSON line per ticket: id, draft, reply, similarity, drafter, sources.",
)
def replay_command(
    file: Path,
    as_json: bool,
    window: int,
    no_learning: bool,
    shuffle_seed: int | None,
    limit: int | None,
    config_file: Path | None,
    output_file: Path | None,
) -> None:
    """Replay FILE's tickets in order on a fresh workspace: draft, score against the reply the
    agent really sent, log the edit, learn. FILE: JSONL with body (or the import format's
    messages: the thread before the reply), reply and an optional company (the inbox that
    answered), or a CSV such as Bitext's (instruction, response, intent)."""
    from deskpilot.feedback.replay import read_replay_file, replay

    if output_file is not None:
        _check_writable(output_file)
    cases = read_replay_file(file)
    if shuffle_seed is not None:
        import random

        random.Random(shuffle_seed).shuffle(cases)
    cases = cases[:limit] if limit else cases
    with progress_bar("replaying") as report:
        result = replay(
            cases,
            learning=not no_learning,
            window=window,
            config_file=config_file,
            progress=lambda done, total: report(done, total, ""),
        )
    if output_file is not None:
        with output_file.open("w", encoding="utf-8") as out:
            for record in result.records:
                out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    figures = result.to_json()
    if as_json:
        click.echo(json.dumps(figures))
        return
    first, last = figures["mean_similarity_first_window"], figures["mean_similarity_last_window"]
    click.echo(
        f"{figures['n']} tickets in {figures['seconds']} s, learning "
        f"{'on' if figures['learning'] else 'off'}: mean similarity "
        f"{figures['mean_similarity']:.3f} (first window {first:.3f}, last {last:.3f}), "
        f"{figures['accepted_as_is_rate']:.1%} accepted as is"
    )
    click.echo(_sparkline(figures["curve"]) + "  similarity per window of " + str(window))


def _check_writable(path: Path) -> None:
    """Fail before a long replay, not after it, when its drafts cannot be written."""
    if not path.parent.is_dir():
        raise DeskPilotError(f"{path}: the folder {path.parent} does not exist")
    try:
        path.open("a", encoding="utf-8").close()
    except OSError as error:
        raise DeskPilotError(f"{path}: cannot be written ({error.strerror})") from None


def _sparkline(values: list[float | None], top: float = 1.0) -> str:
    """Values from 0 to ``top`` as block characters; a gap where there is no value."""
    bars = "▁▂▃▄▅▆▇█"
    scale = top or 1.0
    return "".join(
        " " if v is None else bars[min(len(bars) - 1, int(v / scale * len(bars)))] for v in values
    )


# --- learn -----------------------------------------------------------------------------------


@click.command()
@workspace_option
@pass_context
def learn(context: Context) -> None:
    """Learn from the team's work now: index sent replies as exemplars, judge sources by the
    edits their drafts got, retrain the intent classifier after corrections."""
    from deskpilot.feedback.learning import learn as learn_now

    with Desk.open(context.existing_workspace()) as desk:
        click.echo(shown(learn_now(desk)))


# --- stats -----------------------------------------------------------------------------------


@click.command()
@workspace_option
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only tickets created and drafts shown on or after this day (YYYY-MM-DD).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_context
def stats(context: Context, since: datetime | None, as_json: bool) -> None:
    """Support KPIs and edit-feedback statistics, with the signals a lead acts on."""
    from deskpilot.feedback.report import team_report

    with Desk.open(context.existing_workspace()) as desk:
        report = team_report(desk, since.replace(tzinfo=UTC) if since else None)
    if as_json:
        click.echo(json.dumps(report.to_json()))
        return
    _print_stats(report.team, report.signals)


def _print_stats(team: TeamStats, signals: Signals) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    o = team.overall
    console.print(
        f"[b]{o.tickets}[/b] tickets, [b]{o.drafts}[/b] drafts"
        f" · acceptance {percent(o.acceptance_rate)}"
        f" · similarity {decimal(o.mean_similarity)}"
        f" · deflection {percent(o.deflection_rate)} ({team.abandoned} abandoned apart)"
        f" · escalation {percent(o.escalation_rate)} · CSAT {decimal(o.csat, 2)}"
    )
    console.print(
        f"first response {duration(team.first_response_minutes)} · resolution "
        f"{duration(team.resolution_minutes)} (medians)"
    )
    daily = {name: values[-max(10, console.width - 24) :] for name, values in team.daily.items()}
    if daily:
        console.print(
            f"\n[b]Last {len(daily['date'])} days[/b] ({daily['date'][0]} to {daily['date'][-1]})"
        )
        peak = max(daily["tickets"]) or 1
        console.print(f"  tickets     {_sparkline(daily['tickets'], peak)}  peak {peak}")
        console.print(f"  acceptance  {_sparkline(daily['acceptance_rate'])}")
        console.print(f"  similarity  {_sparkline(daily['mean_similarity'])}")
        console.print(
            f"  CSAT        {_sparkline([None if c is None else c - 1 for c in daily['csat']], 4)}"
        )
    table = Table(
        "intent", "tickets", "drafts", "accepted", "sim.", "deflected", "esc.", "CSAT",
        title="By intent",
    )  # fmt: skip
    for name, f in team.by_intent.items():
        table.add_row(
            cell(name),
            str(f.tickets),
            str(f.drafts),
            percent(f.acceptance_rate),
            decimal(f.mean_similarity),
            percent(f.deflection_rate),
            percent(f.escalation_rate),
            decimal(f.csat, 2),
        )
    console.print(table)
    for title, slices in (
        ("By agent", team.by_agent),
        ("By drafter", team.by_drafter),
        ("By prompt version", team.by_prompt_version),
    ):
        if slices:
            table = Table(title.split()[-1], "drafts", "accepted", "similarity", title=title)
            for name, f in slices.items():
                table.add_row(
                    cell(name),
                    str(f.drafts),
                    percent(f.acceptance_rate),
                    decimal(f.mean_similarity),
                )
            console.print(table)
    if team.csat_distribution:
        console.print("[b]CSAT[/b]")
        top = max(team.csat_distribution.values())
        for score, count in team.csat_distribution.items():
            console.print(f"  {score} {'█' * max(1, round(30 * count / top))} {count}")
    # Reasons and classes are stored text: printed as text, after our bold heading.
    if team.escalation_reasons:
        reasons = ", ".join(f"{r} ({n})" for r, n in team.escalation_reasons.items())
        console.print(Text.assemble(("Escalations ", "bold"), cell(reasons)))
    if team.edit_classes:
        edits = ", ".join(f"{c} ({n})" for c, n in team.edit_classes.items())
        console.print(Text.assemble(("Edits ", "bold"), cell(edits)))
    _print_signals(console, signals)


def _print_signals(console: Any, signals: Signals) -> None:
    lines = signals.described()
    console.print("[b]Signals[/b]" if lines else "[b]Signals[/b] none")
    for kind, text in lines:
        console.print(shown(f"  {kind:<6}{text}", one_line=True), markup=False, highlight=False)


# --- export ----------------------------------------------------------------------------------


@click.group("export")
def export_group() -> None:
    """Export what the team's work taught."""


@export_group.command("training")
@workspace_option
@click.option("--format", "kind", type=click.Choice(["chat", "preference"]), required=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@pass_context
def export_training_command(context: Context, kind: Format, output: Path) -> None:
    """Fine-tuning data from sent replies (chat), or draft/final pairs (preference); personal
    details are redacted: emails, phones, cards, IBANs, identity numbers, passwords and keys,
    and the names and companies of the workspace's customers, agents and account owners."""
    import asyncio

    from deskpilot.feedback.export import export_crm_records, export_training

    async def crm_records(desk: Desk) -> dict[str, CrmRecord]:
        try:
            return await export_crm_records(desk.connectors.crm, desk.store)
        finally:
            await desk.aclose_connectors()

    with Desk.open(context.existing_workspace()) as desk:
        records = asyncio.run(crm_records(desk))
        with progress_bar("exporting") as report:
            count = export_training(
                desk.store,
                output,
                kind,
                lambda done, total: report(done, total, ""),
                crm_records=records,
                staff=[desk.agent],
            )
    click.echo(f"{output}: {count} {kind} examples")


# --- autopilot -------------------------------------------------------------------------------


@click.group()
def autopilot() -> None:
    """Graduated autonomy: which intents the desk may answer on its own."""


@autopilot.command("status")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@pass_context
def autopilot_status(context: Context, as_json: bool) -> None:
    """Each intent's level, its evidence, and whether it qualifies to auto-send."""
    from deskpilot.feedback import autopilot as pilot

    with Desk.open(context.existing_workspace()) as desk:
        report = pilot.status(desk)
    if as_json:
        click.echo(json.dumps([a.to_json() for a in report]))
        return
    for a in report:
        level = a.level if a.level == a.effective else f"{a.level}->{a.effective}"
        mark = "yes" if a.qualifies else "no"
        line = (
            f"{a.intent:28} {level:14} reviewed {a.reviewed:4} accepted {percent(a.acceptance):>5} "
            f"auto-sent {a.auto_sent:4} setbacks {a.setbacks:3} qualifies {mark:3} {a.why}"
        )
        click.echo(shown(line, one_line=True))


@autopilot.command("run")
@workspace_option
@pass_context
def autopilot_run(context: Context) -> None:
    """Send the draft for every waiting ticket whose intent qualifies, unless the draft claims
    an action no action record backs or holds a secret: those are held for a human."""
    import asyncio

    from deskpilot.feedback import autopilot as pilot

    async def go(desk: Desk) -> pilot.Run:
        try:
            return await pilot.run_once(desk)
        finally:
            await desk.aclose_connectors()

    with Desk.open(context.existing_workspace()) as desk:
        done = asyncio.run(go(desk))
    sent = done.sent
    click.echo(shown(f"auto-sent {len(sent)} replies" + (f": {', '.join(sent)}" if sent else "")))
    for ticket_id, reasons in done.held:
        click.echo(shown(f"held {ticket_id} for a human: {'; '.join(reasons)}"))


@autopilot.command("reset")
@workspace_option
@click.argument("intent")
@pass_context
def autopilot_reset(context: Context, intent: str) -> None:
    """Lift an automatic demotion of INTENT back to its configured level."""
    from deskpilot.feedback import autopilot as pilot

    with Desk.open(context.existing_workspace()) as desk:
        if not pilot.reset(desk, intent):
            raise DeskPilotError(f"'{intent}' was not demoted")
    click.echo(shown(f"{intent}: back to its configured level"))
