"""The feedback loop from the shell: eval replay, learn, stats, export training, autopilot."""

from __future__ import annotations

import json
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
from deskpilot.feedback.period import DEFAULT_DAYS, parse_period
from deskpilot.feedback.stats import decimal, duration, percent

if TYPE_CHECKING:
    from deskpilot.feedback.export import Format
    from deskpilot.feedback.leads import LeadReport
    from deskpilot.feedback.report import TeamReport
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
    # start-up time: the replay builds a desk and its drafters
    from deskpilot.evaluation.replay import replay
    from deskpilot.feedback.replay_cases import read_replay_file

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
    with Desk.open(context.existing_workspace()) as desk:
        click.echo(shown(desk.learn()))


# --- stats -----------------------------------------------------------------------------------


@click.command()
@workspace_option
@click.option(
    "--since",
    default=None,
    metavar="WHEN",
    help="Tickets created from WHEN: 2026-11-01, 2026-11-01T09:00, 7d, 12h, 2w, today, "
    f"yesterday, or 'all' (default: the last {DEFAULT_DAYS} days; UTC).",
)
@click.option(
    "--until",
    default=None,
    metavar="WHEN",
    help="...and before WHEN (same forms; a bare date includes that day; default: now).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="Print every figure as CSV rows: report, slice, name, measure, value.",
)
@pass_context
def stats(
    context: Context, since: str | None, until: str | None, as_json: bool, as_csv: bool
) -> None:
    """Support KPIs for leads (SLA attainment and breaches, backlog, response and resolution
    times, reopens, one-touch resolution, per-agent work for leads) and the co-pilot's
    edit-feedback statistics, with the signals a lead acts on."""
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    with Desk.open(context.existing_workspace()) as desk:
        period = parse_period(since, until, desk.clock())
        report = desk.team_report(period.since, period.until)
    if as_json:
        click.echo(json.dumps(report.to_json()))
        return
    if as_csv:
        _print_csv(report)
        return
    _print_stats(report.team, report.signals, report)


def _print_csv(report: TeamReport) -> None:
    import csv
    import sys

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["report", "slice", "name", "measure", "value"])
    for row in csv_rows(report):
        writer.writerow([shown(value, one_line=True) for value in row])


def csv_rows(report: TeamReport) -> list[tuple[str, str, str, str, object]]:
    """Every figure of the report as one long table a spreadsheet pivots."""
    rows: list[tuple[str, str, str, str, object]] = []
    period = report.period
    rows.append(("period", "", "", "since", period.since.isoformat() if period.since else ""))
    rows.append(("period", "", "", "until", period.until.isoformat() if period.until else ""))
    for name, value in report.team.overall.to_json().items():
        rows.append(("team", "", "", name, _csv_value(value)))
    leads = report.leads
    for kind, table in (("first_response", leads.first_response_sla),
                        ("resolution", leads.resolution_sla)):  # fmt: skip
        for priority, tally in table.items():
            for measure, value in tally.to_json().items():
                rows.append((f"sla_{kind}", "priority", priority, measure, _csv_value(value)))
    for kind, slices in (("first_response_minutes", leads.first_response),
                         ("resolution_minutes", leads.resolution)):  # fmt: skip
        for slice_name, values in slices.items():
            for name, times in values.items():
                for measure, value in times.to_json().items():
                    rows.append((kind, slice_name, name, measure, _csv_value(value)))
    for measure, value in (("resolved", leads.resolved), ("reopened", leads.reopened),
                           ("reopen_rate", leads.reopen_rate), ("one_touch", leads.one_touch),
                           ("one_touch_rate", leads.one_touch_rate)):  # fmt: skip
        rows.append(("resolution_quality", "", "", measure, _csv_value(value)))
    for n, day in enumerate(leads.backlog.get("date", [])):
        for status, series in leads.backlog.items():
            if status != "date":
                rows.append(("backlog", "date", day, status, series[n]))
    for breach in leads.breaches:
        rows.append(("breach", breach.kind, breach.ticket_id, "waited_minutes",
                     round(breach.waited_minutes, 1)))  # fmt: skip
    for name, figures in report.team.by_intent.items():
        for measure, value in figures.to_json().items():
            rows.append(("copilot", "intent", name, measure, _csv_value(value)))
    if report.team.by_agent is not None:
        for name, figures in report.team.by_agent.items():
            for measure, value in figures.to_json().items():
                rows.append(("copilot", "agent", name, measure, _csv_value(value)))
    if leads.by_agent is not None:
        for name, work in leads.by_agent.items():
            for measure, value in work.to_json().items():
                rows.append(("agent_work", "agent", name, measure, _csv_value(value)))
    quality = report.qa
    rows.append(("qa", "", "", "scored", quality.scored))
    rows.append(("qa", "", "", "mean", _csv_value(quality.mean)))
    for criterion, mean in quality.criteria.items():
        rows.append(("qa", "criterion", criterion, "mean", _csv_value(mean)))
    for slice_name, means in (("intent", quality.by_intent), ("agent", quality.by_agent or {})):
        for name, (count, mean) in means.items():
            rows.append(("qa", slice_name, name, "tickets", count))
            rows.append(("qa", slice_name, name, "mean", _csv_value(mean)))
    return rows


