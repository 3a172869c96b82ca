"""The filter dialog: narrow the current view by status, intent, priority and agent."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from deskpilot.desk import Desk
from deskpilot.models import OPEN_STATUSES, Priority, Status
from deskpilot.queue.views import QueueView
from deskpilot.tui import outside
from deskpilot.understand.datasets import OUT_OF_SCOPE

ALL_OPEN = "open"
ANY = "any"


class FilterScreen(ModalScreen[QueueView | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]
    DEFAULT_CSS = """
    FilterScreen { align: center middle; }
    FilterScreen > Vertical {
        width: 64; height: auto; padding: 1 2; border: thick $accent; background: $surface;
    }
    FilterScreen Grid { grid-size: 2; grid-columns: 12 1fr; grid-rows: 3; height: auto; }
    FilterScreen Label { padding: 1 0; }
    FilterScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    FilterScreen Button { margin-left: 1; }
    """

    def __init__(self, view: QueueView, desk: Desk) -> None:
        super().__init__()
        self.view = view
        self.desk = desk

    def compose(self) -> ComposeResult:
        where = self.view.where
        statuses = where.statuses or frozenset()
        status_value = (
            ALL_OPEN
            if statuses == OPEN_STATUSES
            else next(iter(statuses)).value
            if len(statuses) == 1
            else ANY
        )
        with Vertical():
            yield Label(outside.markup("[b]Filter[/b] $title", title=self.view.title))
            with Grid():
                yield Label("Status")
                yield Select(
                    [("all open", ALL_OPEN), ("any", ANY)] + [(s.value, s.value) for s in Status],
                    value=status_value,
                    allow_blank=False,
                    id="status",
                )
                yield Label("Intent")
                yield Select(
                    [
                        (outside.text(name, one_line=True), name)
                        for name in _intent_choices(self.desk)
                    ],
                    value=where.intent or Select.NULL,
                    prompt="any intent",
                    id="intent",
                )
                yield Label("Priority")
                yield Select(
                    [(p.value, p.value) for p in Priority],
                    value=where.priority.value if where.priority else Select.NULL,
                    prompt="any priority",
                    id="priority",
                )
                yield Label("Agent")
                yield Input(where.assignee or "", placeholder="any agent", id="assignee")
            with Horizontal():
                yield Button("Clear", id="clear")
                yield Button("Apply", variant="primary", id="apply")

    @on(Button.Pressed, "#apply")
    @on(Input.Submitted)
    def apply(self) -> None:
        status = self.query_one("#status", Select).value
        intent = self.query_one("#intent", Select).value
        priority = self.query_one("#priority", Select).value
        assignee = self.query_one("#assignee", Input).value.strip()
        statuses = (
            OPEN_STATUSES
            if status == ALL_OPEN
            else None
            if status == ANY
            else frozenset({Status(str(status))})
        )
        self.dismiss(
            self.view.filtered(
                statuses=statuses,
                intent=None if intent is Select.NULL else str(intent),
                priority=None if priority is Select.NULL else Priority(str(priority)),
                assignee=assignee or None,
            )
        )

    @on(Button.Pressed, "#clear")
    def clear(self) -> None:
        self.dismiss(
            self.view.filtered(statuses=OPEN_STATUSES, intent=None, priority=None, assignee=None)
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


def _intent_choices(desk: Desk) -> list[str]:
    """The taxonomy's intents and ``out_of_scope``, which triage gives tickets no intent fits
    (a workspace's own intents.toml may not list it)."""
    names = list(desk.taxonomy())
    return names if OUT_OF_SCOPE in names else [*names, OUT_OF_SCOPE]
