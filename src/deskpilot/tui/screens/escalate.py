"""The escalate dialog: to whom and why, the hand-off summary to edit before it goes, and the
holding reply the customer gets in the same step if the agent wants.

It fits an 80x24 terminal with its buttons in view: the editors take what height is left.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, Select, TextArea

from deskpilot.tui import outside


@dataclass(frozen=True)
class EscalateRequest:
    to: str | None
    reason: str | None
    summary: str
    holding_reply: str | None  # None: the customer is not written to


class EscalateScreen(ModalScreen[EscalateRequest | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel-escalate"),
        Binding("ctrl+s", "confirm", "Escalate", id="confirm-escalate"),
    ]
    DEFAULT_CSS = """
    EscalateScreen { align: center middle; }
    EscalateScreen > Vertical {
        width: 90%; max-width: 110; height: 90%; max-height: 44;
        padding: 0 1; border: thick $accent; background: $surface;
    }
    EscalateScreen #pickers { height: auto; }
    EscalateScreen #pickers Select { width: 1fr; }
    EscalateScreen TextArea { height: 1fr; min-height: 3; }
    EscalateScreen #holding { display: none; }
    EscalateScreen #holding.-shown { display: block; }
    EscalateScreen #buttons { height: auto; align-horizontal: right; }
    EscalateScreen #buttons Checkbox { width: 1fr; border: none; padding: 0; margin-top: 1; }
    EscalateScreen #buttons Button { margin-left: 1; }
    """

    def __init__(
        self,
        summary: str,
        targets: list[str],
        reasons: list[str],
        holding_reply: str,
    ) -> None:
        """``targets``: the teams and teammates from config; ``holding_reply``: the text the
        customer gets if the agent ticks the box (editable)."""
        super().__init__()
        self.summary = summary
        self.targets, self.reasons = targets, reasons
        self.holding_reply = holding_reply

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Escalate[/b] · edit the hand-off; it goes on the ticket · ctrl+s sends")
            with Horizontal(id="pickers"):
                yield Select(
                    [(outside.text(t, one_line=True), t) for t in self.targets],
                    prompt="To team or person",
                    id="to",
                )
                yield Select(
                    [(outside.text(r, one_line=True), r) for r in self.reasons],
                    prompt="Reason",
                    id="reason",
                )
            # The summary quotes the customer: an editor shows it as text, never as markup.
            yield TextArea(outside.plain(self.summary), id="summary", soft_wrap=True)
            yield TextArea(outside.plain(self.holding_reply), id="holding", soft_wrap=True)
            with Horizontal(id="buttons"):
                yield Checkbox("Holding reply to the customer", id="tell")
                yield Button("Cancel", id="cancel")
                yield Button("Escalate", variant="warning", id="escalate")

    def on_mount(self) -> None:
        self.query_one("#to", Select).focus()

    @on(Checkbox.Changed, "#tell")
    def _show_holding(self, event: Checkbox.Changed) -> None:
        self.query_one("#holding", TextArea).set_class(event.value, "-shown")

    @on(Button.Pressed, "#escalate")
    def action_confirm(self) -> None:
        to = self.query_one("#to", Select).value
        reason = self.query_one("#reason", Select).value
        summary = self.query_one("#summary", TextArea).text.strip()
        if not summary:
            self.notify("The hand-off summary is empty.", severity="error")
            return
        holding = self.query_one("#holding", TextArea).text.strip()
        tell = self.query_one("#tell", Checkbox).value
        self.dismiss(
            EscalateRequest(
                to=None if to is Select.NULL else str(to),
                reason=None if reason is Select.NULL else str(reason),
                summary=summary,
                holding_reply=holding if tell and holding else None,
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
