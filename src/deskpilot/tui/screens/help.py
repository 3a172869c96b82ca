"""Every key, generated from the key map (so it is never out of date)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from deskpilot.tui import keymap

SECTIONS = (
    ((keymap.GLOBAL,), "Everywhere"),
    ((keymap.QUEUE, keymap.QUEUE_TABLE), "Queue"),
    ((keymap.TICKET,), "Ticket"),
)


def help_markdown(overrides: dict[str, str]) -> str:
    lines = ["# Keys", ""]
    for scopes, title in SECTIONS:
        lines += [f"## {title}", "", "| key | action |", "|---|---|"]
        for action in keymap.actions_in(*scopes):
            key = keymap.display_key(overrides.get(action.id, action.key))
            lines.append(f"| `{key}` | {action.description} |")
        lines.append("")
    lines += [
        "The views are numbered in the order of `[views]`. `ctrl+p` opens the command palette:",
        "every action on the current screen, tickets by id or subject, views, macros, themes.",
    ]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="close-help")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-height: 90%; border: thick $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, overrides: dict[str, str]) -> None:
        super().__init__()
        self.overrides = overrides

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(help_markdown(self.overrides))
