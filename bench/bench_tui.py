"""Desk TUI benchmark on a 100k-ticket workspace: time to first queue paint, search keystroke
to the repainted queue (p50 and p95: the id and exact matches, shown first, and the typo
near-misses, which join them), memory with the desk open on a ticket, and the longest
event-loop stall while a reply is sent.

Run:  python bench/bench_tui.py [--workspace DIR] [--tickets 100000] [--sends N] [--send-only]
Baselines, measured in the same run: the headless calls each screen makes (count + first page;
search + count + first page for the same keystrokes, exact and full; the send itself, and the
stall of the desk idle just before the send), and for memory a headless desk that opened and
drafted the same ticket, each in a fresh process. The agent reads each draft 2.5 s before
sending it (the desk runs its held full garbage collection once the agent pauses 2 s:
``tui/heap.py``). The send writes to the workspace (one reply on each of ``--sends`` open
tickets, twice: headless and in the TUI); ``--send-only`` measures the send alone.
Goals (issue 14): keystroke to repaint p95 <= 50 ms, RSS <= 400 MB, stall <= 16 ms (a frame).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from textual.message import Message
from textual.pilot import Pilot
from textual.strip import Strip

from _harness import Figure, demo_desk, median_seconds, report
from deskpilot.desk import Desk
from deskpilot.models import Status
from deskpilot.queue.views import QueueView
from deskpilot.tui import messages
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.widgets.queue_table import QueueTable

# Each query is typed up to its last three characters; those three keystrokes are timed.
QUERIES = ["locked", "invoice", "daniel", "export", "refund", "billing", "password", "crashes"]
TIMED_KEYSTROKES = 3
MB = 1024 * 1024

# When the queue's first row was first rendered for each result set (the table's generation),
# and how many rows that set had: the moment the agent sees the new results.
first_row_painted: dict[int, float] = {}
rows_painted: dict[int, int] = {}
# How many rows the queue shows (the app's size below): what a search reads first.
rows_in_view = 100


def _watch_first_row() -> None:
    render_line = QueueTable.render_line

    def traced(self: QueueTable, y: int) -> Strip:
        strip = render_line(self, y)
        if y == 0 and self.scroll_offset.y == 0 and self.row(0) is not None:
            first_row_painted.setdefault(self._generation, time.perf_counter())
            rows_painted.setdefault(self._generation, self.total)
        return strip

    QueueTable.render_line = traced  # type: ignore[method-assign]


async def until(condition: Callable[[], bool], pilot: Pilot[None], limit: float = 60.0) -> None:
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the desk did not get there in time")
        await pilot.pause(0.001)


def table(app: DeskPilotApp) -> QueueTable | None:
    tables = app.screen.query(QueueTable)
    return tables.first() if tables else None


def painted(app: DeskPilotApp, total: int | None = None, after: int = -1) -> bool:
    """The queue shows a result set newer than generation ``after`` (of ``total`` rows)."""
    shown = table(app)
    if shown is None or shown.total == 0 or shown._generation <= after:
        return False
    return shown._generation in first_row_painted and (total is None or shown.total == total)


async def first_paint(desk: Desk) -> float:
    global rows_in_view
    started = time.perf_counter()
    app = DeskPilotApp(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: painted(app), pilot)
        elapsed = time.perf_counter() - started
        rows_in_view = table(app).size.height  # type: ignore[union-attr]
        return elapsed


def shown_since(generation: int, total: int) -> float | None:
    """When a result set newer than ``generation`` with ``total`` rows was first painted."""
    times = [
        first_row_painted[g]
        for g, rows in rows_painted.items()
        if g > generation and rows == total and g in first_row_painted
    ]
    return min(times) if times else None


def typed(query: str) -> list[str]:
    """The prefixes whose last keystroke is timed: "locked" -> "loc", "lock", "locke"..."""
    return [query[:n] for n in range(len(query) - TIMED_KEYSTROKES, len(query) + 1)]


async def keystroke_repaints(
    desk: Desk, exact: dict[str, int], complete: dict[str, int]
) -> tuple[list[float], list[float]]:
    """Per timed keystroke: until the exact matches show, and until the near-misses joined."""
    shown, joined = [], []
    app = DeskPilotApp(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: painted(app), pilot)
        for query in QUERIES:
            await pilot.press("escape")
            await until(lambda: painted(app, desk.count(desk.view("open"))), pilot)
            first, *timed = typed(query)
            await pilot.press("slash", *first)
            await until(lambda f=first: painted(app, complete[f]), pilot)
            await pilot.pause(0.2)  # the agent's pace: each keystroke finds the desk idle
            for prefix in timed:
                before = table(app)._generation  # type: ignore[union-attr]
                started = time.perf_counter()
                await pilot.press(prefix[-1])
                await until(lambda p=prefix, b=before: bool(shown_since(b, exact[p])), pilot)
                await until(lambda p=prefix, b=before: bool(shown_since(b, complete[p])), pilot)
                shown.append(shown_since(before, exact[prefix]) - started)  # type: ignore[operator]
                joined.append(shown_since(before, complete[prefix]) - started)  # type: ignore[operator]
                await pilot.pause(0.2)
    return shown, joined


def exact_search(desk: Desk, query: str, view: QueueView) -> QueueView:
    """The id and exact matches; a desk from before the two-step search finds everything at
    once (run the bench against an older checkout for a before/after in one run)."""
    try:
        return desk.search(query, view, typos=False)
    except TypeError:
        return desk.search(query, view)


def first_page_and_count(desk: Desk, found: QueueView) -> None:
    """What the screen reads to show a search: the rows in view and the count on one
    connection where the desk has it (an older desk: a count, then the first page)."""
    if hasattr(desk, "first_page"):
        desk.first_page(found, rows_in_view)
    else:
        desk.count(found)
        desk.page(found, 0, 100)


def headless_searches(
    desk: Desk,
) -> tuple[list[float], list[float], dict[str, int], dict[str, int]]:
    """Search + count + first page per timed keystroke, as the screen asks for them: the id
    and exact matches alone, and with the near-misses."""
    view = desk.view("open")
    prefixes = [p for query in QUERIES for p in typed(query)]
    exact = {p: desk.count(exact_search(desk, p, view)) for p in prefixes}
    complete = {p: desk.count(desk.search(p, view)) for p in prefixes}  # reads the corpus too
    fast, whole = [], []
    for query in QUERIES:
        for prefix in typed(query)[1:]:
            for typos, timings in ((False, fast), (True, whole)):
                started = time.perf_counter()
                found = desk.search(prefix, view) if typos else exact_search(desk, prefix, view)
                first_page_and_count(desk, found)
                timings.append(time.perf_counter() - started)
    return fast, whole, exact, complete


# --- a send, with a loop-lag probe ---------------------------------------------------------


# How long the bench's agent reads a draft before sending it (a real one takes longer).
READING_SECONDS = 2.5


@dataclass
class Stalls:
    """The loop's wake-ups while a probe runs: how late each was, and how much of that the
    loop's own thread spent working (CPU time): a late wake-up with little CPU is the machine
    (other processes, or a worker thread holding the GIL), one with much CPU is the loop's work."""

    late: list[float] = field(default_factory=list)
    working: list[float] = field(default_factory=list)

    @property
    def longest(self) -> float:
        return max(self.late, default=0.0)

    @property
    def most_work(self) -> float:
        return max(self.working, default=0.0)


