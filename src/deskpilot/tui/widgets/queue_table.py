"""The queue table: a virtual list over the store that loads and renders only what is visible.

Rows arrive in pages from a loader run in a thread worker; a missing row renders as a
placeholder until its page lands. Changing the filter resets the table without rebuilding
anything: 100,000 tickets cost one COUNT and one page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from deskpilot.config import SlaSettings
from deskpilot.models import TicketSummary
from deskpilot.queue.sla import SlaState, age_text, sla_state
from deskpilot.queue.views import shows_descending
from deskpilot.terminal_text import visible
from deskpilot.tui import keymap
from deskpilot.tui.messages import PageLoaded
from deskpilot.tui.workers import desk_work

PAGE = 100
PageLoader = Callable[[int, int], list[TicketSummary]]


@dataclass(frozen=True)
class Column:
    key: str  # the sort key it stands for
    title: str
    width: int  # 0: takes the rest of the line
    narrow: int  # its width on an 80-column terminal (0: hidden there)
    min_terminal: int = 0  # hidden below this width


COLUMNS = (
    Column("id", "Ticket", 10, 9),
    Column("age", "Age", 5, 4),
    Column("sla", "SLA", 9, 8),
    Column("priority", "Pri", 7, 6),
    Column("intent", "Intent", 20, 14),
    Column("sentiment", "Mood", 9, 0, min_terminal=110),
    Column("customer", "Customer", 24, 16),
    Column("assignee", "Agent", 10, 0, min_terminal=120),
    Column("subject", "Subject", 0, 0),
)
NARROW_BELOW = 110


def visible_columns(width: int) -> list[Column]:
    if width < NARROW_BELOW:
        return [
            Column(c.key, c.title, c.narrow, c.narrow) for c in COLUMNS if c.narrow or not c.width
        ]
    return [c for c in COLUMNS if width >= c.min_terminal]


CLAIM_MARK = "⚑"
UNREAD_MARK = "●"  # a customer's message came through a channel and nobody has opened it yet
SNOOZE_MARK = "⏰ back"  # snoozed, and back (its time came or the customer wrote); not yet opened


def cells(
    ticket: TicketSummary, now: datetime, sla: SlaSettings, agent: str = ""
) -> dict[str, str]:
    """The row's text per column; a ticket another agent is working is marked in its subject
    (every width shows the subject). Rows are segments written as they are (no markup), so
    each value only needs its control characters and line breaks shown as stand-ins."""
    tier = f" ({ticket.tier.value})" if ticket.tier else ""
    other = ticket.handled_by_other(agent, now)
    subject = f"{CLAIM_MARK} handled by {other} · {ticket.subject}" if other else ticket.subject
    if ticket.back_from_snooze(now):
        subject = f"{SNOOZE_MARK} {subject}"
    if ticket.unread:
        subject = f"{UNREAD_MARK} {subject}"
    values = {
        "id": ticket.id,
        "age": age_text(ticket.created_at, now),
        "sla": sla_state(ticket, now, sla).value,
        "priority": ticket.priority.value,
        "intent": ticket.intent or "-",
        "sentiment": ticket.sentiment.value if ticket.sentiment else "-",
        "customer": (ticket.customer_name or ticket.customer_email or "-") + tier,
        "assignee": ticket.assignee or "-",
        "subject": subject,
    }
    return {key: visible(value, one_line=True) for key, value in values.items()}


def layout_line(values: dict[str, str], columns: list[Column], width: int) -> list[tuple[str, str]]:
    """(column key, padded text) pairs that fill exactly ``width`` cells."""
    fixed = sum(c.width + 1 for c in columns if c.width)
    rest = max(8, width - fixed)
    parts = []
    for column in columns:
        size = column.width or rest
        text = values.get(column.key, "")
        text = text if len(text) <= size else text[: size - 1] + "…"
        parts.append((column.key, text.ljust(size) + (" " if column.width else "")))
    return parts


@dataclass(frozen=True)
class _RowStyles:
    base: Style
    cursor: Style
    placeholder: Style
    breached: Style  # the foregrounds below: the row's background shows through
    due: Style
    urgent: Style
    claimed: Style


_PLAIN = Style()


class QueueHeader(Static):
    DEFAULT_CSS = """
    QueueHeader { height: 1; background: $panel; color: $text-muted; text-style: bold; }
    """

    _line = ""

    def show(self, width: int, sort: str, descending: bool) -> None:
        arrow = " ▼" if shows_descending(sort, descending) else " ▲"
        titles = {c.key: c.title + (arrow if c.key == sort else "") for c in COLUMNS}
        columns = visible_columns(width)
        line = "".join(text for _key, text in layout_line(titles, columns, width))
        if line != self._line:  # every search shows it again, mostly unchanged
            self._line = line
            self.update(line, layout=False)  # one line: its height never changes


class QueueTable(ScrollView, can_focus=True):
    """Rows of tickets; ``reset`` points it at a new result set of ``total`` rows."""

    DEFAULT_CSS = """
    QueueTable { height: 1fr; background: $surface; overflow-x: hidden; }
    QueueTable > .queue-table--cursor { background: $accent 40%; text-style: bold; }
    QueueTable:focus > .queue-table--cursor { background: $accent 60%; }
    QueueTable > .queue-table--breached { color: $error; }
    QueueTable > .queue-table--due { color: $warning; }
    QueueTable > .queue-table--urgent { color: $error; text-style: bold; }
    QueueTable > .queue-table--placeholder { color: $text-disabled; }
    QueueTable > .queue-table--claimed { color: $warning; }
    """
    COMPONENT_CLASSES = {
        "queue-table--cursor",
        "queue-table--breached",
        "queue-table--due",
        "queue-table--urgent",
        "queue-table--placeholder",
        "queue-table--claimed",
    }
    BINDINGS = keymap.bindings(keymap.QUEUE_TABLE)  # opening is the screen's (enter)

    cursor: reactive[int] = reactive(0)

    class Opened(Message):
        def __init__(self, ticket_id: str) -> None:
            super().__init__()
            self.ticket_id = ticket_id

    class Highlighted(Message):
        def __init__(self, ticket: TicketSummary | None) -> None:
            super().__init__()
            self.ticket = ticket

    def __init__(
        self,
        loader: PageLoader,
        sla: SlaSettings,
        clock: Callable[[], datetime],
        agent: str = "",
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._agent = agent  # whose desk this is: others' claims are marked
        self._loader = loader
        self._sla = sla
        self._clock = clock
        self._pages: dict[int, list[TicketSummary]] = {}
        self._stale: dict[int, list[TicketSummary]] = {}  # shown until a reload's pages land
        # A result set's first rows, read with it (a search's, as many as the table shows): the
        # rest of their page loads only when a row past them is looked at.
        self._head: list[TicketSummary] = []
        self._keep: str | None = None  # after a reload: the ticket the cursor stays on
        self._loading: set[int] = set()
        self._generation = 0
        self._styles: _RowStyles | None = None
        self.total = 0

    # --- data ------------------------------------------------------------------------------

    def reset(
        self, loader: PageLoader, total: int, first_page: list[TicketSummary] | None = None
    ) -> None:
        """Show a new result set; pages load as they come into view. ``first_page``: its
        first rows, already read (a search reads them with its count), shown at once: a
        whole page, or the rows in view (the rest of that page loads when looked at)."""
        self._loader = loader
        self._generation += 1
        self._pages.clear()
        self._stale.clear()
        self._head = []
        self._keep = None
        self._loading.clear()
        if first_page is not None and len(first_page) >= min(PAGE, total):
            self._pages[0] = first_page
        elif first_page is not None:
            self._head = first_page
        self.total = total
        self.virtual_size = Size(self.size.width, total)
        self.cursor = min(self.cursor, max(0, total - 1))
        self.scroll_to(y=0, animate=False)
        self.cursor = 0
        self.refresh()
        if first_page is not None:
            self.post_message(self.Highlighted(self.row(0)))

    def reload(self, loader: PageLoader, total: int) -> None:
        """The same result set, changed underneath (tickets arrived or changed): the visible
        pages load again while the old rows stay on screen, so nothing flickers, and the
        cursor stays on its ticket wherever that ticket moved in the loaded pages."""
        current = self.current
        self._keep = current.id if current is not None else None
        self._loader = loader
        self._generation += 1
        if self._head:
            self._stale[0] = self._head
            self._head = []
        self._stale.update(self._pages)
        self._pages.clear()
        self._loading.clear()
        self.total = total
        self.virtual_size = Size(self.size.width, total)
        if self.cursor >= total:
            self.cursor = max(0, total - 1)
        self.refresh()

    def row(self, index: int) -> TicketSummary | None:
        page = self._pages.get(index // PAGE)
        if page is None and index < len(self._head):
            page = self._head
        if page is None:
            page = self._stale.get(index // PAGE)
        if page is None or index % PAGE >= len(page):
            return None
        return page[index % PAGE]

    def _want(self, index: int) -> None:
        page = index // PAGE
        if index < len(self._head):
            return  # read with the result set
        if page not in self._pages and page not in self._loading and 0 <= index < self.total:
            self._loading.add(page)
            self._load_page(page, self._generation)

    @desk_work(thread=True, group="queue-pages")
    def _load_page(self, page: int, generation: int) -> None:
        self.post_message(PageLoaded(page, generation, self._loader(page * PAGE, PAGE)))

    def on_page_loaded(self, message: PageLoaded) -> None:
        page, generation, rows = message.page, message.generation, message.rows
        if generation != self._generation:
            return  # a page of a result set the agent has already left
        self._loading.discard(page)
        self._pages[page] = rows
        self._stale.pop(page, None)
        if page == 0:
            self._head = []
        if self._keep is not None and self._follow(page, rows):
            return
        self.refresh()
        if page == self.cursor // PAGE:
            self.post_message(self.Highlighted(self.row(self.cursor)))

    def _follow(self, page: int, rows: list[TicketSummary]) -> bool:
        """After a reload: put the cursor back on its ticket if it is in this page."""
        moved_to = next((i for i, row in enumerate(rows) if row.id == self._keep), None)
        if moved_to is None:
            if page == self.cursor // PAGE:
                self._keep = None  # left the view, or moved far: the cursor keeps its row
            return False
        self._keep = None
        index = page * PAGE + moved_to
        if index == self.cursor:
            return False
        self.cursor = index  # watch_cursor scrolls it into view and announces it
        return True

    # --- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        styles = self._row_styles()
        if index >= self.total:
            return Strip.blank(width, styles.base)
        self._want(index)  # not loaded yet, or stale after a reload
        ticket = self.row(index)
        if ticket is None:
            return Strip([Segment("…".ljust(width), styles.placeholder)], width)
        return self._ticket_strip(ticket, index, width, styles)

    def _ticket_strip(
        self, ticket: TicketSummary, index: int, width: int, styles: _RowStyles
    ) -> Strip:
        values = cells(ticket, self._clock(), self._sla, self._agent)
        base = styles.cursor if index == self.cursor else styles.base
        segments = [
            Segment(text, base + self._cell_style(key, values.get(key, ""), styles))
            for key, text in layout_line(values, visible_columns(width), width)
        ]
        return Strip(segments, width).crop(0, width)

    def _cell_style(self, key: str, value: str, styles: _RowStyles) -> Style:
        if key == "sla" and value == SlaState.BREACHED.value:
            return styles.breached
        if key == "sla" and value == SlaState.DUE_SOON.value:
            return styles.due
        if key == "priority" and value == "urgent":
            return styles.urgent
        if key == "subject" and value.startswith(CLAIM_MARK):
            return styles.claimed
        return _PLAIN

    def _row_styles(self) -> _RowStyles:
        """The rows' styles, worked out once until the CSS, the theme or the focus changes
        (``notify_style_update``): per line they cost more than the rest of a row."""
        if self._styles is None:
            base = self.rich_style
            self._styles = _RowStyles(
                base=base,
                cursor=base + self.get_component_rich_style("queue-table--cursor"),
                placeholder=base + self.get_component_rich_style("queue-table--placeholder"),
                breached=self._foreground("queue-table--breached"),
                due=self._foreground("queue-table--due"),
                urgent=self._foreground("queue-table--urgent"),
                claimed=self._foreground("queue-table--claimed"),
            )
        return self._styles

    def notify_style_update(self) -> None:
        self._styles = None
        super().notify_style_update()

    def _foreground(self, component: str) -> Style:
        """Only colour and weight: the row's background (the cursor) must show through."""
        full = self.get_component_rich_style(component)
        return Style(color=full.color, bold=full.bold)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.total)

    # --- cursor ----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.post_message(self.Highlighted(self.row(new)))

    def _move(self, delta: int) -> None:
        self._keep = None  # the agent moved: a reload no longer pulls the cursor anywhere
        if self.total:
            self.cursor = max(0, min(self.total - 1, self.cursor + delta))

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_page_down(self) -> None:
        self._move(max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self._move(-max(1, self.size.height - 1))

    def action_first(self) -> None:
        self._move(-self.cursor)

    def action_last(self) -> None:
        self._move(self.total)

    def action_open(self) -> None:
        ticket = self.row(self.cursor)
        if ticket is not None:
            self.post_message(self.Opened(ticket.id))

    @property
    def current(self) -> TicketSummary | None:
        return self.row(self.cursor)
