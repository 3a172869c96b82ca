"""Team statistics for leads: KPIs, trends drawn as sparklines, figures by intent (and by
agent, for leads), and the signals to act on. Computed off the UI thread."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Sparkline, Static

from deskpilot.desk import Desk
from deskpilot.feedback.report import TeamReport, team_report
from deskpilot.feedback.signals import Signals
from deskpilot.feedback.stats import Figures, decimal, duration, percent
from deskpilot.tui import outside

PERIODS: tuple[tuple[str, int | None], ...] = (
    ("last 30 days", 30),
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
            yield Label("By intent", classes="section")
            yield DataTable(id="by-intent", cursor_type="row", zebra_stripes=True)
            yield Label("By agent", classes="section", id="by-agent-label")
            yield DataTable(id="by-agent", cursor_type="row", zebra_stripes=True)
            yield Label("Signals", classes="section")
            yield Static("", id="signals")
        yield Footer()

    def on_mount(self) -> None:
        # Fixed widths: the table does not jump about as the figures arrive.
        for table in self.query(DataTable):
            for title, width in COLUMNS:
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

    @work(thread=True, exclusive=True, group="stats")
    def _compute(self, days: int | None) -> None:
        since = self.desk.clock() - timedelta(days=days) if days else None
        self.app.call_from_thread(self._show, team_report(self.desk, since))

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
        _fill(self.query_one("#by-intent", DataTable), team.by_intent)
        by_agent = self.query_one("#by-agent", DataTable)
        label = self.query_one("#by-agent-label", Label)
        if team.by_agent is None:
            by_agent.display = False
            label.update('By agent · for leads (role = "lead" in config.toml)')
        else:
            by_agent.display = True
            _fill(by_agent, team.by_agent)
        self.query_one("#signals", Static).update(_signal_lines(report.signals))


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
        return "-"
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled) + f" {share:.0%}"