async def longest_stall(stop: asyncio.Event, stalls: Stalls) -> None:
    """How late a 1 ms sleep wakes up, at most: how long the loop could not answer a key."""
    while not stop.is_set():
        started, worked = time.perf_counter(), time.thread_time()
        await asyncio.sleep(0.001)
        stalls.late.append(time.perf_counter() - started - 0.001)
        stalls.working.append(time.thread_time() - worked)


def awaiting_reply(desk: Desk) -> list[str]:
    """Open tickets whose customer wrote last, in the view's order: ones the desk drafts for."""
    rows = desk.page(desk.view("open"), 0, 200)
    tickets = [desk.ticket(r.id) for r in rows if r.status is Status.OPEN]
    return [
        t.id for t in tickets if t.public_thread and t.public_thread[-1].author.value == "customer"
    ]


@dataclass
class SendStalls:
    until_sent: Stalls  # from the key to the reply sent (its ``ReplySent`` handled)
    with_next: Stalls  # the same, and the next ticket opening after it
    idle: Stalls  # the desk idle on the drafted ticket, just before


async def send_stall(desk: Desk, ticket_id: str) -> SendStalls:
    """The event loop's stalls from the key to the reply sent (its ``ReplySent`` handled),
    including what the send sets off after it (the view's next ticket opens), and, for a
    baseline, over half a second of the desk idle on the drafted ticket just before (what the
    machine's load alone costs). The bench watches the messages (no store read on the loop of
    its own while it measures)."""
    sent = asyncio.Event()

    def hear(message: Message) -> None:
        if isinstance(message, messages.ReplySent) and message.ticket_id == ticket_id:
            sent.set()

    app = DeskPilotApp(desk)
    async with app.run_test(size=(160, 48), message_hook=hear) as pilot:
        await until(lambda: painted(app), pilot)
        drafts_before = desk.store.latest_draft(ticket_id)
        app.open_ticket(ticket_id)
        await until(lambda: desk.store.latest_draft(ticket_id) != drafts_before, pilot)
        # The agent reads the draft before sending it: the desk runs the garbage collector's
        # held full pass once they pause (tui/heap.py), as it would on a real desk.
        await pilot.pause(READING_SECONDS)
        stop, idle = asyncio.Event(), Stalls()
        probe = asyncio.create_task(longest_stall(stop, idle))
        await asyncio.sleep(0.5)
        stop.set()
        await probe
        stop, stalls = asyncio.Event(), Stalls()
        probe = asyncio.create_task(longest_stall(stop, stalls))
        await pilot.press("a")
        await until(sent.is_set, pilot)
        await pilot.pause(0.05)  # the reply's handler and the repaint it asks for
        until_sent = Stalls(list(stalls.late), list(stalls.working))
        await pilot.pause(0.5)  # what the send sets off: the next ticket opens
        stop.set()
        await probe
        assert desk.ticket(ticket_id).status is Status.PENDING
        return SendStalls(until_sent, stalls, idle)


