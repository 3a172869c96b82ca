"""Team mode with 20 agents: claims per second, and how soon a change reaches every desk's queue.

    DESKPILOT_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python bench/bench_team.py [--agents 20] [--tickets 4000] [--changes 10]

The URL names a server where the benchmark may create (and then drops) a database of its own;
DESKPILOT_TEST_POSTGRES_URL is used when that is unset. Without either, only SQLite is measured.

- claims per second: 20 processes take tickets with ``Store.claim_next`` until none is left.
  Baseline, same run: the same SQL written by hand on the bare driver (psycopg's ``FOR UPDATE
  SKIP LOCKED`` and UPDATE; sqlite3's ``BEGIN IMMEDIATE``), so the ratio is the store's cost.
- queue refresh latency: 20 desks watch the queue the way the TUI does (a check every
  ``refresh_seconds`` = 1 s; on PostgreSQL back to back, each blocking on LISTEN) while
  another desk changes a ticket; latency runs from that change to each desk's wake-up.
  Baseline, same run: bare psycopg LISTEN connections blocked on ``notifies()``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Figure, report

LEASE = timedelta(minutes=10)
TICK = 1.0  # the TUI's [tui] refresh_seconds
SPAWN = multiprocessing.get_context("spawn")


# --- databases ------------------------------------------------------------------------------


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    import sqlalchemy as sa

    from deskpilot.store import normalise_url

    url = sa.make_url(normalise_url(server))
    name = f"deskpilot_bench_{os.getpid()}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def fill(url: str, tickets: int) -> None:
    from deskpilot.models import Author, Message, Ticket
    from deskpilot.store import migrate_database, open_store

    migrate_database(url)
    with open_store(url) as store:
        store.add_tickets(
            Ticket(
                id=f"B-{n:06d}",
                subject=f"Question {n}",
                messages=[Message(author=Author.CUSTOMER, body="help")],
            )
            for n in range(tickets)
        )


def free_all(url: str) -> None:
    import sqlalchemy as sa

    from deskpilot.store import normalise_url, schema

    engine = sa.create_engine(normalise_url(url))
    with engine.begin() as connection:
        t = schema.tickets
        connection.execute(t.update().values(claimed_by=None, claim_token=None, claimed_until=None))
    engine.dispose()


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


# --- claims per second ----------------------------------------------------------------------


def store_claims(url: str, agent: str, start: Any) -> tuple[int, float, float]:
    from deskpilot.store import open_store

    with open_store(url) as store:
        store.count_tickets()  # connect before the clock starts
        start.wait()
        began, taken = time.monotonic(), 0
        while store.claim_next(agent, lease=LEASE) is not None:
            taken += 1
        return taken, began, time.monotonic()


BARE_NEXT = (
    "SELECT id FROM tickets WHERE status IN ('new', 'open')"
    " AND (claimed_until IS NULL OR claimed_until <= now())"
    " ORDER BY priority_rank, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
)
BARE_TAKE = (
    "UPDATE tickets SET claimed_by = %s, claim_token = %s,"
    " claimed_until = now() + interval '10 minutes', updated_at = now() WHERE id = %s"
)


def bare_postgres_claims(url: str, agent: str, start: Any) -> tuple[int, float, float]:
    import psycopg

    with psycopg.connect(libpq_url(url)) as connection:
        start.wait()
        began, taken = time.monotonic(), 0
        while True:
            with connection.transaction():
                row = connection.execute(BARE_NEXT).fetchone()
                if row is None:
                    break
                connection.execute(BARE_TAKE, (agent, str(uuid.uuid4()), row[0]))
                connection.execute("SELECT pg_notify('deskpilot_queue', %s)", (row[0],))
            taken += 1
        return taken, began, time.monotonic()


def bare_sqlite_claims(url: str, agent: str, start: Any) -> tuple[int, float, float]:
    connection = sqlite3.connect(sqlite_path(url), timeout=30, isolation_level=None)
    connection.execute("PRAGMA busy_timeout=30000")
    start.wait()
    began, taken = time.monotonic(), 0
    while True:
        connection.execute("BEGIN IMMEDIATE")
        row = connection.execute(
            "SELECT id FROM tickets WHERE status IN ('new', 'open') AND claimed_until IS NULL"
            " ORDER BY priority_rank, created_at, id LIMIT 1"
        ).fetchone()
        if row is None:
            connection.execute("COMMIT")
            break
        connection.execute(
            "UPDATE tickets SET claimed_by = ?, claim_token = ?, claimed_until = ?,"
            " updated_at = ? WHERE id = ? AND claimed_until IS NULL",
            (agent, str(uuid.uuid4()), "2999-01-01 00:00:00", "2026-01-01 00:00:00", row[0]),
        )
        connection.execute("COMMIT")
        taken += 1
    connection.close()
    return taken, began, time.monotonic()


CLAIMERS: dict[str, Callable[[str, str, Any], tuple[int, float, float]]] = {
    "store": store_claims,
    "bare-postgres": bare_postgres_claims,
    "bare-sqlite": bare_sqlite_claims,
}


def claimer(kind: str, url: str, agent: str, start: Any, results: Any) -> None:
    results.put(CLAIMERS[kind](url, agent, start))


def claims_per_second(kind: str, url: str, agents: int) -> tuple[float, int]:
    """Agents that start together (a barrier, after connecting), one process each."""
    start, results = SPAWN.Barrier(agents), SPAWN.Queue()
    processes = [
        SPAWN.Process(target=claimer, args=(kind, url, f"agent-{n:02d}", start, results))
        for n in range(agents)
    ]
    for process in processes:
        process.start()
    counts = [results.get() for _ in processes]
    for process in processes:
        process.join()
    taken = sum(r[0] for r in counts)
    seconds = max(r[2] for r in counts) - min(r[1] for r in counts)
    return taken / seconds, taken


# --- queue refresh latency -------------------------------------------------------------------


def desk_watcher(url: str, kind: str, ready: Any, wakes: Any, until: float) -> None:
    """Watches like the TUI's queue screen: one check a tick, a wake-up recorded at once."""
    from deskpilot.queue.watch import NotifyQueueWatcher, PollingQueueWatcher, QueueWatcher
    from deskpilot.store import open_store

    with open_store(url) as store:
        watcher: QueueWatcher
        if kind == "notify":
            watcher = NotifyQueueWatcher(store, TICK * 0.9)
        else:
            watcher = PollingQueueWatcher(store)
        ready.wait()
        # Desks started at different moments: their ticks are not in step with each other.
        tick = time.monotonic() + random.uniform(0, TICK)
        time.sleep(tick - time.monotonic())
        while tick < until:
            if watcher.changed():
                wakes.put(time.monotonic())
            if watcher.blocks:
                tick = time.monotonic()  # the queue screen listens again at once
                continue
            tick += TICK
            time.sleep(max(0.0, tick - time.monotonic()))
        watcher.close()


