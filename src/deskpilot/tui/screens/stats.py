"""Team statistics for leads: KPIs, trends drawn as sparklines, service levels with bars, the
backlog over time, response and resolution times, figures by intent (and by agent, for
leads), and the signals to act on. Computed off the UI thread, over the same default period
as ``deskpilot stats``."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Sparkline, Static

from deskpilot.desk import Desk
from deskpilot.feedback.leads import AgentWork, LeadReport
from deskpilot.feedback.period import DEFAULT_DAYS
from deskpilot.feedback.qa import QaReport
from deskpilot.feedback.report import TeamReport
from deskpilot.feedback.signals import Signals
from deskpilot.feedback.stats import Figures, decimal, duration, percent
from deskpilot.tui import outside
from deskpilot.tui.messages import StatsComputed
from deskpilot.tui.workers import desk_work

PERIODS: tuple[tuple[str, int | None], ...] = (
    (f"last {DEFAULT_DAYS} days", DEFAULT_DAYS),  # the CLI's default period too
    ("last 7 days", 7),
    ("last 90 days", 90),
    ("all time", None),
)
TRENDS = (
    ("tickets", "Tickets/day"),
    ("acceptance_rate", "As drafted"),
    ("mean_similarity", "Similarity"),
    ("csat", "CSAT"),
)

BACKLOG = (("new", "New"), ("open", "Open"), ("pending", "Pending"), ("escalated", "Escalated"))
TIME_COLUMNS = (
    ("", 22), ("tickets", 8), ("1st reply median", 16), ("1st reply p90", 13),
    ("resolution median", 17), ("resolution p90", 14),
)  # fmt: skip
WORK_COLUMNS = (
    ("", 22), ("replies", 8), ("tickets", 8), ("solved", 7), ("handle", 8), ("CSAT", 5),
    ("QA", 4),
)  # fmt: skip
COLUMNS = (
    ("", 22), ("tickets", 8), ("drafts", 7), ("sent as drafted", 15), ("similarity", 10),
    ("deflected", 9), ("escalated", 9), ("CSAT", 5),
)  # fmt: skip


class StatsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back-from-stats"),
        Binding("p", "next_period", "Period", id="stats-period"),
    ]
    DEFAULT_CSS = """
    StatsScreen #headline { height: auto; padding: 0 1; background: $boost; }
    StatsScreen #trends { grid-size: 4; grid-gutter: 0 2; height: 4; padding: 0 1; }
    StatsScreen .trend Label { color: $text-muted; }
    StatsScreen .trend Sparkline { height: 3; }
    StatsScreen .section { text-style: bold; padding: 1 1 0 1; }
    StatsScreen DataTable { height: auto; max-height: 16; margin: 0 1; }
    StatsScreen #signals { padding: 0 1 1 1; }
    StatsScreen #backlog { grid-size: 4; grid-gutter: 0 2; height: 4; padding: 0 1; }
    StatsScreen #service, StatsScreen #breaches, StatsScreen #quality {
        height: auto; padding: 0 1;
    }
    """

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.period = 0

    def compose(self) -> ComposeResult:
        yield Static("Computing…", id="headline")
        with VerticalScroll():
            with Grid(id="trends"):
                for key, title in TRENDS:
                    with Vertical(classes="trend"):
                        yield Label(title, id=f"trend-{key}-label")
                        yield Sparkline([], id=f"trend-{key}")
            yield Label("Service levels", classes="section")
            yield Static("", id="service")
            yield Label("Backlog at each day's end", classes="section")
            with Grid(id="backlog"):
                for key, title in BACKLOG:
                    with Vertical(classes="trend"):
                        yield Label(title, id=f"backlog-{key}-label")
                        yield Sparkline([], id=f"backlog-{key}")
            yield Label("Response and resolution times", classes="section")
            yield DataTable(id="times", cursor_type="row", zebra_stripes=True)
            yield Label("Breaches", classes="section")
            yield Static("", id="breaches")
            yield Label("Conversation quality", classes="section")
            yield Static("", id="quality")
            yield Label("By intent", classes="section")
            yield DataTable(id="by-intent", cursor_type="row", zebra_stripes=True)
            yield Label("By agent", classes="section", id="by-agent-label")
            yield DataTable(id="by-agent", cursor_type="row", zebra_stripes=True)
            yield Label("Agent work", classes="section", id="agent-work-label")
            yield DataTable(id="agent-work", cursor_type="row", zebra_stripes=True)
            yield Label("Signals", classes="section")
            yield Static("", id="signals")
        yield Footer()

    def on_mount(self) -> None:
        # Fixed widths: the table does not jump about as the figures arrive.
        tables = (
            ("#by-intent", COLUMNS),
            ("#by-agent", COLUMNS),
            ("#times", TIME_COLUMNS),
            ("#agent-work", WORK_COLUMNS),
        )
        for table_id, columns in tables:
            table = self.query_one(table_id, DataTable)
            for title, width in columns:
                table.add_column(title, width=width)
        self.refresh_figures()

    def action_next_period(self) -> None:
        self.period = (self.period + 1) % len(PERIODS)
        self.refresh_figures()

    def refresh_figures(self) -> None:
        self.query_one("#headline", Static).update(
            outside.text(f"Computing ({PERIODS[self.period][0]})…")
        )
        self._compute(PERIODS[self.period][1])

    @desk_work(thread=True, exclusive=True, group="stats")
    def _compute(self, days: int | None) -> None:
        since = self.desk.clock() - timedelta(days=days) if days else None
        self.post_message(StatsComputed(self.desk.team_report(since)))

    def on_stats_computed(self, message: StatsComputed) -> None:
        self._show(message.report)

    def _show(self, report: TeamReport) -> None:
        team, now = report.team, report.now
        o = team.overall
        figures = (
            f" · {PERIODS[self.period][0]} to {now:%Y-%m-%d} · p: period\n"
            f"{o.tickets:,} tickets · {o.drafts:,} drafts"
            f" · sent as drafted {percent(o.acceptance_rate)}"
            f" · similarity {decimal(o.mean_similarity)}"
            f" · deflection {percent(o.deflection_rate)}"
            f" · escalation {percent(o.escalation_rate)} · CSAT {decimal(o.csat, 2)}\n"
            f"first response {duration(team.first_response_minutes)}"
            f" · resolution {duration(team.resolution_minutes)} (medians)"
            f" · {team.abandoned} abandoned, kept apart from deflection"
        )
        self.query_one("#headline", Static).update(
            Content.assemble(("Team stats", "bold"), outside.text(figures))
        )
        for key, title in TRENDS:
            values = [v for v in team.daily.get(key, []) if v is not None]
            self.query_one(f"#trend-{key}", Sparkline).data = values or [0]
            latest = f" {round(values[-1], 2):g}" if values else ""
            self.query_one(f"#trend-{key}-label", Label).update(outside.text(f"{title}{latest}"))
        self._show_leads(report.leads)
        self.query_one("#quality", Static).update(_quality_lines(report.qa))
        _fill(self.query_one("#by-intent", DataTable), team.by_intent)
        by_agent = self.query_one("#by-agent", DataTable)
        label = self.query_one("#by-agent-label", Label)
        work = self.query_one("#agent-work", DataTable)
        work_label = self.query_one("#agent-work-label", Label)
        if team.by_agent is None or report.leads.by_agent is None:
            by_agent.display = work.display = work_label.display = False
            label.update('By agent · for leads (role = "lead" in config.toml)')
        else:
            by_agent.display = work.display = work_label.display = True
            _fill(by_agent, team.by_agent)
            _fill_work(work, report.leads.by_agent)
        self.query_one("#signals", Static).update(_signal_lines(report.signals))

    def _show_leads(self, leads: LeadReport) -> None:
        self.query_one("#service", Static).update(_service_lines(leads))
        for key, title in BACKLOG:
            values = leads.backlog.get(key, [])
            self.query_one(f"#backlog-{key}", Sparkline).data = values or [0]
            now = f" {values[-1]}" if values else ""
            self.query_one(f"#backlog-{key}-label", Label).update(Content(f"{title}{now}"))
        table = self.query_one("#times", DataTable)
        table.clear()
        for slice_name in ("priority", "channel", "tier"):
            first, solved = leads.first_response[slice_name], leads.resolution[slice_name]
            for name in dict.fromkeys([*first, *solved]):
                fr, rs = first.get(name), solved.get(name)
                table.add_row(
                    Text(outside.plain(f"{slice_name}: {name}", one_line=True)),
                    f"{fr.count if fr else 0:,}",
                    duration(fr.median if fr else None), duration(fr.p90 if fr else None),
                    duration(rs.median if rs else None), duration(rs.p90 if rs else None),
                )  # fmt: skip
        breaches = [
            outside.text(
                f"{b.ticket_id} {b.priority} {b.kind}: {duration(b.waited_minutes)} of "
                f"{duration(b.target_minutes)}" + (", still waiting" if b.running else ""),
                one_line=True,
            )
            for b in leads.breaches[:8]
        ]
        self.query_one("#breaches", Static).update(
            outside.lines(breaches) if breaches else Content("None.")
        )


def _service_lines(leads: LeadReport) -> Content:
    """Attainment per priority as bars, first response and resolution side by side."""
    clock = "business hours" if leads.business_hours else "around the clock"
    lines: list[Content | str] = [f"Targets met ({clock})    first response        resolution"]
    for key in ("urgent", "high", "normal", "low", "all"):
        first, solved = leads.first_response_sla[key], leads.resolution_sla[key]
        lines.append(
            f"  {key:<22}{_bar(first.rate)} {first.breached:>3} late"
            f"  {_bar(solved.rate)} {solved.breached:>3} late"
        )
    lines.append(
        f"Reopened {percent(leads.reopen_rate)} ({leads.reopened} of {leads.resolved} resolved)"
        f" · one-touch {percent(leads.one_touch_rate)}"
        f" ({leads.one_touch} of {leads.answered_resolved})"
    )
    return outside.lines(lines)


def _quality_lines(qa: QaReport) -> Content:
    """QA over the rubric: the mean, each criterion as a bar, intents, and the worst to review
    (intents, agents and reasons are stored text: shown as written)."""
    if not qa.scored:
        return Content("No solved conversations in this period.")
    lines: list[Content | str] = [
        f"{qa.scored:,} solved conversations · mean {decimal(qa.mean, 1)} of 100"
        + " · ".join([""] + [f"{k} {v:.1f}/20" for k, v in qa.criteria.items()])
    ]
    worst_intents = sorted(qa.by_intent.items(), key=lambda item: item[1][1])[:4]
    lines.append(
        outside.text(
            "Lowest intents: "
            + ", ".join(f"{name} {mean:.0f} ({n})" for name, (n, mean) in worst_intents),
            one_line=True,
        )
    )
    lines.append("Worst to review (deskpilot qa):")
    for score in qa.worst:
        who = f" · {score.agent}" if qa.by_agent is not None and score.agent else ""
        reasons = "; ".join(score.reasons) or "-"
        lines.append(
            outside.text(
                f"  {score.ticket_id} {score.score:3} · {score.intent}{who} · {reasons}",
                one_line=True,
            )
        )
    return outside.lines(lines)


def _fill_work(table: DataTable[str | Text], work: dict[str, AgentWork]) -> None:
    table.clear()
    for name, w in work.items():
        table.add_row(
            Text(outside.plain(name, one_line=True)), f"{w.replies:,}", f"{w.tickets:,}",
            f"{w.solved:,}", duration(w.handle_minutes), decimal(w.csat, 2), decimal(w.qa, 0),
        )  # fmt: skip


def _fill(table: DataTable[str | Text], slices: dict[str, Figures]) -> None:
    table.clear()
    for name, f in slices.items():
        # An intent or agent name as stored: a Rich Text cell (a str cell is read as markup).
        table.add_row(
            Text(outside.plain(name, one_line=True)), f"{f.tickets:,}", f"{f.drafts:,}",
            _bar(f.acceptance_rate),
            decimal(f.mean_similarity), percent(f.deflection_rate), percent(f.escalation_rate),
            decimal(f.csat, 2),
        )  # fmt: skip


SIGNAL_STYLE = {"spike": "$warning", "page": "$accent", "gap": "$error", "edit": "$secondary"}


def _signal_lines(signals: Signals) -> Content:
    """Each signal in its kind's colour; its text (which quotes intents, pages and edits from
    outside) shown as written."""
    lines = [
        Content.assemble((f"{kind:<6}", SIGNAL_STYLE[kind]), outside.text(text))
        for kind, text in signals.described()
    ]
    return outside.lines(lines) if lines else Content("Nothing unusual.")


def _bar(share: float | None, width: int = 10) -> str:
    if share is None:
        return "-".ljust(width + 5)
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled) + f" {share:.0%}"