def headless_send(desk: Desk, ticket_id: str) -> float:
    outcome = asyncio.run(desk.draft_reply(ticket_id))
    started = time.perf_counter()
    desk.send_reply(ticket_id, outcome.draft.text)
    return time.perf_counter() - started


# --- memory, each measured in a fresh process ------------------------------------------------


def resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


async def open_in_tui(desk: Desk, ticket_id: str) -> None:
    app = DeskPilotApp(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: painted(app), pilot)
        before = desk.store.latest_draft(ticket_id)
        await pilot.press("slash", *"invoice")  # a search reads the queue's search corpus
        await pilot.pause(0.5)
        await pilot.press("escape")
        app.open_ticket(ticket_id)
        await until(lambda: desk.store.latest_draft(ticket_id) != before, pilot)
        await pilot.pause(0.5)
        print(json.dumps({"rss": resident_bytes()}))


def memory_child(workspace: Path, mode: str, ticket_id: str) -> None:
    from deskpilot.workspace import Workspace

    desk = Desk.open(Workspace(workspace))
    if mode == "tui":
        asyncio.run(open_in_tui(desk, ticket_id))
    else:
        desk.search("invoice", desk.view("open"))
        asyncio.run(desk.draft_reply(ticket_id))
        print(json.dumps({"rss": resident_bytes()}))


def measure_memory(workspace: Path, mode: str, ticket_id: str) -> int:
    command = [sys.executable, __file__, "--workspace", str(workspace), "--memory", mode]
    result = subprocess.run(
        [*command, "--ticket", ticket_id], capture_output=True, text=True, check=True
    )
    return int(json.loads(result.stdout.strip().splitlines()[-1])["rss"])


