"""The queue: open tickets an agent works through, with saved views, sorting, filter, search."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.geometry import Size
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from deskpilot.errors import DeskPilotError, SearchCancelled
from deskpilot.models import TicketSummary
from deskpilot.queue.views import QueueView, order_label
from deskpilot.store import SORT_KEYS
from deskpilot.tui import keymap, messages, outside
from deskpilot.tui.widgets.footer import DeskFooter
from deskpilot.tui.widgets.queue_table import PAGE, QueueHeader, QueueTable
from deskpilot.tui.workers import desk_work

if TYPE_CHECKING:
    from deskpilot.desk import Desk
    from deskpilot.queue.watch import QueueWatcher

SORTABLE = [key for key in SORT_KEYS if key != "updated"]


class SearchBox(Input):
    """The search field. Its virtual width is its text's, which Textual's widgets declare as
    needing a layout pass: every keystroke laid out and repainted the whole screen (the
    queue's rows too) while the search ran beside it. The field's size never changes with
    its text (its width is the screen's, its height fixed), so a repaint is enough."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


class QueueScreen(Screen[None]):
    BINDINGS = keymap.bindings(keymap.QUEUE)
    DEFAULT_CSS = """
    QueueScreen #views { height: 1; padding: 0 1; background: $boost; }
    QueueScreen #search { display: none; height: 3; border: tall $accent; }
    QueueScreen #search.-active { display: block; }
    QueueScreen #status { height: 1; padding: 0 1; color: $text-muted; background: $boost; }
    """

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.view_name = ""
        self.base_view: QueueView | None = None  # the saved view, with sort and filter changes
        self.shown_view: QueueView | None = None  # what the table shows (search applied)
        self.search_text = ""
        self._watcher: QueueWatcher | None = None
        self._checking = False

    def compose(self) -> ComposeResult:
        desk = self.desk
        yield Static(id="views")
        yield SearchBox(placeholder="Search subject, message, customer…", id="search")
        yield QueueHeader(id="header")
        yield QueueTable(
            lambda _offset, _limit: [], desk.settings.sla, desk.clock, desk.agent, id="queue"
        )
        yield Static(id="status")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.switch_view(self.desk.settings.tui.default_view)
        self.query_one(QueueTable).focus()
        self._watch_queue()

    # --- live queue: tickets that arrive or change elsewhere -------------------------------

    def _watch_queue(self) -> None:
        seconds = self.desk.settings.tui.refresh_seconds
        if seconds > 0:
            self._watcher = self.desk.queue_watcher()
            self.set_interval(seconds, self._poll, name="queue-watch")

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.close()

    def on_screen_resume(self) -> None:
        # Covered by a ticket, the queue does not look (``_poll``): what changed meanwhile (the
        # reply just sent, tickets that arrived) shows as the agent comes back, not a tick later.
        if self._watcher is not None:
            self._poll()

    def _poll(self) -> None:
        # Only the screen the agent looks at, one check at a time: idle costs one cheap query.
        if self.is_current and not self._checking and self.shown_view is not None:
            self._checking = True
            self._check_queue()

    @desk_work(thread=True, group="queue-watch")
    def _check_queue(self) -> None:
        assert self._watcher is not None
        try:
            changed = self._watcher.changed()
        except Exception:
            changed = False  # a busy or briefly unreachable database: try again next tick
        if not get_current_worker().is_cancelled:
            self.post_message(messages.QueueChecked(changed))

    def on_queue_checked(self, message: messages.QueueChecked) -> None:
        changed = message.changed
        self._checking = False
        if changed and self.shown_view is not None:
            self.desk.queue_changed()
            self._reload(self.shown_view, self.search_text)
        if self._watcher is not None and self._watcher.blocks:
            self._poll()  # listen again at once: a change right after this one shows as fast

    @desk_work(thread=True, exclusive=True, group="queue-reload")
    def _reload(self, shown: QueueView, query: str) -> None:
        desk = self.desk
        base = self.base_view
        view = desk.search(query, base) if query and base is not None else shown
        total = desk.count(view)
        self.post_message(messages.QueueReloaded(shown, view, total))

    def on_queue_reloaded(self, message: messages.QueueReloaded) -> None:
        shown, view, total = message.shown, message.view, message.total
        if shown is not self.shown_view:
            return  # the agent switched views meanwhile: that load is the newer truth
        self.shown_view = view
        desk = self.desk
        self.query_one(QueueTable).reload(
            lambda offset, limit: desk.page(view, offset, limit), total
        )
        self._render_status(total)

    # --- views and loading -----------------------------------------------------------------

    def switch_view(self, name: str) -> None:
        self.view_name = name
        self.base_view = self.desk.view(name)
        self.search_text = ""
        self.query_one("#search", Input).value = ""
        self.show(self.base_view)

    def show(self, view: QueueView) -> None:
        self.workers.cancel_group(self, "queue-search")  # its results would replace these
        self.shown_view = view
        self._render_views()
        self._count(view)

    @desk_work(thread=True, exclusive=True, group="queue-count")
    def _count(self, view: QueueView) -> None:
        self.post_message(messages.QueueCounted(view, self.desk.count(view)))

    def on_queue_counted(self, message: messages.QueueCounted) -> None:
        self._counted(message.view, message.total)

    def _counted(
        self, view: QueueView, total: int, first_page: list[TicketSummary] | None = None
    ) -> None:
        if view is not self.shown_view:
            return
        desk = self.desk
        table = self.query_one(QueueTable)
        table.reset(lambda offset, limit: desk.page(view, offset, limit), total, first_page)
        header = self.query_one(QueueHeader)
        header.show(table.size.width or self.size.width, view.sort, view.descending)
        self._render_status(total)

    def on_resize(self) -> None:
        if self.shown_view is not None:
            self.query_one(QueueHeader).show(
                self.size.width, self.shown_view.sort, self.shown_view.descending
            )

    def _render_views(self) -> None:
        parts = []
        for number, (name, title) in enumerate(self.desk.view_titles().items(), start=1):
            label = outside.plain(f" {number} {title} ", one_line=True)
            parts.append((label, "reverse") if name == self.view_name else label)
        # One line whatever it says (the CSS fixes its height): no layout pass for the screen.
        self.query_one("#views", Static).update(Content.assemble(*parts), layout=False)

    def _render_status(self, total: int) -> None:
        view = self.shown_view
        assert view is not None
        where = view.where
        filters = [
            f"{label}={value}"
            for label, value in (
                ("intent", where.intent),
                ("priority", where.priority.value if where.priority else None),
                ("agent", where.assignee),
            )
            if value
        ]
        if self.search_text:
            filters.append(f'search="{self.search_text}"')
        order = order_label(view.sort, view.descending)
        text = f"{total:,} tickets · sorted by {view.sort} ({order})"
        # The search and the filter values are typed by the agent: text, never markup.
        # One line, so no layout pass: a keystroke's results repaint without one (it cost the
        # whole screen's layout, 15-30 ms on a busy machine, before the rows showed).
        self.query_one("#status", Static).update(
            outside.text(text + (" · " + ", ".join(filters) if filters else ""), one_line=True),
            layout=False,
        )

    # --- search ----------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("-active")
        search.focus()
        if self.base_view is not None:
            self._prepare_search(self.base_view)

    @desk_work(thread=True, exclusive=True, group="queue-search-prepare")
    def _prepare_search(self, base: QueueView) -> None:
        # The tickets' texts are read while the agent types the first characters, instead of
        # after the first one (the first keystroke waits for what is left of the read).
        self.desk.prepare_search(base)
        self.post_message(messages.SearchPrepared())

    def on_search_prepared(self) -> None:
        if self.search_text:
            self._search(self.search_text)  # keystrokes meanwhile searched the older texts

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value.strip()
        self._search(self.search_text)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one(QueueTable).focus()

    @desk_work(exclusive=True, group="queue-search")
    async def _search(self, query: str) -> None:
        # exclusive: each keystroke cancels the search the previous one started (its typo pass
        # stops at its next chunk, and nothing it found is shown). The blocking parts run in
        # the loop's thread pool: no thread to start per keystroke, no hop back to the UI.
        base = self.base_view
        assert base is not None
        if not query:
            self.show(base)
            return
        desk = self.desk
        worker = get_current_worker()
        # The id and exact matches first, read with their count and first page: the queue
        # repaints at once. The near-misses then join them.
        # Only the rows in view are read first (fewer rows to convert while the agent waits).
        in_view = min(PAGE, max(1, self.query_one(QueueTable).size.height))
        exact, total, first_page = await asyncio.to_thread(
            _exact_matches, desk, query, base, in_view
        )
        self.shown_view = exact  # the views bar stays as it is: a search changes no view
        self._counted(exact, total, first_page)
        if desk.search_is_stale():
            self._prepare_search(base)  # read afresh in a worker, then this search again
        # The typo pass starts once those rows are on screen: scoring in a thread meanwhile
        # would take the interpreter from the repaint the agent is waiting for.
        painted = asyncio.Event()
        self.call_after_refresh(painted.set)
        await painted.wait()
        try:
            complete = await asyncio.to_thread(
                desk.search, query, base, cancelled=lambda: worker.is_cancelled, stale_ok=True
            )
        except SearchCancelled:
            return
        if complete.where.ids != exact.where.ids and self.shown_view is exact:
            total = await asyncio.to_thread(desk.count, complete)
            self._more_found(complete, total)

    def _more_found(self, complete: QueueView, total: int) -> None:
        self.shown_view = complete
        desk = self.desk
        # As a live change: the rows shown stay until the pages with the near-misses land.
        self.query_one(QueueTable).reload(
            lambda offset, limit: desk.page(complete, offset, limit), total
        )
        self._render_status(total)

    def action_clear(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_class("-active") or self.search_text:
            search.value = ""
            search.remove_class("-active")
            self.search_text = ""
            assert self.base_view is not None
            self.show(self.base_view)
            self.query_one(QueueTable).focus()

    # --- sort, filter, views ---------------------------------------------------------------

    def _resort(self, view: QueueView) -> None:
        self.base_view = view
        shown = self.shown_view
        ids = shown.where.ids if shown else None
        self.show(view.filtered(ids=ids) if ids is not None else view)

    def action_sort_next(self) -> None:
        assert self.base_view is not None
        position = SORTABLE.index(self.base_view.sort) if self.base_view.sort in SORTABLE else -1
        self._resort(self.base_view.sorted_by(SORTABLE[(position + 1) % len(SORTABLE)]))

    def action_sort_reverse(self) -> None:
        assert self.base_view is not None
        self._resort(self.base_view.sorted_by(self.base_view.sort))

    def action_next_view(self) -> None:
        names = list(self.desk.view_titles())
        self.switch_view(names[(names.index(self.view_name) + 1) % len(names)])

    def action_filter(self) -> None:
        from deskpilot.tui.screens.filter import FilterScreen

        assert self.base_view is not None

        def apply(view: QueueView | None) -> None:
            if view is not None:
                self._resort(view)

        self.app.push_screen(FilterScreen(self.base_view, self.desk), apply)

    def action_refresh(self) -> None:
        self.desk.queue_changed()  # searches read the tickets afresh too (keystrokes reuse them)
        self.switch_view(self.view_name)

    def action_view(self, number: int) -> None:
        """The ``number``-th saved view (the number keys, remappable as ``view_1``...); the
        search box keeps its digits, as it has the focus."""
        names = list(self.desk.view_titles())
        if 1 <= number <= len(names):
            self.switch_view(names[number - 1])

    def action_open_ticket(self) -> None:
        """The ticket under the cursor (enter, or "Open" in the command palette)."""
        self.query_one(QueueTable).action_open()

    @on(QueueTable.Opened)
    def _open(self, event: QueueTable.Opened) -> None:
        self.post_message(messages.OpenTicket(event.ticket_id, self.base_view))

    # --- ownership: take, assign, give me the next one ------------------------------------

    def action_next_ticket(self) -> None:
        """The best ticket of this view nobody else owns or has open: claimed, assigned to the
        agent, and opened (found off the event loop: a query over the whole view)."""
        self._claim_next(self.base_view)

    @desk_work(thread=True, exclusive=True, group="next")
    def _claim_next(self, view: QueueView) -> None:
        self.post_message(messages.NextTicketFound.claim(self.desk, view))

    def on_next_ticket_found(self, message: messages.NextTicketFound) -> None:
        if message.error is not None:
            self.notify(message.error, title="Next ticket failed", severity="error")
        elif message.ticket_id is None:
            self.notify("No ticket in this view is waiting for an agent.", title="All done")
        elif self.app.screen is self:
            self.post_message(messages.OpenTicket(message.ticket_id, message.view))
        else:
            # A dialog opened meanwhile: the agent is busy with it; the claim is let go.
            self.app.post_message(messages.ReleaseClaim(message.ticket_id))

    def action_take(self) -> None:
        current = self.query_one(QueueTable).current
        if current is not None:
            self._own(current.id, "me")

    def action_assign(self) -> None:
        from deskpilot.tui.screens.flow_modals import AssignScreen

        current = self.query_one(QueueTable).current
        if current is None:
            return
        members = self.desk.settings.team.members

        def assign(agent: str | None) -> None:
            if agent:
                self._own(current.id, agent)

        self.app.push_screen(AssignScreen(current.id, members, current.assignee), assign)

    @desk_work(thread=True, group="own")
    def _own(self, ticket_id: str, agent: str) -> None:
        """Take or assign (a write and its audit entry), off the event loop."""
        desk = self.desk
        try:
            who = desk.assign(ticket_id, agent, via="take" if agent == "me" else "assign")
        except DeskPilotError as error:
            self.post_message(messages.TicketOwned(ticket_id, None, str(error)))
            return
        desk.queue_changed()
        self.post_message(messages.TicketOwned(ticket_id, who))

    def on_ticket_owned(self, message: messages.TicketOwned) -> None:
        if message.owner is None:
            self.notify(message.error or "", title="Assign failed", severity="error")
            return
        owner = "yours" if message.owner == self.desk.agent else f"{message.owner}'s"
        self.notify(f"{message.ticket_id} is now {owner}")
        if self.shown_view is not None:
            self._reload(self.shown_view, self.search_text)


def _exact_matches(
    desk: Desk, query: str, base: QueueView, rows: int
) -> tuple[QueueView, int, list[TicketSummary]]:
    """The search's fast part, with what the queue needs to show it: count and first rows.
    Tickets changed elsewhere since the texts were read do not hold the keystroke up: the
    live queue's reload (or ctrl+r) reads them again and repaints."""
    exact = desk.search(query, base, typos=False, stale_ok=True)
    first_rows, total = desk.first_page(exact, rows)
    return exact, total, first_rows