def _csv_value(value: object) -> object:
    if isinstance(value, float):
        return round(value, 4)
    return "" if value is None else value


def _print_stats(team: TeamStats, signals: Signals, report: TeamReport) -> None:
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
        f"{duration(team.resolution_minutes)} (medians) · {report.period.describe()}"
    )
    _print_lead_report(console, report.leads)
    if report.qa.scored:
        console.print(
            f"QA {decimal(report.qa.mean, 1)} of 100 over {report.qa.scored} solved "
            "conversations (deskpilot qa: per intent, per agent, the worst to review)"
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
        ("By draft confidence", team.by_draft_confidence),
    ):
        if slices:
            table = Table(title.split()[-1], "tickets", "drafts", "accepted", "similarity",
                          "deflected", "esc.", title=title)  # fmt: skip
            for name, f in slices.items():
                table.add_row(
                    cell(name), str(f.tickets), str(f.drafts), percent(f.acceptance_rate),
                    decimal(f.mean_similarity), percent(f.deflection_rate),
                    percent(f.escalation_rate),
                )  # fmt: skip
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


def _print_lead_report(console: Any, leads: LeadReport) -> None:
    from rich.table import Table
    from rich.text import Text

    clock = "business hours" if leads.business_hours else "around the clock"
    first, solved = leads.first_response_sla, leads.resolution_sla
    console.print(
        f"\n[b]SLA[/b] ({clock}) first response {percent(first['all'].rate)} met, "
        f"{first['all'].breached} breached · resolution {percent(solved['all'].rate)} met, "
        f"{solved['all'].breached} breached"
    )
    console.print(
        f"reopened {percent(leads.reopen_rate)} ({leads.reopened} of {leads.resolved}) · "
        f"one-touch {percent(leads.one_touch_rate)} "
        f"({leads.one_touch} of {leads.answered_resolved})"
    )
    if leads.backlog:
        days = len(leads.backlog["date"])
        console.print(f"[b]Backlog[/b] at each day's end, last {days} days")
        for status in ("new", "open", "pending", "escalated"):
            values = leads.backlog[status]
            peak = max(values) or 1
            console.print(
                f"  {status:<10}{_sparkline(values[-60:], peak)}  last {values[-1]}, peak {peak}"
            )
    table = Table("", "SLA 1st", "SLA res.", "1st median", "1st p90", "res. median",
                  "res. p90", title="By priority")  # fmt: skip
    for priority in ("urgent", "high", "normal", "low"):
        fr = leads.first_response["priority"].get(priority)
        rs = leads.resolution["priority"].get(priority)
        table.add_row(
            priority, percent(first[priority].rate), percent(solved[priority].rate),
            duration(fr.median if fr else None), duration(fr.p90 if fr else None),
            duration(rs.median if rs else None), duration(rs.p90 if rs else None),
        )  # fmt: skip
    console.print(table)
    for slice_name in ("channel", "tier"):
        table = Table(slice_name, "tickets", "1st median", "1st p90", "res. median", "res. p90",
                      title=f"By {slice_name}")  # fmt: skip
        names = dict.fromkeys([*leads.first_response[slice_name], *leads.resolution[slice_name]])
        for name in names:
            fr = leads.first_response[slice_name].get(name)
            rs = leads.resolution[slice_name].get(name)
            table.add_row(
                cell(name), str(fr.count if fr else 0),
                duration(fr.median if fr else None), duration(fr.p90 if fr else None),
                duration(rs.median if rs else None), duration(rs.p90 if rs else None),
            )  # fmt: skip
        console.print(table)
    if leads.breaches:
        console.print(Text("Breaches (most overdue first)", style="bold"))
        for breach in leads.breaches[:10]:
            state = "still waiting" if breach.running else "late"
            line = (
                f"  {breach.ticket_id} {breach.priority} {breach.kind}: "
                f"{duration(breach.waited_minutes)} of {duration(breach.target_minutes)}, {state}"
            )
            console.print(shown(line, one_line=True), markup=False, highlight=False)
    if leads.by_agent is not None:
        table = Table("agent", "replies", "tickets", "solved", "handle", "CSAT", "QA",
                      title="Agent work")  # fmt: skip
        for name, work in leads.by_agent.items():
            table.add_row(
                cell(name), str(work.replies), str(work.tickets), str(work.solved),
                duration(work.handle_minutes), decimal(work.csat, 2), decimal(work.qa, 0),
            )  # fmt: skip
        console.print(table)


