"""Dialogs for snoozing and merging a ticket: when it should come back (read as the agent
types, with the moment it means shown before anything happens), and which ticket a duplicate
goes into (the likely duplicates offered first).

The dialogs only ask; the ticket screen calls the desk with the answer. What a time means is
read by the function the screen hands in (``Desk``'s reading, in the team's time zone), so the
preview and the snooze always agree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from deskpilot.errors import DeskPilotError
from deskpilot.queue.merge import Duplicate
from deskpilot.tui import outside
from deskpilot.tui.screens.modals import MODAL_CSS

WhenReader = Callable[[str], datetime]
QUICK = ("2h", "tomorrow 9:00", "monday")


class SnoozeScreen(ModalScreen[datetime | None]):
    """When should the ticket come back? Returns the moment, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-snooze")]
    DEFAULT_CSS = MODAL_CSS.format(name="SnoozeScreen") + (
        "SnoozeScreen #snooze-heading { height: auto; margin-bottom: 1; }"
        "SnoozeScreen #when-preview { height: auto; margin: 1 0 0 0; }"
        "SnoozeScreen #quick { height: auto; }"
        "SnoozeScreen #quick Button { min-width: 10; margin-right: 1; }"
    )

    def __init__(self, ticket_id: str, read_when: WhenReader) -> None:
        super().__init__()
        self.ticket_id, self.read_when = ticket_id, read_when
        self.moment: datetime | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                outside.markup(
                    "[b]Snooze $id[/b] · out of the views until then, or until the customer writes",
                    id=self.ticket_id,
                ),
                id="snooze-heading",
            )
            yield Input(placeholder="When: 2h, tomorrow 9:00, monday, 2026-12-07T09:00", id="when")
            with Horizontal(id="quick"):
                for number, said in enumerate(QUICK):
                    yield Button(said, id=f"quick-{number}")
            yield Static("", id="when-preview")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Snooze", variant="primary", id="snooze", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#when", Input).focus()

    @on(Input.Changed, "#when")
    def preview(self, event: Input.Changed) -> None:
        shown = self.query_one("#when-preview", Static)
        self.moment = None
        if event.value.strip():
            try:
                self.moment = self.read_when(event.value)
            except DeskPilotError as error:
                shown.update(outside.markup("[$error]$problem[/]", problem=str(error)))
            else:
                shown.update(
                    outside.markup(
                        "Comes back [b]$when[/b]", when=f"{self.moment:%a %d %b %Y %H:%M} UTC"
                    )
                )
        else:
            shown.update("")
        self.query_one("#snooze", Button).disabled = self.moment is None

    @on(Button.Pressed, "#quick Button")
    def quick(self, event: Button.Pressed) -> None:
        field = self.query_one("#when", Input)
        field.value = str(event.button.label)
        field.focus()

    @on(Input.Submitted, "#when")
    @on(Button.Pressed, "#snooze")
    def snooze(self) -> None:
        if self.moment is not None:
            self.dismiss(self.moment)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class MergeScreen(ModalScreen[str | None]):
    """Which ticket this one merges into; returns its id, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-merge")]
    DEFAULT_CSS = MODAL_CSS.format(name="MergeScreen") + (
        "MergeScreen OptionList { height: auto; max-height: 6; margin-bottom: 1; }"
        "MergeScreen #merge-note { height: auto; margin-bottom: 1; }"
    )

    def __init__(self, ticket_id: str, duplicates: list[Duplicate]) -> None:
        super().__init__()
        self.ticket_id, self.duplicates = ticket_id, duplicates

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(outside.markup("[b]Merge $id into another ticket[/b]", id=self.ticket_id))
            yield Static(
                outside.markup(
                    "Its messages move into that ticket in time order; $id is closed with a "
                    "note linking to it.",
                    id=self.ticket_id,
                ),
                id="merge-note",
            )
            if self.duplicates:
                yield OptionList(
                    *(
                        Option(
                            outside.text(f"{d.describe()} · {d.subject}", one_line=True),
                            id=d.ticket_id,
                        )
                        for d in self.duplicates
                    ),
                    id="duplicates",
                )
            else:
                yield Static("No likely duplicate found: type the ticket's id.", id="no-duplicates")
            yield Input(
                value=self.duplicates[0].ticket_id if self.duplicates else "",
                placeholder="Merge into ticket id, e.g. T-000123",
                id="target",
            )
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Merge", variant="warning", id="merge")

    def on_mount(self) -> None:
        self.query_one("#target", Input).focus()

    @on(OptionList.OptionHighlighted, "#duplicates")
    @on(OptionList.OptionSelected, "#duplicates")
    def pick(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.query_one("#target", Input).value = event.option.id

    @on(Input.Submitted, "#target")
    @on(Button.Pressed, "#merge")
    def merge(self) -> None:
        target = self.query_one("#target", Input).value.strip()
        if target:
            self.dismiss(target)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
