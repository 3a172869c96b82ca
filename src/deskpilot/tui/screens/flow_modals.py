"""Dialogs for who owns a ticket, what arrived meanwhile and a cancellation: assign to a
teammate, the confirmation a reply needs when the customer or a teammate wrote after the draft
was shown, and the previewed choice of how to cancel a subscription."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from deskpilot.connectors.models import CancellationPreview
from deskpilot.models import Message
from deskpilot.tui import outside
from deskpilot.tui.screens.modals import MODAL_CSS


class AssignScreen(ModalScreen[str | None]):
    """A teammate from ``[team] members``, or any name when none are configured."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-assign")]
    DEFAULT_CSS = MODAL_CSS.format(name="AssignScreen")

    def __init__(self, ticket_id: str, members: list[str], current: str | None) -> None:
        super().__init__()
        self.ticket_id, self.members, self.current = ticket_id, members, current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                outside.markup(
                    "[b]Assign $id[/b] · now $owner",
                    id=self.ticket_id,
                    owner=self.current or "nobody",
                )
            )
            if self.members:
                yield Select(
                    [(outside.text(name, one_line=True), name) for name in self.members],
                    value=self.current if self.current in self.members else Select.NULL,
                    prompt="Teammate",
                    id="agent",
                )
            else:
                yield Input(placeholder="Teammate's name, or me", id="agent")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Assign", variant="primary", id="assign")

    def on_mount(self) -> None:
        self.query_one("#agent").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#assign")
    def assign(self) -> None:
        field = self.query_one("#agent")
        if isinstance(field, Select):
            value = field.value
            self.dismiss(None if value is Select.NULL else str(value))
        else:
            assert isinstance(field, Input)
            self.dismiss(field.value.strip() or None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ArrivedScreen(ModalScreen[bool]):
    """The draft was written before these messages: send anyway, or go back and read them."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-arrived")]
    DEFAULT_CSS = MODAL_CSS.format(name="ArrivedScreen") + (
        "ArrivedScreen VerticalScroll { height: auto; max-height: 12; }"
        "ArrivedScreen .arrived { margin-bottom: 1; }"
    )

    def __init__(self, arrived: list[Message]) -> None:
        super().__init__()
        self.arrived = arrived

    def compose(self) -> ComposeResult:
        with Vertical():
            count = len(self.arrived)
            yield Label(
                outside.markup(
                    "[b]$count[/b] since the draft was shown · your reply may not answer them",
                    count=f"{count} new message" + ("s" if count != 1 else ""),
                )
            )
            with VerticalScroll():
                for message in self.arrived:
                    yield Static(
                        outside.markup(
                            "[b]$who[/b] [dim]$at[/dim]\n$body",
                            who=message.author_name or message.author.value,
                            at=f"{message.at:%Y-%m-%d %H:%M}",
                            body=message.body,
                        ),
                        classes="arrived",
                    )
            with Horizontal():
                yield Button("Back to the draft", id="cancel")
                yield Button("Send anyway", variant="warning", id="send")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#send")
    def send(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class CancelSubscriptionScreen(ModalScreen[CancellationPreview | None]):
    """Both ways to cancel, previewed: at the period's end (no credit) or now (with the credit
    for unused time). Pressing one is the confirmation; esc keeps the subscription."""

    BINDINGS = [Binding("escape", "cancel", "Keep it", id="keep-subscription")]
    DEFAULT_CSS = MODAL_CSS.format(name="CancelSubscriptionScreen")

    def __init__(self, email: str, at_end: CancellationPreview, now: CancellationPreview) -> None:
        super().__init__()
        self.email, self.at_end, self.now = email, at_end, now

    def compose(self) -> ComposeResult:
        credit = f"{self.now.currency} {self.now.credit:,.2f}"
        with Vertical():
            yield Label(
                outside.markup(
                    "[b]Cancel the $plan subscription of $email?[/b]\n\n"
                    "At the period's end: it runs until [b]$end[/b], nothing is credited.\n"
                    "Now: it ends today ($today) and [b]$credit[/b] of unused time is credited.",
                    plan=self.at_end.plan_id,
                    email=self.email,
                    end=f"{self.at_end.ends_on:%Y-%m-%d}",
                    today=f"{self.now.ends_on:%Y-%m-%d}",
                    credit=credit,
                )
            )
            with Horizontal():
                yield Button("Keep it", id="keep")
                yield Button("At period end", variant="warning", id="at-end")
                yield Button("Now", variant="error", id="now")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed, "#at-end")
    def _at_end(self) -> None:
        self.dismiss(self.at_end)

    @on(Button.Pressed, "#now")
    def _now(self) -> None:
        self.dismiss(self.now)

    @on(Button.Pressed, "#keep")
    def action_cancel(self) -> None:
        self.dismiss(None)
