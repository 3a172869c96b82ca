"""Dialogs for actions that reach outside DeskPilot: they ask, show, and confirm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Markdown, OptionList, Select, TextArea

from deskpilot.errors import DeskPilotError
from deskpilot.tui import outside
from deskpilot.tui.screens.modals import MODAL_CSS
from deskpilot.tui.workers import desk_work

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from deskpilot.actions import SettingPreview
    from deskpilot.connectors.models import BugMatch
    from deskpilot.models import Invoice, Plan


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-confirm")]
    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmScreen")

    def __init__(self, question: Content, yes: str) -> None:
        """``question``: content, with any outside text in it put in by ``outside``."""
        super().__init__()
        self.question, self.yes = question, yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button(self.yes, variant="primary", id="yes")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed, "#yes")
    def confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


@dataclass(frozen=True)
class RefundRequest:
    invoice_id: str
    amount: float
    reason: str


class RefundScreen(ModalScreen[RefundRequest | None]):
    """Invoice, amount and reason; the first press checks, the second confirms."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-refund")]
    DEFAULT_CSS = MODAL_CSS.format(name="RefundScreen") + "RefundScreen #problem { color: $error; }"

    def __init__(
        self, invoices: list[Invoice], limit: float, currency: str, named: str | None = None
    ) -> None:
        """``named``: the invoice the customer named, chosen when the dialog opens."""
        super().__init__()
        self.invoices = {i.id: i for i in invoices}
        self.limit, self.currency = limit, currency
        self.named = named if named in self.invoices else None
        self.pending: RefundRequest | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                outside.markup(
                    "[b]Refund[/b] · up to $currency $limit without a lead",
                    currency=self.currency,
                    limit=f"{self.limit:,.2f}",
                )
            )
            yield Select(
                [
                    (
                        outside.text(
                            f"{i.number} · {i.issued:%Y-%m-%d} · {i.total:,.2f} · {i.status}",
                            one_line=True,
                        ),
                        i.id,
                    )
                    for i in self.invoices.values()
                ],
                prompt="Invoice",
                value=self.named if self.named is not None else Select.NULL,
                id="invoice",
            )
            yield Input(
                f"{self.invoices[self.named].total:.2f}" if self.named is not None else "",
                placeholder="Amount",
                id="amount",
            )
            yield Input(placeholder="Reason (goes on the audit trail)", id="reason")
            yield Label("", id="problem")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Refund", variant="warning", id="refund")

    @on(Select.Changed, "#invoice")
    def _prefill(self, event: Select.Changed) -> None:
        invoice = self.invoices.get(str(event.value))
        if invoice is not None:
            self.query_one("#amount", Input).value = f"{invoice.total:.2f}"

    @on(Button.Pressed, "#refund")
    def refund(self) -> None:
        # Confirmed only when the second press sees exactly what the first one asked about;
        # any change in between asks again.
        request = self._request()
        if request is None:
            self.pending = None
            return
        if self.pending == request:
            self.dismiss(request)
            return
        self.pending = request
        number = self.invoices[request.invoice_id].number
        self.query_one("#problem", Label).update(
            outside.text(
                f"Refund {self.currency} {request.amount:,.2f} on {number}? Press again to confirm."
            )
        )
        self.query_one("#refund", Button).label = "Confirm refund"

    def _request(self) -> RefundRequest | None:
        problem = self.query_one("#problem", Label)
        invoice = self.query_one("#invoice", Select).value
        if invoice is Select.NULL:
            problem.update("Choose the invoice to refund.")
            return None
        try:
            amount = round(float(self.query_one("#amount", Input).value), 2)
        except ValueError:
            problem.update("The amount must be a number, e.g. 49.00.")
            return None
        total = self.invoices[str(invoice)].total
        reason = self.query_one("#reason", Input).value.strip()
        if not 0 < amount <= total:
            problem.update(
                outside.text(f"The amount must be between 0 and the invoice total {total:,.2f}.")
            )
        elif amount > self.limit:
            problem.update(
                outside.text(f"Above the limit of {self.currency} {self.limit:,.2f}: ask a lead.")
            )
        elif not reason:
            problem.update("Give a reason.")
        else:
            return RefundRequest(str(invoice), amount, reason)
        return None

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


SETTING_NAMES = {"billing_email": "Billing email", "plan": "Plan", "seats": "Seats"}


