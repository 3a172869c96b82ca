"""The draft pane: the co-pilot's draft streamed into an editor the agent changes, and the
tracking of that edit (a training signal that is never lost).

The pane owns the editor, the line above it and the edit event: begun when a draft is shown,
autosaved while the agent types, ended when the draft is discarded, regenerated or replaced,
and handed to the screen for a send or an escalation. Every store call runs in a worker; what
the screen needs to hear (a draft shown, an edit ended, the edit kept before leaving) comes as
one of the pane's messages. The screen decides (sending, asking why); the pane never reaches
into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import TextArea
from textual.worker import Worker, WorkerState

from deskpilot.copilot.context import DraftOutcome, Listener
from deskpilot.errors import DeskPilotError
from deskpilot.feedback.autosave import Autosave, Autosaver
from deskpilot.models import EditEvent, EditOutcome
from deskpilot.tui import messages, outside
from deskpilot.tui.heap import freeze_long_lived_heap
from deskpilot.tui.widgets.draft_label import DraftLabel
from deskpilot.tui.workers import desk_work

if TYPE_CHECKING:
    from deskpilot.desk import Desk


@dataclass(frozen=True)
class Outgoing:
    """What a send (or an escalation's holding reply) takes from the pane: the editor's text
    and the draft's edit event, which the send ends in its own transaction."""

    text: str
    edit_id: str | None
    keystrokes: int
    from_macro: bool


class DraftPane(Vertical):
    """The draft's line and editor, and its edit event (see the module docstring)."""

    DEFAULT_CSS = """
    DraftPane { height: 1fr; min-height: 7; }
    DraftPane > #draft { height: 1fr; min-height: 6; }
    """

    # True while the co-pilot writes into the editor: read only, and no edit to track yet.
    drafting: reactive[bool] = reactive(False, init=False)
    # The line above the editor (who wrote the draft, or what is going on).
    note: reactive[Content | str] = reactive("Draft", init=False)

    @dataclass
    class Drafted(Message):
        """The co-pilot's draft is in the editor (its edit event is being begun)."""

        outcome: DraftOutcome

    @dataclass
    class DraftFailed(Message):
        """No draft came: the co-pilot failed (the line above the editor says why), or the
        agent put a macro in place of the draft still being written."""

        error: str

    @dataclass
    class EditEnded(Message):
        """The draft's edit event ended (discarded, regenerated, replaced by a macro)."""

        edit_id: str
        outcome: EditOutcome
        ticket_id: str  # the ticket the draft was for (the pane may show another one by now)

    @dataclass
    class EditBegun(Message):
        """The edit event of the draft shown is stored (``generation``: which draft it was)."""

        edit_id: str | None
        generation: int
        error: str | None = None

    class Settled(Message):
        """The shown draft's edit event is stored (or could not be): a send may go now."""

    @dataclass
    class TrackingFailed(Message):
        """Ending the draft's edit event failed: the agent is told, the editor goes on."""

        error: str

    @dataclass
    class MacroFilled(Message):
        """A macro's text for this ticket, read off the event loop (or why it could not be)."""

        name: str
        text: str | None
        error: str | None = None
        ticket_id: str = ""  # the ticket it was filled for

    @dataclass
    class Kept(Message):
        """The unsent edit is stored (``problem``: or why not): the agent may leave now."""

        problem: str | None

    def __init__(self, desk: Desk, ticket_id: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.desk = desk
        self.ticket_id = ticket_id
        self.outcome: DraftOutcome | None = None  # the co-pilot's last draft
        # The edit event of the draft in the editor: autosaved while the agent types.
        self.edit_id: str | None = None
        self.keystrokes = 0
        self.from_macro = False  # the agent put a macro in place of the draft
        self._autosaver = Autosaver()
        # Each draft shown (or restored, replaced, discarded) is a new generation: the edit
        # event begun for an older one is not the editor's any more.
        self._generation = 0
        self._beginning = False  # the shown draft's edit event is being stored
        # The text the pane itself put in the editor: the editor's change messages arrive after
        # the change, so one still queued from the streaming is told from the agent's typing
        # by the text (what the pane placed is no keystroke).
        self._placed = ""
        # The first generation of the ticket shown: a result for an older one is the ticket's
        # the pane showed before (``show_ticket``), and dropped.
        self._ticket_generation = 0

    def compose(self) -> ComposeResult:
        yield DraftLabel("Draft", id="draft-label")
        yield TextArea(id="draft", soft_wrap=True)

    def on_mount(self) -> None:
        self.set_interval(self.desk.settings.feedback.autosave_seconds, self.autosave)

    @property
    def editor(self) -> TextArea:
        return self.query_one("#draft", TextArea)

    @property
    def text(self) -> str:
        return self.editor.text

    @property
    def settling(self) -> str | None:
        """What the pane is still doing that a send must not overtake, or None."""
        if self._beginning:
            return "starting the draft's edit tracking"
        return None

    def watch_drafting(self, drafting: bool) -> None:
        self.editor.read_only = drafting

    def watch_note(self, note: Content | str) -> None:
        self.query_one(DraftLabel).note = note

    # --- what goes in the editor -------------------------------------------------------------

    def write(self, same_as: str | None = None) -> None:
        """Let the co-pilot write a draft into the editor (``same_as``: see ``_draft``)."""
        self.drafting = True
        self._generation += 1
        self._draft(same_as)

    @desk_work(exclusive=True, group="draft")
    async def _draft(self, same_as: str | None) -> None:
        """Stream the co-pilot's draft into the editor as it is written. ``same_as``: a
        regenerate of this untouched draft, whose edit event stays open until the new text
        differs (the same text again is said, not recorded as a new draft shown)."""
        editor = self.editor
        editor.load_text("")
        self.drafting = True
        self.note = "Draft · the co-pilot is writing…"

        def append(chunk: str) -> None:
            # The editor shows (and so sends) a model's control characters as stand-ins.
            editor.insert(outside.plain(chunk), editor.document.end)

        def status(line: str) -> None:
            self.note = outside.markup("Draft · $line…", line=line)

        listener = Listener(chunk=append, restart=lambda: editor.load_text(""), status=status)
        try:
            outcome = await self.desk.draft_reply(self.ticket_id, listener)
        except DeskPilotError as error:
            self.note = outside.markup(
                "[red]No draft:[/red] $error · e to write your own", error=str(error)
            )
            self.post_message(self.DraftFailed(str(error)))
            return
        finally:
            self.drafting = False
        self.outcome = outcome
        if editor.text != outside.plain(outcome.draft.text):
            editor.load_text(outside.plain(outcome.draft.text))
        self._placed = editor.text
        _show_from_the_top(editor)
        self.note = _draft_label(outcome)
        self.post_message(self.Drafted(outcome))
        # The draft loaded what the desk keeps (index, models, records): out of the collector's
        # sight before the agent sends (tui/heap.py).
        self.call_after_refresh(freeze_long_lived_heap)
        if same_as is not None and outcome.draft.text == same_as:
            self.notify("The co-pilot wrote the same draft again.", title="Regenerated")
            return  # the open edit event goes on: nothing new was shown
        if same_as is not None:
            self._end_edit(EditOutcome.REGENERATED, final_text=outside.plain(same_as))
        self._begin_edit(outcome)

    def regenerate(self) -> None:
        """A fresh draft; an untouched one's edit event ends only if the new text differs."""
        shown = self.outcome.draft.text if self.outcome is not None else None
        if shown is not None and self.edit_id and self.text == outside.plain(shown):
            self.write(same_as=shown)
            return
        self._end_edit(EditOutcome.REGENERATED)
        self.write()

    def restore(self, unsent: EditEvent) -> None:
        """The agent's unsent edit of this ticket, back in the editor where they left it."""
        self._generation += 1
        self.edit_id = unsent.id
        self.keystrokes = unsent.keystrokes
        shown = outside.plain(unsent.current_text)
        self._autosaver.shown(shown)
        self._place(shown)
        _show_from_the_top(self.editor)
        self.note = outside.text(
            f"Draft · your unsent edit from {unsent.updated_at:%Y-%m-%d %H:%M}, restored · "
            "r for a fresh draft"
        )

    def use_macro(self, name: str) -> None:
        """The macro, filled in for this ticket (read off the loop), in place of the draft."""
        self._fill_macro(name, self.ticket_id)

    @desk_work(thread=True, exclusive=True, group="macro")
    def _fill_macro(self, name: str, ticket_id: str) -> None:
        try:
            text = self.desk.macro(name, ticket_id)
        except DeskPilotError as error:
            self.post_message(self.MacroFilled(name, None, str(error), ticket_id))
            return
        self.post_message(self.MacroFilled(name, text, ticket_id=ticket_id))

    def on_draft_pane_macro_filled(self, message: DraftPane.MacroFilled) -> None:
        message.stop()
        if message.ticket_id != self.ticket_id:
            return  # filled for the ticket the pane showed before
        if message.text is None:
            self.notify(message.error or "", title="Macro failed", severity="error")
            return
        if self.drafting:
            # The agent chose the macro: the draft still being written must not overwrite it.
            self.workers.cancel_group(self, "draft")
            self.drafting = False
            self.post_message(self.DraftFailed("replaced by a macro"))
        self._place(outside.plain(message.text))
        self.from_macro = True
        self.note = outside.markup(
            "Draft · macro $name in place of the co-pilot's draft · a sends", name=message.name
        )

    def _place(self, text: str) -> None:
        self._placed = text
        self.editor.load_text(text)

    def discard(self) -> None:
        """Empty the editor; the draft's edit event ends as discarded (``EditEnded``)."""
        self._end_edit(EditOutcome.DISCARDED)
        self._generation += 1
        self._place("")
        self.note = outside.text("Draft · discarded · e to write your own")

    # --- the edit event ------------------------------------------------------------------------

    def _begin_edit(self, outcome: DraftOutcome) -> None:
        self.keystrokes = 0
        self._autosaver.shown(outside.plain(outcome.draft.text))
        self._beginning = True
        self._store_draft_shown(outcome, self._generation)

    @desk_work(thread=True, group="edit")
    def _store_draft_shown(self, outcome: DraftOutcome, generation: int) -> None:
        try:
            edit_id = self.desk.draft_shown(
                outcome.draft, outcome.draft_id, intent=outcome.context.ticket.intent
            )
        except DeskPilotError as error:
            self.post_message(self.EditBegun(None, generation, str(error)))
            return
        self.post_message(self.EditBegun(edit_id, generation))

    def on_draft_pane_edit_begun(self, message: DraftPane.EditBegun) -> None:
        message.stop()
        if message.generation < self._ticket_generation:
            return  # the draft of the ticket shown before: its event stays open, as on leaving
        self._beginning = False
        self.post_message(self.Settled())
        if message.edit_id is None:
            self.notify(message.error or "", title="Edit tracking failed", severity="warning")
            return
        if message.generation == self._generation and self.edit_id is None:
            self.edit_id = message.edit_id
            return
        # The draft it was begun for is gone (discarded, replaced) before it was stored.
        self._finish_edit(
            self.ticket_id, message.edit_id, EditOutcome.DISCARDED, None, self.keystrokes
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A begin that ended on an unexpected error (the app tells the agent) holds nothing
        back: a send waiting for it goes, without the edit event."""
        failed = event.state in {WorkerState.ERROR, WorkerState.CANCELLED}
        if failed and event.worker.name == "_store_draft_shown" and self._beginning:
            self._beginning = False
            self.post_message(self.Settled())

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        tracked = self.edit_id is not None or self._beginning
        typed = event.text_area is self.editor and event.text_area.text != self._placed
        if typed and tracked and not self.drafting:
            self.keystrokes += 1

    def _end_edit(self, outcome: EditOutcome, final_text: str | None = None) -> None:
        """End the current edit event off the event loop; ``EditEnded`` says when it is."""
        edit_id, self.edit_id = self.edit_id, None
        if edit_id is None:
            return
        text = self.text if final_text is None else final_text
        self._finish_edit(self.ticket_id, edit_id, outcome, text, self.keystrokes)

    @desk_work(thread=True, group="edit")
    def _finish_edit(
        self,
        ticket_id: str,
        edit_id: str,
        outcome: EditOutcome,
        text: str | None,
        keystrokes: int,
    ) -> None:
        try:
            self.desk.end_edit(edit_id, outcome, final_text=text, keystrokes=keystrokes)
        except DeskPilotError as error:
            self.post_message(self.TrackingFailed(str(error)))
            return
        self.post_message(self.EditEnded(edit_id, outcome, ticket_id))

    def on_draft_pane_tracking_failed(self, message: DraftPane.TrackingFailed) -> None:
        message.stop()
        self.notify(message.error, title="Edit tracking failed", severity="warning")

    def take_outgoing(self) -> Outgoing:
        """The text and edit event for a send: the event goes with it (no autosave after it)
        and comes back through ``give_back`` if the send fails."""
        edit_id, self.edit_id = self.edit_id, None
        return Outgoing(self.text, edit_id, self.keystrokes, self.from_macro)

    def take_edit(self) -> str | None:
        """The edit event alone, for an escalation (its holding reply ends it)."""
        edit_id, self.edit_id = self.edit_id, None
        return edit_id

    def give_back(self, edit_id: str | None) -> None:
        """The send did not go: the draft's edit goes on, autosaved again."""
        if self.edit_id is None:
            self.edit_id = edit_id

    def show_ticket(self, ticket_id: str) -> None:
        """Another ticket in this pane (the screen shows the view's next one): the old ticket's
        draft stops, the editor empties, and its edit event is let go (kept before leaving it,
        restored when it is opened again; writes under way finish). Results the pane's workers
        bring for the old ticket are dropped."""
        self.workers.cancel_group(self, "draft")
        self.workers.cancel_group(self, "macro")
        self.ticket_id = ticket_id
        self.outcome = None
        self.edit_id = None
        self.keystrokes = 0
        self.from_macro = False
        self._generation += 1
        self._ticket_generation = self._generation
        self._beginning = False
        self.drafting = False
        self.note = "Draft"
        self._autosaver.shown("")  # one autosaver throughout: its order spans the tickets
        self._place("")

    def sent(self) -> None:
        self._generation += 1
        self.from_macro = False
        self._place("")

    # --- autosave ------------------------------------------------------------------------------

    def _ask_autosave(self) -> Autosave | None:
        if self.edit_id is None or self.drafting or not self.is_mounted:
            return None
        return self._autosaver.ask(self.edit_id, self.text, self.keystrokes)

    def autosave(self) -> None:
        """Every second while editing: the editor's text, if it changed, written off the UI
        thread."""
        if (save := self._ask_autosave()) is not None:
            self._save_revision(save)

    @desk_work(thread=True, group="autosave")
    def _save_revision(self, save: Autosave) -> None:
        problem = self._autosaver.write(save, self.desk.autosave_edit)
        if problem:  # the screen tells the agent; the same text is saved at the next tick
            self.post_message(messages.AutosaveFailed(save.text, problem))

    def keep(self) -> bool:
        """Before the agent leaves the ticket: store the unsent edit off the loop, and say so
        with ``Kept`` (True), or False when there is nothing to store (leave at once)."""
        if (save := self._ask_autosave()) is None:
            return False
        self._keep(save)
        return True

    @desk_work(thread=True, group="keep")
    def _keep(self, save: Autosave) -> None:
        self.post_message(self.Kept(self._autosaver.write(save, self.desk.autosave_edit)))


def _show_from_the_top(editor: TextArea) -> None:
    """The agent reads a draft from its greeting: streaming left the cursor (and the view) at
    its end."""
    editor.move_cursor((0, 0))
    editor.scroll_home(animate=False, immediate=True)


def _draft_label(outcome: DraftOutcome) -> Content:
    draft = outcome.draft
    sources = ", ".join(f"{s.kind} {s.ref}" for s in draft.sources) or "no sources"
    by = draft.drafter + (f" {draft.model}" if draft.model else "")
    triage = outcome.context.triage
    # The draft's own confidence (what its sources answer), apart from the intent's.
    label = outside.markup(
        "Draft · $by · draft confidence $confidence ($basis) · intent $intent · $sources",
        by=by,
        confidence=f"{draft.confidence:.0%}",
        basis=outcome.confidence_basis or "not measured",
        intent=f"{triage.confidence:.0%}" if triage else "not triaged",
        sources=sources,
    )
    if draft.handoff_reason:
        label += outside.markup(
            " · [b $warning]human recommended:[/] $reason", reason=draft.handoff_reason
        )
    if outcome.notice:
        label += outside.markup(" · $notice", notice=outcome.notice)
    return label
