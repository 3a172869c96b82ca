"""Desk TUI benchmark on a 100k-ticket workspace: time to first queue paint, and time from a
search keystroke to the repainted queue.

Run:  python bench/bench_tui.py [--workspace DIR] [--tickets 100000]
Baseline, measured in the same run: the headless calls the screen makes (count + first page,
search + count + first page), so the ratio is what the UI adds on top of the data.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _harness import Figure, demo_desk, median_seconds, report
from deskpilot.desk import Desk
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.widgets.queue_table import QueueTable

QUERIES = ["locked", "invoice", "daniel", "export", "refund"]


async def until(condition: object, pilot: object, limit: float = 30.0) -> None:
    deadline = time.perf_counter() + limit
    while not condition():  # type: ignore[operator]
        if time.perf_counter() > deadline:
            raise TimeoutError("the queue did not paint in time")
        await pilot.pause(0.001)  # type: ignore[attr-defined]


def painted(app: DeskPilotApp, total: int | None = None) -> bool:
    tables = app.screen.query(QueueTable)
    if not tables:
        return False
    table = tables.first()
    ready = table.total > 0 and table.row(0) is not None
    return ready and (total is None or table.total == total)


async def first_paint(desk: Desk) -> float:
    started = time.perf_counter()
    app = DeskPilotApp(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: painted(app), pilot)
        return time.perf_counter() - started


async def keystroke_repaints(desk: Desk) -> list[float]:
    timings = []
    app = DeskPilotApp(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: painted(app), pilot)
        for query in QUERIES:
            expected = desk.count(desk.search(query, desk.view("open")))
            await pilot.press("escape")
            await until(lambda: painted(app), pilot)
            await pilot.press("slash", *query[:-1])
            await pilot.pause(0.3)
            started = time.perf_counter()
            await pilot.press(query[-1])
            await until(lambda e=expected: painted(app, e), pilot)
            timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--workspace", type=Path)
    args = parser.parse_args()
    with demo_desk(args.workspace, args.tickets, "deskpilot-bench-tui-") as desk:
        view = desk.view("open")
        paints = [asyncio.run(first_paint(desk)) for _ in range(5)]
        data = median_seconds(lambda: (desk.count(view), desk.page(view, 0, 100)), repeat=5)
        repaints = asyncio.run(keystroke_repaints(desk))
        search = median_seconds(
            lambda: [
                (desk.count(v := desk.search(q, view)), desk.page(v, 0, 100)) for q in QUERIES
            ],
            repeat=3,
        ) / len(QUERIES)
        total = desk.count(view)
    report(
        f"desk TUI ({total:,} open tickets, {args.tickets:,} in all)",
        [
            Figure("first queue paint (app start)", statistics.median(paints), "count+page", data),
            Figure(
                "search keystroke to repaint",
                statistics.median(repaints),
                "search+count+page",
                search,
            ),
        ],
    )


if __name__ == "__main__":
    main()