class SettingScreen(ModalScreen["SettingPreview | None"]):
    """Pick a setting, enter its new value, see the preview, confirm. The preview comes from
    the billing connector (``preview``, awaited in a worker); any edit asks for a new one, and
    only a shown preview can be confirmed."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-setting")]
    DEFAULT_CSS = MODAL_CSS.format(name="SettingScreen") + (
        "SettingScreen #problem { color: $error; }\n"
        "SettingScreen #preview { margin-top: 1; }\n"
        "SettingScreen .-hidden { display: none; }"
    )

    def __init__(
        self,
        settings: list[str],
        plans: list[Plan],
        preview: Callable[[str, str], Awaitable[SettingPreview]],
    ) -> None:
        super().__init__()
        self.settings, self.plans, self.preview_of = settings, plans, preview
        self.shown: SettingPreview | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Account setting[/b] · changed through the billing connector")
            yield Select(
                [(SETTING_NAMES.get(s, s), s) for s in self.settings],
                prompt="Setting",
                id="setting",
            )
            yield Input(placeholder="New value", id="value")
            yield Select(
                [
                    (outside.text(f"{p.name} · {p.monthly_price:,.2f}/month", one_line=True), p.id)
                    for p in self.plans
                ],
                prompt="Plan",
                id="plan",
                classes="-hidden",
            )
            yield Label("", id="preview")
            yield Label("", id="problem")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Preview", variant="primary", id="apply")

    @on(Select.Changed, "#setting")
    def _choose(self, event: Select.Changed) -> None:
        is_plan = event.value == "plan"
        self.query_one("#value", Input).set_class(is_plan, "-hidden")
        self.query_one("#plan", Select).set_class(not is_plan, "-hidden")
        self._forget()

    @on(Input.Changed, "#value")
    @on(Select.Changed, "#plan")
    def _edited(self) -> None:
        self._forget()

    def _forget(self) -> None:
        self.shown = None
        self.query_one("#preview", Label).update("")
        self.query_one("#apply", Button).label = "Preview"

    @on(Button.Pressed, "#apply")
    def apply(self) -> None:
        if self.shown is not None:
            self.dismiss(self.shown)
            return
        request = self._request()
        if request is not None:
            self._preview(*request)

    @desk_work(exclusive=True, group="setting-preview")
    async def _preview(self, setting: str, value: str) -> None:
        problem = self.query_one("#problem", Label)
        problem.update("Previewing…")
        try:
            preview = await self.preview_of(setting, value)
        except DeskPilotError as error:
            problem.update(outside.text(str(error)))
            return
        if self._request() != (setting, value):
            problem.update("")
            return  # edited while the preview was on its way: ask again
        problem.update("")
        self.shown = preview
        self.query_one("#preview", Label).update(
            outside.markup("$preview\n[b]Press again to apply.[/b]", preview=preview.describe())
        )
        self.query_one("#apply", Button).label = "Apply change"

    def _request(self) -> tuple[str, str] | None:
        problem = self.query_one("#problem", Label)
        setting = self.query_one("#setting", Select).value
        if setting is Select.NULL:
            problem.update("Choose the setting to change.")
            return None
        if setting == "plan":
            plan = self.query_one("#plan", Select).value
            if plan is Select.NULL:
                problem.update("Choose the new plan.")
                return None
            return str(setting), str(plan)
        value = self.query_one("#value", Input).value.strip()
        if not value:
            problem.update("Enter the new value.")
            return None
        return str(setting), value

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class StatusScreen(ModalScreen[None]):
    """Where the ticket's linked bugs and orders stand now (read-only)."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="close-status")]
    DEFAULT_CSS = MODAL_CSS.format(name="StatusScreen") + (
        "StatusScreen #lines { height: auto; max-height: 30; }\n"
        "StatusScreen .problem { color: $error; }"
    )

    def __init__(self, lines: list[str], problems: list[str]) -> None:
        super().__init__()
        self.lines, self.problems = lines, problems

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Status[/b] · linked bugs and orders, as their systems say now")
            with VerticalScroll(id="lines"):
                for line in self.lines:
                    problem = line in self.problems
                    yield Label(outside.text(line), classes="problem" if problem else "")
            with Horizontal():
                yield Button("Close", variant="primary", id="close")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def close(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class BugDecision:
    link_to: str | None  # a known bug's id, or None to file a new one
    title: str
    description: str


class BugScreen(ModalScreen[BugDecision | None]):
    """Prefilled from the ticket; known bugs that look the same are offered first."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel-bug")]
    DEFAULT_CSS = MODAL_CSS.format(name="BugScreen") + "BugScreen TextArea { height: 10; }"

    def __init__(self, title: str, description: str, matches: list[BugMatch]) -> None:
        super().__init__()
        self.title_text, self.description, self.matches = title, description, matches

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Bug ticket[/b] · prefilled from the ticket and its page context")
            # Buttons are numbered: a tracker's bug id is no widget id (it may hold anything).
            for number, match in enumerate(self.matches):
                bug = match.bug
                with Horizontal():
                    yield Label(
                        outside.text(
                            f"Known: {bug.id} {bug.title} ({bug.status}, {match.score:.0%})"
                        )
                    )
                    yield Button(outside.text(f"Link {bug.id}", one_line=True), id=f"link-{number}")
            yield Input(outside.plain(self.title_text, one_line=True), id="title")
            yield TextArea(outside.plain(self.description), id="description")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("File new bug", variant="primary", id="create")

    @on(Button.Pressed, "#create")
    def create(self) -> None:
        title = self.query_one("#title", Input).value.strip()
        if title:
            self.dismiss(BugDecision(None, title, self.query_one(TextArea).text))

    @on(Button.Pressed)
    def link(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        if button_id.startswith("link-"):
            bug = self.matches[int(button_id.removeprefix("link-"))].bug
            self.dismiss(BugDecision(bug.id, bug.title, ""))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class Readable:
    title: str
    kind: str
    ref: str
    text: str  # Markdown


class ReadScreen(ModalScreen[None]):
    """The retrieved articles and past tickets, to read in full."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="close-read")]
    DEFAULT_CSS = """
    ReadScreen { align: center middle; }
    ReadScreen > Horizontal {
        width: 90%; height: 85%; border: thick $accent; background: $surface;
    }
    ReadScreen OptionList { width: 34; height: 1fr; }
    ReadScreen VerticalScroll { width: 1fr; padding: 0 1; }
    """

    def __init__(self, items: list[Readable]) -> None:
        super().__init__()
        self.items = items

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(
                *[outside.text(f"{i.title} ({i.kind} {i.ref})", one_line=True) for i in self.items]
            )
            with VerticalScroll():
                # Markdown by design, but no link in it opens on a click, and no control
                # character reaches the terminal.
                yield Markdown(
                    outside.plain(self.items[0].text) if self.items else "Nothing was retrieved.",
                    open_links=False,
                )

    @on(OptionList.OptionHighlighted)
    def _show(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        if 0 <= index < len(self.items):
            self.query_one(Markdown).update(outside.plain(self.items[index].text))