def bare_listener(url: str, kind: str, ready: Any, wakes: Any, until: float) -> None:
    import psycopg

    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute("LISTEN deskpilot_queue")
        ready.wait()
        while (left := until - time.monotonic()) > 0:
            for _notify in connection.notifies(timeout=left, stop_after=1):
                wakes.put(time.monotonic())


def refresh_latencies(
    watch: Callable[..., None], url: str, kind: str, agents: int, changes: int
) -> list[float]:
    from deskpilot.models import Status
    from deskpilot.store import open_store

    ready, wakes = SPAWN.Barrier(agents + 1), SPAWN.Queue()
    until = time.monotonic() + 3 + changes * 1.5
    watchers = [
        SPAWN.Process(target=watch, args=(url, kind, ready, wakes, until)) for _ in range(agents)
    ]
    for process in watchers:
        process.start()
    made: list[float] = []
    with open_store(url) as store:
        ready.wait()
        time.sleep(1.2)  # every watcher in its loop
        for n in range(changes):
            time.sleep(random.uniform(0.6, 1.4))  # never in step with the watchers' ticks
            made.append(time.monotonic())
            store.update_ticket(f"B-{n:06d}", status=Status.OPEN)
    for process in watchers:
        process.join()
    latencies = []
    while not wakes.empty():
        woke = wakes.get()
        before = [moment for moment in made if moment <= woke]
        if before:
            latencies.append(woke - before[-1])
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    server = os.environ.get("DESKPILOT_BENCH_POSTGRES_URL") or os.environ.get(
        "DESKPILOT_TEST_POSTGRES_URL"
    )
    print(f"{args.agents} agents, {args.tickets} tickets, {args.changes} queue changes")

    with tempfile.TemporaryDirectory(prefix="deskpilot-bench-team-") as folder:
        from deskpilot.store import sqlite_url

        url = sqlite_url(Path(folder) / "team.db")
        fill(url, args.tickets)
        bare, _ = claims_per_second("bare-sqlite", url, args.agents)
        free_all(url)
        store, taken = claims_per_second("store", url, args.agents)
        assert taken == args.tickets
        print_claims("SQLite", store, bare, "bare sqlite3 BEGIN IMMEDIATE")
        polled = refresh_latencies(desk_watcher, url, "poll", args.agents, args.changes)

    if not server:
        print("\nno PostgreSQL: set DESKPILOT_BENCH_POSTGRES_URL to measure team mode on it")
        print_latency([("SQLite, polling every 1 s", polled)], None)
        return
    with postgres_database(server) as url:
        fill(url, args.tickets)
        bare, _ = claims_per_second("bare-postgres", url, args.agents)
        free_all(url)
        store, taken = claims_per_second("store", url, args.agents)
        assert taken == args.tickets
        print_claims("PostgreSQL", store, bare, "bare psycopg SKIP LOCKED")
        listened = refresh_latencies(bare_listener, url, "bare", args.agents, args.changes)
        notified = refresh_latencies(desk_watcher, url, "notify", args.agents, args.changes)
        pg_polled = refresh_latencies(desk_watcher, url, "poll", args.agents, args.changes)
    print_latency(
        [
            ("PostgreSQL, LISTEN/NOTIFY watcher", notified),
            ("PostgreSQL, polling every 1 s", pg_polled),
            ("SQLite, polling every 1 s", polled),
        ],
        listened,
    )


def print_claims(backend: str, store: float, bare: float, baseline: str) -> None:
    title = f"Claims per second, {backend}"
    print(f"\n{title}\n{'-' * len(title)}")
    print(f"{'Store.claim_next':<44} {store:>10.0f} /s   {store / bare:>6.2f}x {baseline}")
    print(f"{baseline:<44} {bare:>10.0f} /s")


def print_latency(rows: list[tuple[str, list[float]]], baseline: list[float] | None) -> None:
    figures = []
    base50 = statistics.median(baseline) if baseline else None
    base95 = percentile(baseline, 0.95) if baseline else None
    name = "bare LISTEN"
    for label, values in rows:
        figures.append(Figure(f"{label}, p50", statistics.median(values), name, base50))
        figures.append(Figure(f"{label}, p95", percentile(values, 0.95), name, base95))
    if baseline:
        figures.append(Figure("bare psycopg LISTEN (baseline), p50", statistics.median(baseline)))
        figures.append(Figure("bare psycopg LISTEN (baseline), p95", percentile(baseline, 0.95)))
    report("Queue refresh latency: a change to every desk's wake-up", figures)


if __name__ == "__main__":
    main()
