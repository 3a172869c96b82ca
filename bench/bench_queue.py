"""Queue benchmark: build a 100k-ticket demo workspace, then time opening it and listing the queue.

Run:  python bench/bench_queue.py [--tickets 100000] [--workspace DIR]
Baselines, measured in the same run: the same queries through the bare sqlite3 module, so the
ratio shows what the store layer costs on top of SQLite itself.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _harness import Figure, median_seconds, once_seconds, report
from deskpilot.demo import build_demo
from deskpilot.desk import Desk
from deskpilot.models import OPEN_STATUSES
from deskpilot.workspace import Workspace

RAW_QUEUE = """
SELECT t.id, t.subject, t.status, t.priority, t.intent, c.name, c.email, t.created_at
FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id
WHERE t.status IN ('new', 'open', 'pending', 'escalated')
ORDER BY t.priority_rank, t.created_at, t.id LIMIT 50 OFFSET ?
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--workspace", type=Path)
    args = parser.parse_args()
    folder = args.workspace or Path(tempfile.mkdtemp(prefix="deskpilot-bench-"))

    workspace = Workspace.create(folder)
    with Desk.open(workspace) as desk:
        build = once_seconds(lambda: build_demo(desk, tickets=args.tickets))
    print(f"workspace: {folder} ({args.tickets} tickets)")
    report("build", [Figure(f"demo workspace, {args.tickets} tickets", build)])

    raw = sqlite3.connect(workspace.database_path)
    raw_open = median_seconds(lambda: sqlite3.connect(workspace.database_path).close())
    open_desk = median_seconds(lambda: Desk.open(workspace).close())

    desk = Desk.open(workspace)
    total_open = desk.count_tickets(statuses=OPEN_STATUSES)
    deep = max(0, min(total_open, 90_000) - 50)
    figures = [
        Figure("open workspace (settings, migrate check)", open_desk, "sqlite3.connect", raw_open),
    ]
    for label, offset in (("first page", 0), (f"page at offset {deep}", deep)):
        ours = median_seconds(lambda o=offset: desk.queue(limit=50, offset=o))
        bare = median_seconds(lambda o=offset: raw.execute(RAW_QUEUE, (o,)).fetchall())
        figures.append(Figure(f"queue {label} (50 rows)", ours, "bare sqlite3", bare))
    figures.append(
        Figure(
            "count open tickets",
            median_seconds(lambda: desk.count_tickets(statuses=OPEN_STATUSES)),
        )
    )
    figures.append(
        Figure(
            "queue filtered by intent (50 rows)",
            median_seconds(
                lambda: desk.queue(statuses=OPEN_STATUSES, intent="bug_report", limit=50)
            ),
        )
    )
    report(f"queue ({total_open} tickets in the workspace)", figures)
    desk.close()
    raw.close()


if __name__ == "__main__":
    main()
