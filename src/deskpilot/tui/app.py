"""The DeskPilot app: screens over one Desk; keys, commands and themes from data."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.queue.views import QueueView
from deskpilot.store.channels import DeliveryState
from deskpilot.tui import heap, keymap, messages, outside
from deskpilot.tui.commands import DeskCommands
from deskpilot.tui.preferences import remember_theme, remembered_theme
from deskpilot.tui.screens.help import HelpScreen
from deskpilot.tui.screens.queue import QueueScreen
from deskpilot.tui.screens.stats import StatsScreen
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.themes import load_themes, shipped_theme_dirs
from deskpilot.tui.workers import desk_work

# A full garbage collection waits for the agent to pause this long (``tui/heap.py``).
COLLECT_WHEN_IDLE_SECONDS = 2.0


class DeskPilotApp(App[None]):
    TITLE = "DeskPilot"
    CSS_PATH = "app.tcss"
    BINDINGS = keymap.bindings(keymap.GLOBAL)
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {DeskCommands}  # tickets, views and macros

    def __init__(self, desk: Desk, *, theme: str | None = None) -> None:
        super().__init__()
        self.desk = desk
        for found in load_themes([desk.workspace.root / "themes", *shipped_theme_dirs()]):
            self.register_theme(found)
        configured = desk.settings.tui.theme
        picked = remembered_theme(desk.workspace.root, configured)
        if picked not in self.available_themes:
            picked = None  # a theme file removed since: the settings' theme
        self.theme = theme or picked or configured
        self._shown_theme = self.theme
        self.set_keymap(desk.settings.tui.keys)
        desk.prepare_drafting()  # before the app runs: the first draft never waits for it
        self._last_input = time.monotonic()  # the agent's last key or mouse action

    @property
    def _background_screens(self) -> list[Screen[object]]:
        """No screen shows through an opaque one. Textual counts the screen just under the top
        one as visible whatever the top one is, so the queue, reloaded under an open ticket,
        made the whole ticket screen repaint (a full frame, 10 ms on the 100k demo, during a
        send). Under a translucent screen the screens below still show, as in Textual (the
        desk's own screens and dialogs are all opaque: ``app.tcss``)."""
        if self._screen_stack and self._screen_stack[-1].styles.background.a == 1:
            return []
        return super()._background_screens

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.push_screen(QueueScreen(self.desk))
        # Full collections when the agent pauses, not in the middle of a send (tui/heap.py).
        heap.hold_full_collections()
        self.set_interval(COLLECT_WHEN_IDLE_SECONDS / 2, self._collect_if_idle)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _collect_if_idle(self) -> None:
        idle = time.monotonic() - self._last_input
        heap.collect_if_idle(idle, COLLECT_WHEN_IDLE_SECONDS)

    def _theme_changed(self, theme: Theme) -> None:
        """A theme picked in the palette is the desk's theme at the next start too."""
        if theme.name != self._shown_theme:
            self._shown_theme = theme.name
            remember_theme(self.desk.workspace.root, theme.name, self.desk.settings.tui.theme)

    async def on_unmount(self) -> None:
        heap.release_full_collections()
        await self.desk.aclose_connectors()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast (widgets' and screens' ``notify`` land here) shows its message as text:
        our messages carry outside text (error messages of connectors and models, ticket ids,
        names), which Textual would read as markup by default. ``markup`` is ignored."""
        super().notify(
            outside.plain(message),
            title=outside.plain(title, one_line=True),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def action_help_quit(self) -> None:
        """Textual's ctrl+c hint, without its markup (every toast here is shown as text)."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(f"Press {key} to quit the app", title="Do you want to quit?")
                return

    def on_worker_failed(self, message: messages.WorkerFailed) -> None:
        """The one place a worker's unexpected failure lands (every worker is a ``desk_work``):
        the agent is told, the desk stays up. Errors a worker expects (DeskPilot errors) it
        reports itself, in its own words."""
        self.log.error(f"worker {message.worker_name} failed: {message.error}")
        self.notify(
            f"{message.error}\nThe desk carries on; try again, or restart it if this repeats.",
            title=f"Something went wrong ({message.worker_name})",
            severity="error",
        )

    def on_open_ticket(self, message: messages.OpenTicket) -> None:
        self.open_ticket(message.ticket_id, message.view)

    def on_release_claim(self, message: messages.ReleaseClaim) -> None:
        self._release(message.ticket_id)

    @desk_work(thread=True, group="release")
    def _release(self, ticket_id: str) -> None:
        # With the database unreachable the lease runs out instead; leaving must not fail.
        with contextlib.suppress(DeskPilotError):
            self.desk.release(ticket_id)

    def on_deliver_reply(self, message: messages.DeliverReply) -> None:
        self.deliver_reply(message.ticket_id, message.message_id)

    @desk_work(exclusive=False, group="deliver")
    async def deliver_reply(self, ticket_id: str, message_id: str) -> None:
        """Deliver a reply just sent; if it cannot go now, ``deskpilot serve`` keeps trying.
        Runs on the app, not the ticket screen, so leaving the ticket never cancels a send."""
        try:
            outcomes = await self.desk.deliver_outbox(message_id=message_id)
        except DeskPilotError as error:
            self.notify(str(error), title="Delivery", severity="warning")
            outcomes = []
        if outcomes and outcomes[-1].state is not DeliveryState.SENT:
            self.notify(outcomes[-1].detail, title="Not delivered yet", severity="warning")
        for screen in self.screen_stack:  # the ticket's screen repaints, under a dialog too
            screen.post_message(messages.DeliveryUpdated(ticket_id))

    def open_ticket(self, ticket_id: str, view: QueueView | None = None) -> None:
        """Open the ticket; ``view``: the queue view it was opened from, where "next" looks."""
        self.push_screen(TicketScreen(self.desk, ticket_id, view))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.desk.settings.tui.keys))

    def action_stats(self) -> None:
        if not isinstance(self.screen, StatsScreen):
            self.push_screen(StatsScreen(self.desk))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: keys", "Every key binding", self.action_help)
        yield SystemCommand("Team stats", "Figures for team leads", self.action_stats)
        for binding in _screen_bindings(screen):
            yield SystemCommand(
                binding.description,
                f"{binding.description} ({keymap.display_key(binding.key)})",
                _runner(screen, binding.action),
            )


def _screen_bindings(screen: Screen[object]) -> list[Binding]:
    """Every action of the screen, those the footer leaves out too; not the moving around."""
    return [
        b
        for b in screen.BINDINGS
        if isinstance(b, Binding) and b.id not in keymap.NAVIGATION and b.description
    ]


def _runner(screen: Screen[object], action: str):  # type: ignore[no-untyped-def]
    async def run() -> None:
        await screen.run_action(action)

    return run
