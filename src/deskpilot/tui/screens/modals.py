"""Small dialogs for one-key actions: note, intent, macro, the reason for an edit.
Each returns its result or None."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Select, TextArea
from textual.widgets.option_list import Option

from deskpilot.tui import outside

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 80%; max-width: 100; height: auto; max-height: 90%;
    padding: 1 2; border: thick $accent; background: $surface;
}}
{name} Horizontal {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 1; }}
"""


class NoteScreen(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel-note"),
        Binding("ctrl+s", "save", "Save note", id="save-note"),
    ]
    DEFAULT_CSS = MODAL_CSS.format(name="NoteScreen") + "NoteScreen TextArea { height: 8; }"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Internal note[/b] (never shown to the customer) · ctrl+s saves")
            yield TextArea(id="note")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save note", variant="primary", id="save")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        self.dismiss(text or None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class IntentScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-intent")]
    DEFAULT_CSS = MODAL_CSS.format(name="IntentScreen")

    def __init__(self, intents: list[str], current: str | None) -> None:
        super().__init__()
        self.intents = intents
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Correct the intent[/b] · the classifier learns from it")
            yield Select(
                [(outside.text(name, one_line=True), name) for name in self.intents],
                value=self.current if self.current in self.intents else Select.NULL,
                id="intent",
            )
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Set intent", variant="primary", id="set")

    def on_mount(self) -> None:
        self.query_one(Select).focus()

    @on(Button.Pressed, "#set")
    def set_intent(self) -> None:
        value = self.query_one(Select).value
        self.dismiss(None if value is Select.NULL else str(value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonScreen(ModalScreen[str | None]):
    """Why the draft was not good enough: one key, stored with the edit event; esc skips."""

    BINDINGS = [Binding("escape", "skip", "Skip", id="skip-reason")]
    DEFAULT_CSS = MODAL_CSS.format(name="ReasonScreen")

    def __init__(self, heading: str, reasons: list[str]) -> None:
        super().__init__()
        self.heading = heading
        self.reasons = reasons

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                outside.markup(
                    "[b]$heading[/b] · one key teaches the co-pilot, esc skips",
                    heading=self.heading,
                )
            )
            for number, reason in enumerate(self.reasons, start=1):
                yield Label(
                    outside.markup("  [b]$number[/b]  $reason", number=number, reason=reason)
                )

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < len(self.reasons):
                event.stop()
                self.dismiss(self.reasons[index])

    def action_skip(self) -> None:
        self.dismiss(None)


class MacroScreen(ModalScreen[str | None]):
    """Pick a canned reply to put in place of the draft; each shown with its start."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-macro")]
    DEFAULT_CSS = MODAL_CSS.format(name="MacroScreen") + "MacroScreen OptionList { height: auto; }"

    def __init__(self, macros: dict[str, str]) -> None:
        super().__init__()
        self.macros = macros

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Macro[/b] · replaces the draft; the co-pilot learns it was not used")
            yield OptionList(
                *(
                    Option(
                        outside.markup(
                            "[b]$name[/b]  [dim]$start[/dim]", name=name, start=_first_line(text)
                        ),
                        id=name,
                    )
                    for name, text in sorted(self.macros.items())
                ),
                id="macros",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def choose(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _first_line(text: str, limit: int = 60) -> str:
    line = next((part for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