def main() -> None:
    _watch_first_row()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--memory", choices=["tui", "headless"], help=argparse.SUPPRESS)
    parser.add_argument("--ticket", help=argparse.SUPPRESS)
    parser.add_argument("--sends", type=int, default=1, help="replies sent (medians over them)")
    parser.add_argument(
        "--send-only", action="store_true", help="only the send's stall (with --sends)"
    )
    args = parser.parse_args()
    if args.memory:
        memory_child(args.workspace, args.memory, args.ticket)
        return
    with demo_desk(args.workspace, args.tickets, "deskpilot-bench-tui-") as desk:
        workspace = desk.workspace.root
        view = desk.view("open")
        total = desk.count(view)
        title = f"desk TUI ({total:,} open tickets, {args.tickets:,} in all)"
        if args.send_only:
            report(title, send_figures(desk, args.sends)[1])
            return
        paints = [asyncio.run(first_paint(desk)) for _ in range(5)]
        data = median_seconds(lambda: (desk.count(view), desk.page(view, 0, 100)), repeat=5)
        fast, whole, exact, complete = headless_searches(desk)
        shown, joined = asyncio.run(keystroke_repaints(desk, exact, complete))
        left, sends = send_figures(desk, args.sends)
    tui_rss = measure_memory(workspace, "tui", left)
    headless_rss = measure_memory(workspace, "headless", left)
    report(
        title,
        [
            Figure("first queue paint (app start)", statistics.median(paints), "count+page", data),
            Figure(
                f"keystroke to exact matches shown, p50 ({len(shown)})",
                statistics.median(shown),
                "exact search+count+page p50",
                statistics.median(fast),
            ),
            Figure(
                "keystroke to exact matches shown, p95",
                percentile(shown, 0.95),
                "exact search+count+page p95",
                percentile(fast, 0.95),
            ),
            Figure(
                "keystroke to near-misses joined, p50",
                statistics.median(joined),
                "full search+count+page p50",
                statistics.median(whole),
            ),
            Figure(
                "keystroke to near-misses joined, p95",
                percentile(joined, 0.95),
                "full search+count+page p95",
                percentile(whole, 0.95),
            ),
            *sends,
        ],
    )
    ratio = tui_rss / headless_rss
    print(
        f"{'RSS, desk open on a ticket (drafted)':<44} {tui_rss / MB:>10.0f} MB"
        f"   {ratio:>6.2f}x headless desk, same ticket ({headless_rss / MB:.0f} MB)"
    )


def send_figures(desk: Desk, sends: int) -> tuple[str, list[Figure]]:
    """``sends`` replies sent headless (the baseline) and as many in the TUI, each on its own
    ticket awaiting a reply (medians over the sends, and the worst); and a ticket left for
    the memory figures."""
    waiting = awaiting_reply(desk)
    alone = statistics.median(headless_send(desk, t) for t in waiting[:sends])
    runs = [asyncio.run(send_stall(desk, t)) for t in waiting[sends : 2 * sends]]

    def median(figure: Callable[[SendStalls], float]) -> float:
        return statistics.median(figure(run) for run in runs)

    stall = median(lambda r: r.until_sent.longest)
    with_next = median(lambda r: r.with_next.longest)
    of = f" (median of {sends})" if sends > 1 else ""
    figures = [
        Figure(f"longest event-loop stall during a send{of}", stall, "the send alone", alone),
        Figure(
            "... the same, against the desk idle",
            stall,
            "idle, 0.5 s",
            median(lambda r: r.idle.longest),
        ),
        Figure("... and the next ticket opening after it", with_next, "the send alone", alone),
        Figure(
            "... the loop's own work in one iteration (CPU)",
            median(lambda r: r.with_next.most_work),
            "the send alone",
            alone,
        ),
    ]
    if sends > 1:
        worst = max(run.with_next.longest for run in runs)
        figures.append(
            Figure(f"... the worst of the {sends} sends", worst, "the send alone", alone)
        )
    return waiting[2 * sends], figures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
