"""Knowledge search benchmark: index ~100k documents, then time realistic queries.

Run:  python bench/bench_search.py [--tickets 100000] [--folder DIR]
Documents: every demo ticket (subject, first customer message, last agent reply), the help-center
articles and the plan/bug facts. Queries: 200 ticket subjects and opening lines from another
seed (typos included, as customers type them) and a set of deliberate typos.
Baseline, built in the same run from the same documents: SQLite FTS5 (porter tokenizer, bm25 with
the title weighted as in the index, snippets), queried with the same words OR-ed together.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _harness import Figure, median_seconds, once_seconds, report
from deskpilot.demo.generator import DemoData, generate
from deskpilot.knowledge import ARTICLE, TICKET, KnowledgeDoc, KnowledgeIndex
from deskpilot.knowledge.analysis import STOPWORDS
from deskpilot.knowledge.documents import markdown_to_text
from deskpilot.knowledge.facts import bug_document, plan_document
from deskpilot.knowledge.index import TITLE_BOOST
from deskpilot.models import Author, Ticket

QUERY_SEED = 2027
TYPO_QUERIES = [
    "pasword reset",
    "invocie is wrong",
    "salesforse integration",
    "refnud please",
    "cancle my subscripton",
    "two factr code",
    "expot to csv",
    "biling page blank",
    "upgarde plan",
    "sso logn fails",
    "recovery cods lost",
    "prorration charge",
    "inviet link expired",
    "dashbord widgets empty",
    "automaton not triggering",
    "api kyes page error",
    "vat numbr on invoice",
    "anual billing",
    "seat purchase ordr",
    "uplaod fails",
]
FTS_SEARCH = f"""
SELECT id, kind, title, snippet(docs, 3, '**', '**', '…', 24), bm25(docs, 0, 0, {TITLE_BOOST}, 1.0)
FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, 0, {TITLE_BOOST}, 1.0) LIMIT 5
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="deskpilot-bench-search-"))

    started = time.perf_counter()
    data = generate(tickets=args.tickets)
    docs = documents(data)
    print(f"folder: {folder}")
    print(f"{len(docs):,} documents from {args.tickets:,} demo tickets "
          f"(generated in {time.perf_counter() - started:.1f} s)")  # fmt: skip

    index = KnowledgeIndex.open(folder / "index", rebuild=True)
    build = once_seconds(lambda: index.upsert(docs))
    unchanged = once_seconds(lambda: index.upsert(docs))
    fts = sqlite3.connect(folder / "fts.db")
    fts_build = once_seconds(lambda: build_fts(fts, docs))
    one = docs[len(docs) // 2]
    changed = [KnowledgeDoc(one.id, one.kind, one.title, one.body + " (edited)", origin=one.origin)]
    report(
        "index build",
        [
            Figure(f"tantivy: index {len(docs):,} documents", build, "FTS5 insert", fts_build),
            Figure("tantivy: re-upsert all, every one unchanged", unchanged),
            Figure("tantivy: upsert one changed document", median_seconds(
                lambda: index.upsert(changed), repeat=5)),
        ],
    )  # fmt: skip

    queries = realistic_queries()
    print(f"\n{len(queries)} realistic queries, {len(TYPO_QUERIES)} typo queries, top 5 each")
    figures = []
    for label, batch in (("realistic", queries), ("typo", TYPO_QUERIES)):
        ours = latencies(lambda q: index.search(q, limit=5), batch)
        theirs = latencies(lambda q: fts.execute(FTS_SEARCH, (fts_query(q),)).fetchall(), batch)
        for name, pick in (("p50", 0.50), ("p95", 0.95)):
            figures.append(
                Figure(f"search {label} queries, {name}", percentile(ours, pick),
                       "FTS5", percentile(theirs, pick))
            )  # fmt: skip
    report(f"search ({len(docs):,} documents)", figures)
    fts.close()


def documents(data: DemoData) -> list[KnowledgeDoc]:
    docs = [ticket_like(ticket) for ticket in data.tickets]
    docs += [
        KnowledgeDoc(a.slug, ARTICLE, a.title, markdown_to_text(a.body), tags=(a.category,))
        for a in data.articles
    ]
    docs += [plan_document(plan) for plan in data.plans]
    docs += [bug_document(bug) for bug in data.bugs]
    return docs


def ticket_like(ticket: Ticket) -> KnowledgeDoc:
    """Every ticket, answered or not, so the index holds as many documents as tickets."""
    replies = [m.body for m in ticket.messages if m.author is Author.AGENT]
    body = "\n\n".join([ticket.first_customer_message, *replies[-1:]])
    return KnowledgeDoc(ticket.id, TICKET, ticket.subject, markdown_to_text(body), origin="store")


def realistic_queries() -> list[str]:
    tickets = generate(tickets=100, seed=QUERY_SEED).tickets
    subjects = [t.subject for t in tickets]
    openings = [" ".join(_first_line(t.first_customer_message).split()[:14]) for t in tickets]
    return subjects + openings


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if len(line.split()) > 3]
    return lines[0] if lines else text


def build_fts(connection: sqlite3.Connection, docs: list[KnowledgeDoc]) -> None:
    connection.execute("DROP TABLE IF EXISTS docs")
    connection.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, kind UNINDEXED, title, body, "
        "tokenize='porter unicode61')"
    )
    connection.executemany(
        "INSERT INTO docs VALUES (?, ?, ?, ?)", [(d.id, d.kind, d.title, d.body) for d in docs]
    )
    connection.commit()


def fts_query(text: str) -> str:
    """The same words the index searches, quoted so nothing is FTS5 syntax, OR-ed."""
    words = [w for w in re.findall(r"\w+", text.lower()) if len(w) > 1 or w.isdigit()]
    content = [w for w in words if w not in STOPWORDS] or words
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(content)) or '""'


def latencies(run: Callable[[str], object], queries: list[str]) -> list[float]:
    """Each query's median of 3 timed runs after one warm-up run."""
    timings = []
    for query in queries:
        run(query)
        timings.append(median_seconds(lambda q=query: run(q), repeat=3))
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
