"""The ticket workspace: the thread, what we know, what the team knows, and the draft."""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label
from textual.worker import Worker, WorkerState

from deskpilot.actions import RefundNeedsConfirmation, SettingPreview
from deskpilot.copilot.context import DraftContext, DraftOutcome
from deskpilot.errors import ClaimError, DeskPilotError
from deskpilot.models import (
    EditOutcome,
    Source,
    Ticket,
    TriageRecord,
)
from deskpilot.queue.snooze import describe_snooze
from deskpilot.store.channels import DeliveryState, OutboxEntry
from deskpilot.tui import keymap, messages, outside
from deskpilot.tui.pacing import OnePerFrame
from deskpilot.tui.screens.action_modals import (
    BugScreen,
    ConfirmScreen,
    Readable,
    ReadScreen,
    RefundScreen,
    SettingScreen,
    StatusScreen,
)
from deskpilot.tui.screens.escalate import EscalateRequest, EscalateScreen
from deskpilot.tui.screens.flow_modals import (
    ArrivedScreen,
    AssignScreen,
    CancelSubscriptionScreen,
)
from deskpilot.tui.screens.modals import (
    IntentScreen,
    MacroScreen,
    NoteScreen,
    ReasonScreen,
)
from deskpilot.tui.screens.snooze_merge import MergeScreen, SnoozeScreen
from deskpilot.tui.widgets.context_panel import ContextPanel
from deskpilot.tui.widgets.draft_pane import DraftPane, Outgoing
from deskpilot.tui.widgets.footer import DeskFooter
from deskpilot.tui.widgets.knowledge_panel import KnowledgePanel
from deskpilot.tui.widgets.thread_view import Thread, ThreadView
from deskpilot.tui.widgets.ticket_header import HandoffBanner, TicketHeader
from deskpilot.tui.workers import desk_work

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime

    from deskpilot.desk import Desk
    from deskpilot.knowledge import Hit
    from deskpilot.queue.views import QueueView


