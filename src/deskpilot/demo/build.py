"""Write a generated demo into a workspace: tickets and customers into the store, articles as
Markdown, and the CRM, billing and bug records the demo connectors serve."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from deskpilot.demo.generator import DemoData, generate
from deskpilot.errors import WorkspaceError
from deskpilot.models import Ticket
from deskpilot.workspace import Workspace

if TYPE_CHECKING:
    from deskpilot.desk import Desk

Progress = Callable[[str, int, int], None]
DEMO_MARKER = ".deskpilot-demo"
TICKET_BATCH = 5000
HELP_CENTER_URL = "https://help.acmecloud.com/articles"


@dataclass(frozen=True)
class DemoSummary:
    tickets: int
    customers: int
    articles: int
    invoices: int
    bugs: int


def is_demo_workspace(workspace: Workspace) -> bool:
    return (workspace.records_dir / DEMO_MARKER).exists()


def build_demo(
    desk: Desk,
    *,
    tickets: int = 300,
    seed: int = 7,
    progress: Progress | None = None,
) -> DemoSummary:
    """Generate the demo and write it; refuses a workspace that already holds real tickets.

    Resolved tickets keep their intent labels (the history the classifier learns from); open
    ones arrive unlabelled and are triaged, as real incoming tickets are.
    """
    workspace, store = desk.workspace, desk.store
    if store.count_tickets() and not is_demo_workspace(workspace):
        raise WorkspaceError(
            f"{workspace.root}: already holds tickets that are not demo data; "
            "run 'deskpilot demo' with an empty folder as --workspace"
        )
    report = progress or (lambda _stage, _done, _total: None)
    report("generating", 0, tickets)
    data = generate(tickets=tickets, seed=seed)
    report("generating", tickets, tickets)
    _write_records(workspace.records_dir, data)
    _write_articles(workspace.articles_dir, data)
    store.add_customers(data.customers)
    arriving = [_unlabelled(t) for t in data.tickets if t.status.is_open]
    history = [t for t in data.tickets if not t.status.is_open]
    stored = 0
    for batch in _batches(history + arriving):
        store.add_tickets(batch)
        stored += len(batch)
        report("storing", stored, len(data.tickets))
    desk.triage().run(store, arriving, lambda done, total: report("triaging", done, total))
    (workspace.records_dir / DEMO_MARKER).write_text(f"seed={seed} tickets={tickets}\n")
    return DemoSummary(
        tickets=len(data.tickets),
        customers=len(data.customers),
        articles=len(data.articles),
        invoices=len(data.invoices),
        bugs=len(data.bugs),
    )


def _unlabelled(ticket: Ticket) -> Ticket:
    return ticket.model_copy(update={"intent": None, "intent_source": None})


def _batches(tickets: list[Ticket]) -> Iterator[list[Ticket]]:
    for start in range(0, len(tickets), TICKET_BATCH):
        yield tickets[start : start + TICKET_BATCH]


def _write_records(folder: Path, data: DemoData) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _dump(folder / "customers.json", data.customers)
    _dump(folder / "crm.json", data.crm)
    _dump(folder / "plans.json", data.plans)
    _dump(folder / "subscriptions.json", data.subscriptions)
    _dump(folder / "invoices.json", data.invoices)
    _dump(folder / "plan_changes.json", data.plan_changes)
    _dump(folder / "bugs.json", data.bugs)


def _dump(path: Path, models: Sequence[BaseModel]) -> None:
    rows = [model.model_dump(mode="json") for model in models]
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_articles(folder: Path, data: DemoData) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for article in data.articles:
        front = (
            f"---\ntitle: {article.title}\nslug: {article.slug}\n"
            f"category: {article.category}\ntags: [{article.category.lower()}]\n"
            f"url: {HELP_CENTER_URL}/{article.slug}\n---\n\n"
        )
        (folder / f"{article.slug}.md").write_text(front + article.body, encoding="utf-8")
