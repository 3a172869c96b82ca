"""Co-pilot benchmark: time from opening a ticket to a complete local draft, on a 100k-ticket
demo workspace (context from the store, the demo connectors and the index, then the draft).

Run:  python bench/bench_drafts.py [--workspace DIR] [--tickets 100000] [--samples 60]
Baseline, measured in the same run: reading the ticket and searching the index, the part of
the work every drafter needs before it writes a word.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _harness import Figure, demo_desk, report
from deskpilot.desk import Desk


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def drafts(desk: Desk, ids: list[str]) -> list[float]:
    timings = []
    for ticket_id in ids:
        started = time.perf_counter()
        await desk.draft_reply(ticket_id)
        timings.append(time.perf_counter() - started)
    await desk.aclose_connectors()
    return timings


def lookups(desk: Desk, ids: list[str]) -> list[float]:
    timings = []
    for ticket_id in ids:
        started = time.perf_counter()
        ticket = desk.ticket(ticket_id)
        desk.knowledge().search(f"{ticket.subject} {ticket.first_customer_message}", limit=7)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    with demo_desk(args.workspace, args.tickets, "deskpilot-bench-drafts-") as desk:
        open_ids = [row.id for row in desk.queue(limit=None)]
        step = max(1, len(open_ids) // args.samples)
        ids = open_ids[::step][: args.samples]
        lookups(desk, ids[:5])  # warm the index and the caches once
        # The first draft of a session also loads the connectors' records: reported apart.
        cold, *ours = asyncio.run(drafts(desk, ids))
        base = lookups(desk, ids)
    report(
        f"local drafts ({len(ids)} open tickets of {args.tickets:,})",
        [
            Figure("first draft of a session (connectors load)", cold),
            Figure(
                "ticket opened to full draft, p50",
                statistics.median(ours),
                "read+search p50",
                statistics.median(base),
            ),
            Figure(
                "ticket opened to full draft, p95",
                percentile(ours, 0.95),
                "read+search p95",
                percentile(base, 0.95),
            ),
        ],
    )


if __name__ == "__main__":
    main()