def _print_signals(console: Any, signals: Signals) -> None:
    lines = signals.described()
    console.print("[b]Signals[/b]" if lines else "[b]Signals[/b] none")
    for kind, text in lines:
        console.print(shown(f"  {kind:<6}{text}", one_line=True), markup=False, highlight=False)


# --- qa --------------------------------------------------------------------------------------


@click.command("qa")
@workspace_option
@click.option("--worst", type=click.IntRange(min=0), default=10, show_default=True,
              help="List this many of the lowest-scored conversations to review.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_context
def qa_command(context: Context, worst: int, as_json: bool) -> None:
    """Conversation quality: every solved ticket scored 0-100 over the rubric (answered,
    accuracy against the records, tone, policy, resolution; docs/qa-rubric.md), per intent,
    per agent for leads, and the worst ones to review."""
    # start-up time: only this command
    from deskpilot.feedback.qa import qa_report
    from deskpilot.feedback.qa_rubric import CRITERIA

    with Desk.open(context.existing_workspace()) as desk:
        desk.score_solved()  # the model's opinion too, with an [llm] endpoint
        report = qa_report(
            desk.qa_scores(), per_agent=desk.settings.can_see_per_agent_stats(), worst=worst
        )
    if as_json:
        click.echo(json.dumps(report.to_json()))
        return
    click.echo(
        f"{report.scored} solved conversations scored · mean {decimal(report.mean, 1)} of 100 · "
        + " · ".join(f"{name} {decimal(report.criteria.get(name), 1)}/20" for name in CRITERIA)
    )
    groups = [("intent", report.by_intent)]
    if report.by_agent is not None:
        groups.append(("agent", report.by_agent))
    for title, table in groups:
        click.echo(f"\nBy {title}")
        for name, (count, mean) in table.items():
            click.echo(shown(f"  {name:<28} {mean:5.1f}  ({count} tickets)", one_line=True))
    if report.worst:
        click.echo("\nWorst to review")
    for score in report.worst:
        who = f" · {score.agent}" if report.by_agent is not None and score.agent else ""
        line = f"  {score.ticket_id} {score.score:3} · {score.intent}{who}"
        click.echo(shown(line, one_line=True))
        for reason in score.reasons:
            click.echo(shown(f"      {reason}", one_line=True))
        if score.reasoning:
            click.echo(shown(f"      {score.scorer}: {score.reasoning}", one_line=True))


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

    async def crm_records(desk: Desk) -> dict[str, CrmRecord]:
        try:
            return await desk.export_crm_records()
        finally:
            await desk.aclose_connectors()

    with Desk.open(context.existing_workspace()) as desk:
        records = asyncio.run(crm_records(desk))
        with progress_bar("exporting") as report:
            count = desk.export_training(
                output, kind, lambda done, total: report(done, total, ""), crm_records=records
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
    with Desk.open(context.existing_workspace()) as desk:
        report = desk.autopilot_status()
    if as_json:
        click.echo(json.dumps([a.to_json() for a in report]))
        return
    for a in report:
        level = a.level if a.level == a.effective else f"{a.level}->{a.effective}"
        mark = "yes" if a.qualifies else "no"
        to_go = "" if a.drafts_to_go is None else f", {a.drafts_to_go} drafts to go"
        line = (
            f"{a.intent:28} {level:14} reviewed {a.reviewed:4} accepted {percent(a.acceptance):>5}"
            f" of {percent(a.acceptance_needed)} needed auto-sent {a.auto_sent:4} "
            f"setbacks {a.setbacks:3} qualifies {mark:3} {a.why}{to_go}"
        )
        click.echo(shown(line, one_line=True))


@autopilot.command("run")
@workspace_option
@pass_context
def autopilot_run(context: Context) -> None:
    """Send the draft for every waiting ticket whose intent qualifies, unless the draft claims
    an action no action record backs or holds a secret: those are held for a human."""
    import asyncio

    from deskpilot.feedback.autopilot import Run  # start-up time: only this command

    async def go(desk: Desk) -> Run:
        try:
            return await desk.run_autopilot()
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
    with Desk.open(context.existing_workspace()) as desk:
        if not desk.reset_autopilot(intent):
            raise DeskPilotError(f"'{intent}' was not demoted")
    click.echo(shown(f"{intent}: back to its configured level"))
