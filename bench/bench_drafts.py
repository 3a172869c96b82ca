"""Co-pilot benchmark: time from opening a ticket to a complete local draft, on a 100k-ticket
demo workspace (context from the store, the demo connectors and the index, then the draft).

Run:  python bench/bench_drafts.py [--workspace DIR] [--tickets 100000] [--samples 60]
          [--fresh-runs 5]
Baseline, measured in the same run: reading the ticket and searching the index, the part of
the work every drafter needs before it writes a word.

The first draft of a session is measured in fresh processes (``--fresh-runs`` of them, each on
another ticket): the desk opened, then one draft, which pays for everything the session loads
on first use (the drafting code, the index, the connectors and their records). Its baseline is
the first read and search of a fresh process (which opens the index too). Those processes read
DeskPilot's bytecode from a cache filled by a first, uncounted one, as an installed desk does;
the first draft with every module compiled from source (``PYTHONDONTWRITEBYTECODE``, as some
development shells set) is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _harness import Figure, demo_desk, report
from deskpilot.desk import Desk


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# Each measure is (wall-clock seconds, CPU seconds of the whole process, every thread): on a
# machine shared with other jobs the CPU time moves less with their load than the wall clock.
Timing = tuple[float, float]


async def drafts(desk: Desk, ids: list[str]) -> list[Timing]:
    timings = []
    for ticket_id in ids:
        started, cpu = time.perf_counter(), time.process_time()
        await desk.draft_reply(ticket_id)
        timings.append((time.perf_counter() - started, time.process_time() - cpu))
    await desk.aclose_connectors()
    return timings


def lookups(desk: Desk, ids: list[str]) -> list[Timing]:
    timings = []
    for ticket_id in ids:
        started, cpu = time.perf_counter(), time.process_time()
        ticket = desk.ticket(ticket_id)
        desk.knowledge().search(f"{ticket.subject} {ticket.first_customer_message}", limit=7)
        timings.append((time.perf_counter() - started, time.process_time() - cpu))
    return timings


def fresh_process(
    workspace: Path, ticket_id: str, what: str, env: dict[str, str]
) -> dict[str, float]:
    """One child process: opens the desk on ``workspace`` and times its first draft (or its
    first read and search) of ``ticket_id``; returns the child's timings in seconds."""
    command = [sys.executable, __file__, "--workspace", str(workspace), f"--{what}", ticket_id]
    spawned = time.time()  # the child's clock is another process's: wall-clock time, not perf
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    timings: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    timings["start_to_first"] = timings.pop("finished_at") - spawned
    return timings


def in_fresh_process(workspace: Path, ticket_id: str, draft: bool) -> None:
    """The child's side of ``fresh_process``: prints its timings as one JSON line."""
    from deskpilot.workspace import Workspace

    imported = time.perf_counter()
    desk = Desk.open(Workspace.create(workspace))
    opened = time.perf_counter()
    if draft:
        asyncio.run(drafts(desk, [ticket_id]))
    else:
        lookups(desk, [ticket_id])
    finished = time.perf_counter()
    finished_at = time.time()
    desk.close()
    timings = {"open": opened - imported, "first": finished - opened, "finished_at": finished_at}
    print(json.dumps(timings))


def first_drafts(
    workspace: Path, tickets: list[str], runs: int
) -> tuple[list[dict[str, float]], list[dict[str, float]], list[dict[str, float]]]:
    """``runs`` fresh processes' first drafts and, alternating with them, first reads and
    searches, all with bytecode as an installed desk has it (cached by a first, uncounted run),
    and ``runs`` first drafts with every module compiled from source; each on its own ticket."""
    drafted, looked_up, compiled = [], [], []
    with tempfile.TemporaryDirectory(prefix="deskpilot-bench-pyc-") as cache:
        installed = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        installed["PYTHONPYCACHEPREFIX"] = cache
        from_source = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
        from_source["PYTHONDONTWRITEBYTECODE"] = "1"
        fresh_process(workspace, tickets[-1], "first-draft", installed)  # fills the cache
        for ticket_id, another in zip(tickets[:runs], tickets[runs : 2 * runs], strict=False):
            drafted.append(fresh_process(workspace, ticket_id, "first-draft", installed))
            looked_up.append(fresh_process(workspace, ticket_id, "first-lookup", installed))
            compiled.append(fresh_process(workspace, another, "first-draft", from_source))
    return drafted, looked_up, compiled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--fresh-runs", type=int, default=5, choices=range(1, 21))
    parser.add_argument("--first-draft", metavar="TICKET", help=argparse.SUPPRESS)
    parser.add_argument("--first-lookup", metavar="TICKET", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_draft or args.first_lookup:
        ticket_id = args.first_draft or args.first_lookup
        in_fresh_process(args.workspace, ticket_id, draft=bool(args.first_draft))
        return
    with demo_desk(args.workspace, args.tickets, "deskpilot-bench-drafts-") as desk:
        workspace = desk.workspace.root
        open_ids = [row.id for row in desk.queue(limit=None)]
        step = max(1, len(open_ids) // args.samples)
        ids = open_ids[::step][: args.samples]
        lookups(desk, ids[:5])  # warm the index and the caches once
        # The first draft of this process also loads what the session keeps: left out here,
        # measured in fresh processes below.
        _first, *ours = asyncio.run(drafts(desk, ids))
        base = lookups(desk, ids)
    # Fresh processes, on tickets not drafted yet.
    others = [ticket_id for ticket_id in open_ids[step // 2 :: step] if ticket_id not in ids]
    fresh_drafts, fresh_lookups, compiling = first_drafts(workspace, others, args.fresh_runs)

    def fresh(key: str, measured: list[dict[str, float]]) -> float:
        return statistics.median(run[key] for run in measured)

    figures = []
    for what, index in (("", 0), (", CPU", 1)):
        mine, baseline = [t[index] for t in ours], [t[index] for t in base]
        for stat, share in (("p50", 0.5), ("p95", 0.95)):
            figures.append(
                Figure(
                    f"ticket opened to full draft{what}, {stat}",
                    percentile(mine, share),
                    f"read+search{what} {stat}",
                    percentile(baseline, share),
                )
            )
    report(f"local drafts ({len(ids)} open tickets of {args.tickets:,})", figures)
    print(f"load average at the end: {', '.join(f'{n:.1f}' for n in os.getloadavg())}")
    report(
        f"first draft of a session (fresh processes, median of {len(fresh_drafts)})",
        [
            Figure(
                "first draft (desk open before)",
                fresh("first", fresh_drafts),
                "first read+search",
                fresh("first", fresh_lookups),
            ),
            Figure("  slowest of the runs", max(run["first"] for run in fresh_drafts)),
            Figure("first draft, modules compiled from source", fresh("first", compiling)),
            Figure("  opening the desk", fresh("open", fresh_drafts)),
            Figure(
                "process start to first draft (all imports)",
                fresh("start_to_first", fresh_drafts),
                "to first read+search",
                fresh("start_to_first", fresh_lookups),
            ),
        ],
    )


if __name__ == "__main__":
    main()