class TicketScreen(Screen[None]):
    BINDINGS = keymap.bindings(keymap.TICKET)
    DEFAULT_CSS = """
    TicketScreen #main { height: 1fr; }
    TicketScreen #left { width: 2fr; }
    TicketScreen #right {
        width: 1fr; min-width: 30; border-left: vkey $panel; scrollbar-gutter: stable;
    }
    TicketScreen .panel-title { text-style: bold; background: $panel; padding: 0 1; }
    TicketScreen .panel { padding: 0 1 1 1; }
    """

    def __init__(self, desk: Desk, ticket_id: str, view: QueueView | None = None) -> None:
        super().__init__()
        self.desk = desk
        self._loads = 0  # the newest load of the ticket asked for: older results are dropped
        self._frames = OnePerFrame(self)  # the panels' changes, a frame apart
        self._forget_ticket(ticket_id, view)

    def _forget_ticket(self, ticket_id: str, view: QueueView | None) -> None:
        """What the screen knows of its ticket, as before the ticket is loaded."""
        self.ticket_id = ticket_id
        self.view = view  # the queue view it was opened from: where the next ticket comes from
        # How many messages the thread had when the draft was shown: a reply written for them
        # must not go out over newer ones unseen.
        self.seen: int | None = None
        self.ticket: Ticket | None = None
        self.deliveries: dict[str, OutboxEntry] = {}  # each reply's way out, by Message-ID
        self.triage: TriageRecord | None = None
        self.notice = Content("")  # under the title: snoozed, merged, a likely duplicate
        self._scroll_thread_end = False  # after the next load: the thread from its end
        # After the next load: the whole screen is the new ticket's (``show_ticket``).
        self._fresh = False
        self.hits: list[Hit] = []
        self.outcome: DraftOutcome | None = None  # the co-pilot's draft, once it is shown
        # What the connectors returned (CRM, billing, bugs): from the draft, or loaded on its
        # own when no draft is made (the agent spoke last, the co-pilot is off, an unsent edit).
        self.context: DraftContext | None = None
        self.context_problem: str | None = None
        self.busy: str | None = None  # a desk operation under way (send, note, close...)
        self._edit_in_flight: str | None = None  # the edit event a send under way ends
        self.handled_by: str | None = None  # another agent working this ticket: read only
        self._send_once_settled = False  # a send asked for while the edit event was stored
        # Once the unsent edit is stored (``DraftPane.Kept``): leave for the queue or a ticket.
        self._leaving: Callable[[], None] | None = None
        self._after_reason: Callable[[], None] | None = None  # once the edit's reason is stored

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            # The header sits over the thread, not across the screen: a ticket's header is one
            # line taller or shorter than the last one's (a hand-off banner, a notice), and
            # only the left column then moves; the whole screen repainted took over a frame.
            with Vertical(id="left"):
                yield TicketHeader(id="title")
                yield HandoffBanner(id="handoff")
                yield ThreadView(id="thread")
                yield DraftPane(self.desk, self.ticket_id, id="draft-pane")
            with VerticalScroll(id="right"):
                yield Label("Context", classes="panel-title")
                yield ContextPanel("Loading…", id="context", classes="panel")
                yield Label("Knowledge", classes="panel-title")
                yield KnowledgePanel("Searching…", id="knowledge", classes="panel")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.reload(opening=True)
        renew = self.desk.settings.team.renew_every.total_seconds()
        self.set_interval(renew, self._renew)

    def on_unmount(self) -> None:
        # Back to the queue without finishing: the next agent may take it straight away. A
        # write, so the app lets go of it in a worker (this screen's workers end with it).
        self.app.post_message(messages.ReleaseClaim(self.ticket_id))

    def show_ticket(self, ticket_id: str, view: QueueView | None) -> None:
        """Show another ticket in this screen (the view's next one, after a send, a close, an
        escalation or ``N``): its widgets stay mounted and are given the new ticket, instead
        of this screen being popped and a new one composed, mounted, laid out and painted in
        one go on the event loop (22 ms of the loop's own time on the 100k demo, with the
        queue painted again in between). The old ticket's reads are dropped, its writes under
        way finish (their results are told, not shown: ``_stale``), and its claim is let go.

        The panels keep the old ticket until the new one is loaded (emptying them first cost
        a whole frame more), then change a frame apart, the header and thread first, then the
        context, then the knowledge and the draft (``on_ticket_loaded``); meanwhile the agent's
        keys are refused as for any ticket still loading, and the editor is emptied at once."""
        if ticket_id != self.ticket_id:
            self.app.post_message(messages.ReleaseClaim(self.ticket_id))
        for group in ("load", "context", "knowledge", "dialog", "next", "claim"):
            self.workers.cancel_group(self, group)
        self._forget_ticket(ticket_id, view)
        self._frames.drop()  # the old ticket's panels waiting to be painted
        self.draft_pane.show_ticket(ticket_id)
        if self.focused is not None and self.focused is not self.query_one(ThreadView):
            # Keys go to the screen's bindings until the ticket is shown (not into the editor).
            # The thread keeps the focus a new screen gives it: a change of focus restyles and
            # repaints every container around the widgets.
            self.set_focus(None)
        self._fresh = True
        self.reload(opening=True)

    @property
    def painting(self) -> bool:
        """The panels have changes still to be painted (they are painted a frame apart)."""
        return self._frames.painting

    def _clear_panels(self) -> None:
        """The panels as a new screen starts: when the ticket shown instead did not load."""
        self.query_one(TicketHeader).ticket = None
        self.query_one(HandoffBanner).triage = None
        self.query_one(ThreadView).thread = None  # the old ticket's messages, hidden
        self._show_context()
        self._reset_knowledge()

    def _reset_knowledge(self) -> None:
        knowledge = self.query_one(KnowledgePanel)
        knowledge.problem = None
        knowledge.hits = None  # "Searching…"

    def _stale(self, ticket_id: str) -> bool:
        """True for a result about the ticket this screen showed before (``show_ticket``)."""
        return ticket_id != self.ticket_id

    # --- team mode: who works this ticket ----------------------------------------------------

    def _claim(self) -> None:
        """Opening the ticket claims it; if another agent holds it, it opens read only (in
        the load's thread: ``TicketClaimed`` says which, before ``TicketLoaded``)."""
        try:
            self.desk.claim(self.ticket_id)
        except ClaimError as error:
            self.post_message(messages.TicketClaimed(self.ticket_id, error.holder, str(error)))
            return
        self.post_message(messages.TicketClaimed(self.ticket_id, None))

    def on_ticket_claimed(self, message: messages.TicketClaimed) -> None:
        if self._stale(message.ticket_id):
            return
        self.handled_by = message.holder
        if message.refusal is not None:
            self.notify(message.refusal, title="Being handled", severity="warning")

    def _refused(self) -> bool:
        """True (after telling the agent) when another agent holds this ticket, or while a
        desk operation on it is still under way (one at a time: a reply is never sent twice,
        a close never overtakes the send before it)."""
        if self.busy is not None:
            self.notify(f"Wait a moment: {self.busy} is under way", severity="warning")
            return True
        if self.ticket is None:
            self.notify("Wait a moment: the ticket is still loading", severity="warning")
            return True
        if self.handled_by is None:
            return False
        self.notify(
            f"{self.ticket_id} is being handled by {self.handled_by}: you can read it, "
            "not act on it",
            title="Being handled",
            severity="warning",
        )
        return True

    @desk_work(thread=True, exclusive=True, group="claim")
    def _renew(self) -> None:
        desk = self.desk
        if self.ticket_id in desk.renew_claims():
            holder = desk.handled_by(self.ticket_id)
            self.post_message(messages.ClaimLost(self.ticket_id, holder))

    def on_claim_lost(self, message: messages.ClaimLost) -> None:
        if self._stale(message.ticket_id):
            return
        holder = message.holder
        self.handled_by = holder
        self.notify(
            f"Your claim on {self.ticket_id} ran out"
            + (f" and {holder} took it over" if holder else "")
            + "; reopen it to work on it",
            title="Claim lost",
            severity="error",
        )
        self._show_title()

    def reload(self, *, opening: bool = False) -> None:
        """Read the ticket again, off the event loop; ``TicketLoaded`` repaints. ``opening``:
        first claim it and mark its messages read, as opening the ticket does."""
        self._loads += 1
        self._load(self._loads, opening)

    @desk_work(thread=True, group="load")
    def _load(self, generation: int, opening: bool) -> None:
        desk = self.desk
        try:
            if opening:
                self._claim()
                with contextlib.suppress(DeskPilotError):
                    desk.mark_read(self.ticket_id)  # the agent sees the new messages now
            ticket = desk.ticket(self.ticket_id)
            deliveries = desk.deliveries(self.ticket_id)
            triage = desk.triage_record(self.ticket_id)
            notice = _snooze_and_duplicates(desk, ticket)
            # Read here even when the editor turns out to hold text: a read, and off the loop.
            plan = desk.draft_plan(ticket)
        except DeskPilotError as error:
            self.post_message(messages.TicketLoadFailed(self.ticket_id, str(error)))
            return
        self.post_message(
            messages.TicketLoaded(
                self.ticket_id, generation, ticket, deliveries, triage, notice, plan
            )
        )

    def on_ticket_load_failed(self, message: messages.TicketLoadFailed) -> None:
        if self._stale(message.ticket_id):
            return
        self.notify(message.error, title="Loading the ticket failed", severity="error")
        if self.ticket is None and self._fresh:
            self._fresh = False
            self._clear_panels()  # not the ticket shown before under this one's id

    def on_ticket_loaded(self, message: messages.TicketLoaded) -> None:
        if message.generation != self._loads or self._stale(message.ticket_id):
            return
        if not self.is_attached:
            return  # a newer load is on its way, or the agent left the ticket
        self.ticket = message.ticket
        self.deliveries = message.deliveries
        if self.seen is None:
            self.seen = len(self.ticket.messages)
        self.triage = message.triage
        self.notice = message.notice
        # ``fresh``: a ticket shown in place of another (``show_ticket``). A frame apart: the
        # header and thread, then the context, then the knowledge search and the draft start.
        # They start once the panels before them are painted: their threads would otherwise
        # take the GIL from the loop while it paints.
        fresh, self._fresh = self._fresh, False
        self._frames.paint(partial(self._show_loaded, message, fresh=fresh))
        self._frames.paint(partial(self._show_context, scroll_home=fresh))
        self._frames.paint(partial(self._after_shown, message, fresh=fresh))

    def _show_loaded(self, message: messages.TicketLoaded, *, fresh: bool) -> None:
        if message.generation != self._loads or not self.is_attached:
            return  # a newer load is on its way, or the agent left
        self._show_title()
        self._show_thread()
        if self._scroll_thread_end:
            self._scroll_thread_end = False
            self.query_one("#thread", VerticalScroll).scroll_end(animate=False)
        if fresh and self.focused is None:
            # As a newly opened screen does: the first widget that takes focus, unless the
            # agent focused one (the editor) meanwhile.
            self.focus_next()

    def _after_shown(self, message: messages.TicketLoaded, *, fresh: bool) -> None:
        """The loaded ticket is on screen: search the knowledge, and draft (or restore the
        unsent edit) as the draft plan says."""
        if (
            message.generation != self._loads
            or not self.is_attached
            or self.ticket is None
            or self._stale(message.ticket_id)
        ):
            return  # a newer load is on its way, or the agent left
        if fresh:
            self._reset_knowledge()  # "Searching…", not the hits of the ticket shown before
        self._search_knowledge()
        pane = self.draft_pane
        if (
            not pane.text
            and not pane.drafting
            and self.handled_by is None  # another agent's draft and edit, not ours
        ):
            plan = message.plan
            intent = self.ticket.intent
            if plan.unsent is not None:
                pane.restore(plan.unsent)
            elif plan.copilot_off:
                pane.note = outside.text(
                    f"Draft · the co-pilot is off for {intent} ([automation.levels]) · "
                    "r drafts anyway, e to write"
                )
            elif plan.draft:
                self._write_draft()  # from now: the draft's worker brings the context
        if self.context is None and not pane.drafting:
            self._load_context()  # no draft to bring it: CRM and billing on their own

    # --- panels ----------------------------------------------------------------------------

    def _show_title(self) -> None:
        header = self.query_one(TicketHeader)
        header.handled_by = self.handled_by
        header.notice = self.notice
        header.ticket = self.ticket
        self.query_one(HandoffBanner).triage = self.triage

    def _show_thread(self) -> None:
        assert self.ticket is not None
        self.query_one(ThreadView).thread = Thread(self.ticket, self.deliveries)

    def _show_context(self, *, scroll_home: bool = False) -> None:
        if scroll_home:
            self.query_one("#right", VerticalScroll).scroll_home(animate=False)
        panel = self.query_one(ContextPanel)
        panel.ticket = self.ticket
        panel.triage = self.triage
        panel.context = self.context
        panel.problem = self.context_problem

    @desk_work(exclusive=True, group="context")
    async def _load_context(self) -> None:
        """CRM, billing, bugs and team chat when no draft brings them (connectors are async)."""
        try:
            context = await self.desk.draft_context(self.ticket_id)
        except DeskPilotError as error:
            self.post_message(messages.ContextFailed(self.ticket_id, str(error)))
            return
        self.post_message(messages.ContextLoaded(self.ticket_id, context))

    def on_context_loaded(self, message: messages.ContextLoaded) -> None:
        # A draft's context is as new; one for the ticket shown before is dropped.
        if self.context is None and self.is_attached and not self._stale(message.ticket_id):
            self.context = message.context
            self._frames.paint(self._show_context)

    def on_context_failed(self, message: messages.ContextFailed) -> None:
        if self.context is None and self.is_attached and not self._stale(message.ticket_id):
            self.context_problem = message.error
            self._frames.paint(self._show_context)

    @desk_work(thread=True, exclusive=True, group="knowledge")
    def _search_knowledge(self) -> None:
        ticket = self.ticket
        assert ticket is not None
        query = f"{ticket.subject} {ticket.latest_customer_text}"[:500]
        try:
            hits = self.desk.search_knowledge(query, limit=5)
        except DeskPilotError as error:
            self.post_message(messages.KnowledgeFailed(self.ticket_id, str(error)))
            return
        self.post_message(messages.KnowledgeFound(self.ticket_id, hits))

    def on_knowledge_found(self, message: messages.KnowledgeFound) -> None:
        if self._stale(message.ticket_id):
            return
        self._frames.paint(partial(self._show_knowledge, message.hits))

    def on_knowledge_failed(self, message: messages.KnowledgeFailed) -> None:
        if self._stale(message.ticket_id):
            return
        self._frames.paint(partial(self._knowledge_failed, message.error))

    def _knowledge_panel(self) -> KnowledgePanel | None:
        """The panel, unless the agent moved on (to the next ticket) while the search ran: the
        screen is then being taken down and its widgets may be gone already."""
        if not self.is_attached:
            return None
        return next(iter(self.query(KnowledgePanel)), None)

    def _show_knowledge(self, hits: list[Hit]) -> None:
        panel = self._knowledge_panel()
        if panel is None:
            return
        self.hits = hits
        panel.hits = hits

    def _knowledge_failed(self, message: str) -> None:
        panel = self._knowledge_panel()
        if panel is None:
            return
        panel.problem = message

    # --- the draft pane: its editor, and the edit event it tracks --------------------------

    @property
    def draft_pane(self) -> DraftPane:
        return self.query_one(DraftPane)

    def _write_draft(self) -> None:
        if self.ticket is not None:
            self.seen = len(self.ticket.messages)  # the draft is written for these
        self.draft_pane.write()

    def on_draft_pane_drafted(self, message: DraftPane.Drafted) -> None:
        if self._stale(message.outcome.context.ticket.id):
            return
        self.outcome = message.outcome
        self.context = message.outcome.context
        # Now with what the connectors returned: in the frame after the editor's new text.
        self._frames.take_frame()
        self._frames.paint(self._show_context)

    def on_draft_pane_draft_failed(self, message: DraftPane.DraftFailed) -> None:
        if self.context is None and self.is_attached:
            self._load_context()  # the draft that did not come brought no CRM and billing

    def on_draft_pane_edit_ended(self, message: DraftPane.EditEnded) -> None:
        if message.outcome is EditOutcome.DISCARDED and self.is_attached:
            heading = "Draft discarded"
            if self._stale(message.ticket_id):
                # Discarded just before moving on (``N``): the question comes up over the next
                # ticket, so it says which ticket's draft it is about.
                heading = f"Draft for {message.ticket_id} discarded"
            self._ask_reason(message.edit_id, heading)

    def _ask_reason(
        self, edit_id: str, heading: str, then: Callable[[], None] | None = None
    ) -> None:
        def store(reason: str | None) -> None:
            if reason:
                # Written off the loop; ``then`` (on to the next ticket) once it is stored, so
                # leaving this screen never cancels the write.
                self._after_reason = then
                self._give_reason(edit_id, reason)
            elif then is not None:
                then()

        self.app.push_screen(ReasonScreen(heading, self.desk.settings.feedback.reasons), store)

    @desk_work(thread=True, group="reason")
    def _give_reason(self, edit_id: str, reason: str) -> None:
        try:
            self.desk.give_edit_reason(edit_id, reason)
        except DeskPilotError as error:
            self.post_message(messages.ReasonGiven(edit_id, reason, str(error)))
            return
        self.post_message(messages.ReasonGiven(edit_id, reason))

    def on_reason_given(self, message: messages.ReasonGiven) -> None:
        if message.error is None:
            self.notify(f"Noted: {message.reason}")
        else:
            self.notify(message.error, title="The reason was not saved", severity="error")
        then, self._after_reason = self._after_reason, None
        if then is not None:
            then()

    # --- actions ---------------------------------------------------------------------------

    def _act(self, what: str, action: Callable[[], object], *, advance: bool = False) -> None:
        """Run a desk operation off the event loop (the store, the index and the learning
        step can take a while); ``ActionDone`` or ``ActionFailed`` says how it went, and
        ``advance`` moves on to the next ticket after it."""
        self.busy = what
        self._act_in_thread(what, action, advance)

    @desk_work(thread=True, group="desk-action")
    def _act_in_thread(self, what: str, action: Callable[[], object], advance: bool) -> None:
        try:
            action()
        except DeskPilotError as error:
            self.post_message(messages.ActionFailed(self.ticket_id, what, str(error)))
            return
        self.post_message(messages.ActionDone(self.ticket_id, what, advance))

    def on_action_done(self, message: messages.ActionDone) -> None:
        self.notify(message.done)
        if self._stale(message.ticket_id):
            return  # done on the ticket shown before: told, and this one stays
        self.busy = None
        self.reload()
        if message.advance:
            self._advance()

    def on_action_failed(self, message: messages.ActionFailed) -> None:
        if not self._stale(message.ticket_id):
            self.busy = None
        self.notify(message.error, title=f"{message.what} failed", severity="error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A desk operation that ended on an unexpected error (the app tells the agent) no
        longer holds the ticket's other operations back."""
        if event.worker.group in {"desk-action", "send"} and event.state in {
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        }:
            self.busy = None
            if event.worker.group == "send":
                self.draft_pane.give_back(self._edit_in_flight)  # the reply did not go

    def action_read_knowledge(self) -> None:
        if self.outcome is not None:
            context = self.outcome.context
            items = [
                Readable(k.title, k.source.kind, k.source.ref, k.body or k.snippet)
                for k in context.knowledge + context.similar
            ]
        else:
            items = [Readable(h.title, h.kind, h.id, h.snippet) for h in self.hits]
        self.app.push_screen(ReadScreen(items))

    def action_edit(self) -> None:
        self.draft_pane.editor.focus()

    def action_send(self) -> None:
        """Send, unless the customer or a teammate wrote since the draft was shown: then ask,
        showing what arrived (looked up off the event loop, ``ArrivedChecked``)."""
        if self._refused():
            return
        self.busy = "sending the reply"  # from now: a second send is refused
        self._edit_in_flight = None
        if self.draft_pane.settling:
            # The draft's edit event is being stored: the send follows it (``Settled``), so
            # the reply goes with it.
            self._send_once_settled = True
            return
        self._check_arrived(self.seen or 0)

    def on_draft_pane_settled(self, message: DraftPane.Settled) -> None:
        if self._send_once_settled:
            self._send_once_settled = False
            self._check_arrived(self.seen or 0)

    def _draft_settling(self) -> bool:
        """True (after telling the agent) while the draft's edit event is still being stored:
        an escalation now would go without it."""
        if settling := self.draft_pane.settling:
            self.notify(f"Wait a moment: {settling}", severity="warning")
            return True
        return False

    @desk_work(thread=True, group="send")
    def _check_arrived(self, seen: int) -> None:
        desk = self.desk
        try:
            arrived = desk.arrived_since(self.ticket_id, seen)
            now = len(desk.ticket(self.ticket_id).messages) if arrived else seen
        except DeskPilotError as error:
            self.post_message(messages.ActionFailed(self.ticket_id, "Send", str(error)))
            return
        self.post_message(messages.ArrivedChecked(self.ticket_id, arrived, now))

    def on_arrived_checked(self, message: messages.ArrivedChecked) -> None:
        if self._stale(message.ticket_id):
            return
        if not self.is_attached:
            self.busy = None
            return
        if not message.arrived:
            self._send()
            return
        self.busy = None  # the agent decides, in the dialog

        def answer(send: bool | None) -> None:
            self.seen = message.messages  # seen now: asked once
            if send:
                self.busy = "sending the reply"
                self._send()
            else:
                self._scroll_thread_end = True  # to what arrived
                self.reload()

        self.app.push_screen(ArrivedScreen(message.arrived), answer)

    def _send(self) -> None:
        """Send off the event loop; the edit event goes with it (no autosave after it), and
        comes back if the send fails."""
        outgoing = self.draft_pane.take_outgoing()
        self._edit_in_flight = outgoing.edit_id
        self._send_in_thread(outgoing)

    @desk_work(thread=True, group="send")
    def _send_in_thread(self, outgoing: Outgoing) -> None:
        desk = self.desk
        try:
            channel = desk.reply_channel(self.ticket_id)
        except DeskPilotError:
            channel = None
        done = (
            "Reply saved; this ticket has no channel to reach the customer"
            if channel is None
            else f"Reply queued for {channel}"
        )
        try:
            event = desk.send_reply(
                self.ticket_id,
                outgoing.text,
                edit_id=outgoing.edit_id,
                keystrokes=outgoing.keystrokes,
                from_macro=outgoing.from_macro,
            )
        except DeskPilotError as error:
            self.post_message(messages.SendFailed(self.ticket_id, outgoing.edit_id))
            self.post_message(messages.ActionFailed(self.ticket_id, done, str(error)))
            return
        message_id = desk.sent_reply_id(self.ticket_id) if channel is not None else None
        if message_id is not None:
            # To the app straight away: the reply goes out even if the agent left the ticket.
            self._deliver(message_id)
        self.post_message(messages.ReplySent(self.ticket_id, event, done))

    def on_send_failed(self, message: messages.SendFailed) -> None:
        if self._stale(message.ticket_id):
            return  # its ``ActionFailed`` tells the agent; the edit is the old ticket's
        self.draft_pane.give_back(message.edit_id)  # the draft's edit goes on

    def on_reply_sent(self, message: messages.ReplySent) -> None:
        if self._stale(message.ticket_id):
            self.notify(message.done)  # the agent left it while it went: told, nothing more
            return
        self.busy = None
        self.draft_pane.sent()
        self.notify(message.done)
        # No reload here: ``_advance`` reloads a ticket the agent stays on, and one being
        # left for the next is not painted again (a frame saved in the middle of the send).
        event = message.event
        heading = self.desk.reason_heading(event)
        if event is not None and heading is not None:
            self._ask_reason(event.id, heading, then=self._advance)
        else:
            self._advance()

    def _deliver(self, message_id: str) -> None:
        """Try the reply at once, on the app: moving on to the next ticket never cancels it."""
        self.app.post_message(messages.DeliverReply(self.ticket_id, message_id))

    def on_delivery_updated(self, message: messages.DeliveryUpdated) -> None:
        """A reply of this ticket went out (or could not yet): repaint its state."""
        if message.ticket_id != self.ticket_id or not self.is_attached:
            return
        self._load_deliveries()

    @desk_work(thread=True, group="load")
    def _load_deliveries(self) -> None:
        deliveries = self.desk.deliveries(self.ticket_id)
        self.post_message(messages.DeliveriesLoaded(self.ticket_id, deliveries))

    def on_deliveries_loaded(self, message: messages.DeliveriesLoaded) -> None:
        if self.ticket is None or not self.is_attached or self._stale(message.ticket_id):
            return  # the ticket's own load brings them
        self.deliveries = message.deliveries
        self._show_thread()

    def action_retry_delivery(self) -> None:
        """Send the newest failed reply on this ticket again."""
        failed = [e for e in self.deliveries.values() if e.state is DeliveryState.FAILED]
        if not failed:
            self.notify("No failed reply on this ticket.", severity="warning")
            return
        entry = max(failed, key=lambda e: e.id)
        self._requeue(entry.id, entry.message_id)

    @desk_work(thread=True, group="retry")
    def _requeue(self, entry_id: int, message_id: str) -> None:
        """Queue the reply again (a write), off the event loop; ``ReplyRequeued`` delivers it."""
        try:
            self.desk.retry_reply(entry_id)
        except DeskPilotError as error:
            self.post_message(messages.ActionFailed(self.ticket_id, "Retry", str(error)))
            return
        self.post_message(messages.ReplyRequeued(self.ticket_id, entry_id, message_id))

    def on_reply_requeued(self, message: messages.ReplyRequeued) -> None:
        self.notify(f"Reply {message.entry_id} queued again")
        self.app.post_message(messages.DeliverReply(message.ticket_id, message.message_id))
        if self.is_attached and not self._stale(message.ticket_id):
            self.reload()

    def action_macro(self) -> None:
        desk = self.desk
        if not desk.settings.macros:
            self.notify(
                "No macros yet: add them under [macros] in config.toml.", severity="warning"
            )
            return

        def use(name: str | None) -> None:
            if name:
                self.apply_macro(name)

        self.app.push_screen(MacroScreen(desk.settings.macros), use)

    def apply_macro(self, name: str) -> None:
        """The macro, filled in for this ticket, in place of the draft (the macro dialog, or
        the command palette), read off the event loop by the draft pane."""
        self.draft_pane.use_macro(name)

    def action_discard(self) -> None:
        """Empty the editor; once the draft's edit event ended, ask why (``EditEnded``)."""
        self.draft_pane.discard()

    def action_note(self) -> None:
        if self._refused():
            return

        def save(text: str | None) -> None:
            if text:
                self._act("Note added", lambda: self.desk.add_note(self.ticket_id, text))

        self.app.push_screen(NoteScreen(), save)

    def action_change_intent(self) -> None:
        if self._refused():
            return
        self._read_intents()

    @desk_work(thread=True, exclusive=True, group="dialog")
    def _read_intents(self) -> None:
        """The intent dialog lists the workspace's intents: a file read, off the event loop."""
        try:
            intents = list(self.desk.taxonomy())
        except DeskPilotError as error:
            self.post_message(messages.ActionFailed(self.ticket_id, "Intent", str(error)))
            return
        self.post_message(messages.IntentsRead(self.ticket_id, intents))

    def on_intents_read(self, message: messages.IntentsRead) -> None:
        stale = self._stale(message.ticket_id)
        if self.app.screen is not self or self.ticket is None or stale:
            return  # the agent left, or another dialog opened meanwhile
        desk = self.desk

        def correct(intent: str | None) -> None:
            if intent:
                self._act(
                    f"Intent set to {intent}", lambda: desk.correct_intent(self.ticket_id, intent)
                )

        self.app.push_screen(IntentScreen(message.intents, self.ticket.intent), correct)

    def action_escalate(self) -> None:
        """To a team or a teammate, with a reason and the hand-off summary (every action taken,
        the account's key facts) to edit; optionally with a holding reply to the customer."""
        if self._refused() or self._draft_settling():
            return
        references = [Source(kind=h.kind, ref=h.id, title=h.title) for h in self.hits]
        self._prepare_escalation(references, self.outcome.context if self.outcome else None)

    @desk_work(thread=True, exclusive=True, group="dialog")
    def _prepare_escalation(self, references: list[Source], context: DraftContext | None) -> None:
        """The escalate dialog's summary and holding reply (reads of the ticket and its audit
        trail), off the event loop."""
        desk = self.desk
        try:
            summary = desk.escalation_summary(
                self.ticket_id,
                references,
                crm=context.crm if context else None,
                subscription=context.subscription if context else None,
            )
            holding = desk.holding_reply(self.ticket_id)
        except DeskPilotError as error:
            self.post_message(messages.ActionFailed(self.ticket_id, "Escalate", str(error)))
            return
        self.post_message(messages.EscalationPrepared(self.ticket_id, summary, holding))

    def on_escalation_prepared(self, message: messages.EscalationPrepared) -> None:
        if self.app.screen is not self or self._stale(message.ticket_id):
            return  # the agent left, or another dialog opened meanwhile

        def escalate(request: EscalateRequest | None) -> None:
            if request is not None:
                self._escalate(request, self.draft_pane.take_edit())

        desk = self.desk
        team = desk.settings.team
        targets = team.escalation_teams + [m for m in team.members if m != desk.agent]
        dialog = EscalateScreen(message.summary, targets, team.escalation_reasons, message.holding)
        self.app.push_screen(dialog, escalate)

    @desk_work(exclusive=True, group="action")
    async def _escalate(self, request: EscalateRequest, edit_id: str | None) -> None:
        """Escalate, then say whether the team's channel was told (it may not be reachable)."""
        try:
            escalation = await self.desk.escalate(
                self.ticket_id,
                request.summary,
                edit_id=edit_id,
                to=request.to,
                reason=request.reason,
                holding_reply=request.holding_reply,
            )
        except DeskPilotError as error:
            self.notify(str(error), title="Escalate failed", severity="error")
            return
        if escalation.notified:
            self.notify(escalation.describe(), title="Escalated")
        else:
            self.notify(escalation.describe(), title="Escalated", severity="warning")
        self.reload()
        self._advance()

    def action_close_ticket(self) -> None:
        """Close as solved, after a confirmation (one key must not end a conversation)."""
        if self._refused():
            return
        question = outside.markup(
            "Close [b]$id[/b] as solved? The customer's next message reopens it.",
            id=self.ticket_id,
        )

        def close(confirmed: bool | None) -> None:
            if confirmed:
                self._act("Ticket solved", lambda: self.desk.solve(self.ticket_id), advance=True)

        self.app.push_screen(ConfirmScreen(question, "Close ticket"), close)

    def action_snooze(self) -> None:
        """Out of the views until a time the agent names (or the customer writes)."""
        if self._refused():
            return

        def snooze(until: datetime | None) -> None:
            if until is not None:
                self._act(
                    f"Snoozed until {until:%a %d %b %H:%M} UTC",
                    lambda: self.desk.snooze(self.ticket_id, until),
                    advance=True,
                )

        self.app.push_screen(SnoozeScreen(self.ticket_id, self.desk.read_when), snooze)

    def action_merge(self) -> None:
        """Merge this ticket into another (its likely duplicates offered first)."""
        if self._refused():
            return

        self._find_duplicates()

    @desk_work(thread=True, exclusive=True, group="dialog")
    def _find_duplicates(self) -> None:
        """The merge dialog offers the likely duplicates first: a query, off the event loop."""
        try:
            duplicates = self.desk.duplicates(self.ticket_id)
        except DeskPilotError as error:
            self.post_message(messages.ActionFailed(self.ticket_id, "Merge", str(error)))
            return
        self.post_message(messages.DuplicatesFound(self.ticket_id, duplicates))

    def on_duplicates_found(self, message: messages.DuplicatesFound) -> None:
        if self.app.screen is not self or self._stale(message.ticket_id):
            return  # the agent left, or another dialog opened meanwhile

        def merge(target: str | None) -> None:
            if target:
                self._act(
                    f"Merged into {target}",
                    lambda: self.desk.merge(self.ticket_id, target),
                    advance=True,
                )

        self.app.push_screen(MergeScreen(self.ticket_id, message.duplicates), merge)

    def action_reopen(self) -> None:
        if self._refused():
            return
        self._act("Ticket reopened", lambda: self.desk.reopen(self.ticket_id))

    # --- ownership and flow ------------------------------------------------------------------

    def action_take(self) -> None:
        if self._refused():
            return
        self._act("The ticket is yours", lambda: self.desk.take(self.ticket_id))

    def action_assign(self) -> None:
        if self._refused():
            return
        assert self.ticket is not None
        desk = self.desk

        def assign(agent: str | None) -> None:
            if agent:
                self._act(f"Assigned to {agent}", lambda: desk.assign(self.ticket_id, agent))

        members = desk.settings.team.members
        self.app.push_screen(AssignScreen(self.ticket_id, members, self.ticket.assignee), assign)

    def leave_for(self, ticket_id: str) -> None:
        """Leave this ticket (its unsent edit kept) for another (the command palette)."""

        def open_other() -> None:
            self._pop()
            self.app.post_message(messages.OpenTicket(ticket_id, self.view))

        self._leave(open_other)

    def action_next_ticket(self) -> None:
        """Leave this ticket (its unsent edit kept) for the view's next one."""
        self._leave(self._open_next)

    def _advance(self) -> None:
        """After send, close or escalate: the view's next ticket, the queue, or this ticket
        again (``[tui] after_send``)."""
        if self.desk.settings.tui.after_send == "stay":
            self.reload()
            return
        if self.desk.settings.tui.after_send == "queue":
            if self.app.screen is self:
                self.app.pop_screen()
            return
        self._open_next()

    def _open_next(self) -> None:
        if self.app.screen is not self:
            self.reload()  # a dialog is open: the agent is busy with it, on this ticket
            return
        desk = self.desk
        self._claim_next(self.view or desk.view(desk.settings.tui.default_view))

    @desk_work(thread=True, exclusive=True, group="next")
    def _claim_next(self, view: QueueView) -> None:
        self.post_message(messages.NextTicketFound.claim(self.desk, view))

    def on_next_ticket_found(self, message: messages.NextTicketFound) -> None:
        if message.error is not None:
            self.notify(message.error, title="Next ticket failed", severity="error")
            self.reload()  # the agent stays on this ticket
            return
        if self.app.screen is not self:
            # A dialog opened meanwhile: the agent is busy with it; the claim is let go.
            if message.ticket_id is not None:
                self.app.post_message(messages.ReleaseClaim(message.ticket_id))
            return
        if message.ticket_id is None:
            self.app.pop_screen()
            self.notify("No ticket in this view is waiting for an agent.", title="All done")
            return
        self.show_ticket(message.ticket_id, message.view)

    def action_regenerate(self) -> None:
        if self.ticket is not None:
            self.seen = len(self.ticket.messages)  # the new draft is written for these
        self.draft_pane.regenerate()

    @desk_work(exclusive=True, group="action")
    async def action_reset_password(self) -> None:
        if self._refused():
            return
        if await self._confirmed_for_customer(
            "Send a password reset link to [b]$email[/b]?", "Send reset"
        ):
            await self._run("Password reset", self.desk.reset_password(self.ticket_id))

    @desk_work(exclusive=True, group="action")
    async def action_unlock_account(self) -> None:
        """A locked-out customer: unlock through the identity connector, after asking."""
        if self._refused():
            return
        if await self._confirmed_for_customer("Unlock the account of [b]$email[/b]?", "Unlock"):
            await self._run("Account unlock", self.desk.unlock_account(self.ticket_id))

    async def _confirmed_for_customer(self, question: str, yes: str) -> bool:
        """Ask the agent to confirm an action on the ticket's customer (``$email`` in the
        question is theirs); False without asking when the ticket has no customer."""
        ticket = self.ticket
        assert ticket is not None
        if ticket.customer is None:
            self.notify("This ticket has no customer.", severity="error")
            return False
        asked = outside.markup(question, email=ticket.customer.email)
        confirmed: bool = await self.app.push_screen_wait(ConfirmScreen(asked, yes))
        return confirmed

    @desk_work(exclusive=True, group="action")
    async def action_cancel_subscription(self) -> None:
        """Preview both ways to cancel (period's end, or now with a credit), then cancel the
        way the agent picks through the billing connector."""
        if self._refused():
            return
        ticket = self.ticket
        assert ticket is not None
        if ticket.customer is None:
            self.notify("This ticket has no customer.", severity="error")
            return
        try:
            at_end = await self.desk.preview_cancellation(self.ticket_id, at_period_end=True)
            now = await self.desk.preview_cancellation(self.ticket_id, at_period_end=False)
        except DeskPilotError as error:
            self.notify(str(error), title="Cancellation unavailable", severity="error")
            return
        dialog = CancelSubscriptionScreen(ticket.customer.email, at_end, now)
        chosen = await self.app.push_screen_wait(dialog)
        if chosen is not None:
            await self._run("Cancellation", self.desk.cancel_subscription(self.ticket_id, chosen))

    @desk_work(exclusive=True, group="action")
    async def action_refund(self) -> None:
        if self._refused():
            return
        desk = self.desk
        try:
            invoices = await desk.customer_invoices(self.ticket_id)
        except DeskPilotError as error:
            self.notify(str(error), title="Refund unavailable", severity="error")
            return
        if not invoices:
            self.notify("No invoices for this customer.", severity="warning")
            return
        limits = desk.settings.actions
        # A read of the ticket: in a thread, as this worker runs on the event loop.
        named = await asyncio.to_thread(desk.named_invoice, self.ticket_id, invoices)
        request = await self.app.push_screen_wait(
            RefundScreen(invoices, limits.refund_limit_for(desk.agent), limits.currency, named)
        )
        if request is not None:
            await self._refund(request.invoice_id, request.amount, request.reason)

    async def _refund(self, invoice_id: str, amount: float, reason: str) -> None:
        """Refund; when the invoice was refunded within a day, ask first, naming that refund.
        A confirmation names the refund it saw: a newer one asks again."""
        confirm_after = ""
        while True:
            try:
                await self.desk.refund(
                    self.ticket_id,
                    invoice_id,
                    amount,
                    reason,
                    confirm_after=confirm_after,
                )
            except RefundNeedsConfirmation as asked:
                question = outside.markup(
                    "$earlier.\n\nRefund [b]$amount[/b] more?",
                    earlier=asked.earlier.describe(),
                    amount=f"{asked.earlier.currency} {asked.amount:,.2f}",
                )
                if not await self.app.push_screen_wait(ConfirmScreen(question, "Refund again")):
                    return
                confirm_after = asked.earlier.reference
                continue
            except DeskPilotError as error:
                self.notify(str(error), title="Refund failed", severity="error", markup=False)
                self.reload()  # a refund found after a lost answer is on the ticket now
                return
            break
        self.notify("Refund done")
        self.reload()

    @desk_work(exclusive=True, group="action")
    async def action_update_setting(self) -> None:
        """Billing email, plan or seats: pick, enter, preview (old -> new, proration), confirm."""
        if self._refused():
            return
        desk = self.desk
        if self.ticket is None or self.ticket.customer is None:
            self.notify("This ticket has no customer.", severity="error")
            return
        try:
            settings, plans = await desk.account_settings()
        except DeskPilotError as error:
            self.notify(str(error), title="Account settings unavailable", severity="error")
            return
        if not settings:
            self.notify("The billing connector cannot change account settings.", severity="warning")
            return

        async def preview(setting: str, value: str) -> SettingPreview:
            return await desk.preview_setting(self.ticket_id, setting, value)

        confirmed = await self.app.push_screen_wait(SettingScreen(settings, plans, preview))
        if confirmed is not None:
            await self._run(confirmed.title + " change", desk.update_setting(confirmed))

    @desk_work(exclusive=True, group="action")
    async def action_status_lookup(self) -> None:
        """Linked bugs' and orders' current status, in a dialog; changes nothing."""
        try:
            report = await self.desk.look_up_status(self.ticket_id)
        except DeskPilotError as error:
            self.notify(str(error), title="Status lookup failed", severity="error")
            return
        await self.app.push_screen_wait(StatusScreen(report.lines(), report.problems))

    @desk_work(exclusive=True, group="action")
    async def action_create_bug(self) -> None:
        if self._refused():
            return
        desk = self.desk
        ticket = self.ticket
        assert ticket is not None
        try:
            matches = await desk.similar_bugs(self.ticket_id)
        except DeskPilotError as error:
            self.notify(str(error), title="Bug tracker unavailable", severity="error")
            return
        # A read of the ticket: in a thread, as this worker runs on the event loop.
        description = await asyncio.to_thread(desk.bug_description, self.ticket_id)
        decision = await self.app.push_screen_wait(BugScreen(ticket.subject, description, matches))
        if decision is None:
            return
        if link_to := decision.link_to:
            self._act(
                f"Linked to {link_to}",
                lambda: desk.link_bug(self.ticket_id, link_to, decision.title),
            )
            return
        await self._run(
            "Bug filed",
            desk.create_bug(self.ticket_id, decision.title, decision.description),
        )

    async def _run(self, what: str, action: Awaitable[object]) -> None:
        try:
            await action
        except DeskPilotError as error:
            self.notify(str(error), title=f"{what} failed", severity="error")
            return
        self.notify(what + " done")
        self.reload()

    def action_back(self) -> None:
        if self.focused is self.draft_pane.editor:
            self.set_focus(None)
            return
        self._leave(self._pop)  # leaving the ticket keeps the unsent edit for next time

    def _pop(self) -> None:
        if self.app.screen is self:
            self.app.pop_screen()

    def _leave(self, then: Callable[[], None]) -> None:
        """Store the unsent edit off the event loop, then ``then`` (leave for the queue or
        another ticket): the ticket is left only once its edit is stored, so opening it again
        finds the newest text. Asked twice, the first leaving goes on."""
        if self._leaving is not None:
            return
        self._leaving = then
        if not self.draft_pane.keep():
            self._left()

    def on_draft_pane_kept(self, message: DraftPane.Kept) -> None:
        if message.problem:
            self._autosave_failed(message.problem)
        self._left()

    def on_autosave_failed(self, message: messages.AutosaveFailed) -> None:
        self._autosave_failed(message.error)

    def _autosave_failed(self, problem: str) -> None:
        self.notify(problem, title="Autosave failed", severity="error")

    def _left(self) -> None:
        then, self._leaving = self._leaving, None
        if then is not None and self.is_attached:
            then()


def _snooze_and_duplicates(desk: Desk, ticket: Ticket) -> Content:
    """A line under the title when the ticket sleeps, came back, was merged, or looks like a
    duplicate of the customer's other recent ticket (empty when none applies)."""
    lines = []
    if said := describe_snooze(ticket, desk.clock()):
        lines.append(outside.markup("\n[b $warning]$said[/]", said=said))
    if ticket.merged_into:
        lines.append(outside.markup("\nMerged into [b]$id[/b]", id=ticket.merged_into))
    elif ticket.status.is_open and (found := desk.duplicates(ticket.id)):
        lines.append(
            outside.markup(
                "\nLooks like a duplicate of [b]$ids[/b] · M merges",
                ids=", ".join(d.describe() for d in found),
            )
        )
    return Content("").join(lines) if lines else Content("")
