"""Team statistics for leads: the place and the key; the feedback loop fills the figures."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from deskpilot.desk import Desk
from deskpilot.models import Status


class StatsScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="back-from-stats")]
    DEFAULT_CSS = """
    StatsScreen Static { padding: 1 2; }
    """

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk

    def compose(self) -> ComposeResult:
        counts = self.desk.store.count_by_status()
        width = max(counts.values(), default=1)
        lines = ["[b]Tickets by status[/b]", ""]
        for status in Status:
            count = counts.get(status, 0)
            bar = "█" * round(40 * count / width) if width else ""
            lines.append(f"{status.value:<10} {count:>7,}  [$accent]{bar}[/]")
        lines += [
            "",
            "[dim]Edit-feedback figures (acceptance, edit distance, deflection, CSAT per intent)",
            "appear here once agents' edits are being recorded.[/dim]",
        ]
        yield Static("\n".join(lines))
        yield Footer()
