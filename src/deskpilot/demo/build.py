"""Write a generated demo into a workspace: tickets and customers into the store, articles as
Markdown, and the CRM, billing and bug records the demo connectors serve."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from deskpilot.demo.generator import DemoData, generate
from deskpilot.errors import WorkspaceError
from deskpilot.store import Store
from deskpilot.workspace import Workspace

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
    workspace: Workspace,
    store: Store,
    *,
    tickets: int = 300,
    seed: int = 7,
    progress: Progress | None = None,
) -> DemoSummary:
    """Generate the demo and write it; refuses a workspace that already holds real tickets."""
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
    for start in range(0, len(data.tickets), TICKET_BATCH):
        store.add_tickets(data.tickets[start : start + TICKET_BATCH])
        report("storing", min(start + TICKET_BATCH, len(data.tickets)), len(data.tickets))
    (workspace.records_dir / DEMO_MARKER).write_text(f"seed={seed} tickets={tickets}\n")
    return DemoSummary(
        tickets=len(data.tickets),
        customers=len(data.customers),
        articles=len(data.articles),
        invoices=len(data.invoices),
        bugs=len(data.bugs),
    )


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
