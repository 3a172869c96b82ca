"""Write a generated demo into a workspace: tickets, customers and edit history through the
desk (``Desk.seed_demo``: one transaction, on the audit trail), articles as Markdown, and the
CRM, billing and bug records the demo connectors serve."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel

from deskpilot.connectors.demo.records import DemoRecords
from deskpilot.connectors.models import InboundMessage
from deskpilot.demo.edit_history import edit_history
from deskpilot.demo.generator import DemoData, generate
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError, WorkspaceError
from deskpilot.models import Author, Draft, EditEvent, Status, Ticket
from deskpilot.workspace import Workspace

Progress = Callable[[str, int, int], None]
HELP_CENTER_URL = "https://help.acmecloud.com/articles"
DEMO_CHANNEL = "demo"  # the connector demo tickets live in


@dataclass(frozen=True)
class DemoSummary:
    tickets: int
    customers: int
    articles: int
    invoices: int
    bugs: int


def remove_demo_workspace(root: Path) -> None:
    """Delete a demo workspace folder; refuses any folder that is not one."""
    workspace = Workspace(root.expanduser().resolve())
    if not workspace.database_path.exists():
        return
    try:
        is_demo = Desk.demo_at(workspace) is not None
    except DeskPilotError as error:
        raise WorkspaceError(f"{root}: cannot check it is a demo workspace ({error})") from None
    if not is_demo:
        raise WorkspaceError(f"{root}: not a demo workspace; --reset only removes demos")
    shutil.rmtree(workspace.root)


def build_demo(
    desk: Desk,
    *,
    tickets: int = 300,
    seed: int = 7,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Generate the demo and write it; refuses a workspace that already holds real tickets.

    Resolved tickets keep their intent labels (the history the classifier learns from); open
    ones arrive unlabelled and are triaged, as real incoming tickets are.
    """
    workspace = desk.workspace
    if desk.count_tickets(statuses=None):
        raise WorkspaceError(
            f"{workspace.root}: already holds tickets that are not demo data; "
            "run 'deskpilot demo' with an empty folder as --workspace"
        )
    report = progress or (lambda _stage, _done, _total: None)
    report("generating", 0, tickets)
    # Times are relative to now, so the demo queue looks like a live one whenever it is built.
    present = now or _start_of_this_hour()
    data = generate(tickets=tickets, seed=seed, now=present)
    # The demo connector is the demo's channel: replies go back through it (into
    # records/outbox.jsonl), and a customer's follow-up waits in its inbox for the first sync.
    data.tickets = [_on_demo_channel(t) for t in data.tickets]
    report("generating", tickets, tickets)
    _write_records(workspace.records_dir, data)
    _write_follow_up(workspace.records_dir, data.tickets, present)
    _write_articles(workspace.articles_dir, data)
    arriving = [_unlabelled(t) for t in data.tickets if t.status.is_open]
    history = [t for t in data.tickets if not t.status.is_open]
    # One transaction: an interrupted build leaves an empty workspace that can be built again.
    desk.seed_demo(
        customers=data.customers,
        history=history,
        arriving=arriving,
        edits=_edit_history(history, seed),
        demo=f"seed {seed}, {tickets} tickets",
        progress=report,
    )
    desk.refresh_knowledge(report)
    return DemoSummary(
        tickets=len(data.tickets),
        customers=len(data.customers),
        articles=len(data.articles),
        invoices=len(data.invoices),
        bugs=len(data.bugs),
    )


def _edit_history(history: list[Ticket], seed: int) -> Iterator[tuple[Draft, EditEvent]]:
    """The drafts and edits, made only when the desk comes to store them (after the triage),
    so they are not held in memory while the tickets are stored and triaged."""
    yield from edit_history(history, seed)


def _start_of_this_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def _on_demo_channel(ticket: Ticket) -> Ticket:
    return ticket.model_copy(update={"source": DEMO_CHANNEL, "external_id": ticket.id})


FOLLOW_UP = (
    "Thanks for getting back to me. I tried what you suggested, but it still isn't working "
    "on my side. Could you take another look?"
)


def _write_follow_up(folder: Path, tickets: list[Ticket], now: datetime) -> None:
    """One customer answering a reply: the demo channel's first pull reopens that ticket."""
    waiting = [
        t
        for t in tickets
        if t.status in {Status.PENDING, Status.SOLVED}
        and t.customer
        and t.public_thread[-1].author is Author.AGENT
    ]
    if not waiting:
        return
    ticket = max(waiting, key=lambda t: (t.public_thread[-1].at, t.id))  # the latest answered
    assert ticket.customer is not None
    at = max(now - timedelta(minutes=5), ticket.public_thread[-1].at + timedelta(minutes=1))
    message = InboundMessage(
        external_id=f"demo-follow-up-{ticket.id}",
        ticket_external_id=ticket.id,
        subject=f"Re: {ticket.subject}",
        from_email=ticket.customer.email,
        from_name=ticket.customer.name,
        body=FOLLOW_UP,
        at=at,
    )
    (folder / "inbox.jsonl").write_text(message.model_dump_json() + "\n", encoding="utf-8")


def _unlabelled(ticket: Ticket) -> Ticket:
    return ticket.model_copy(update={"intent": None, "intent_source": None})


def _write_records(folder: Path, data: DemoData) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _dump(folder / "customers.json", data.customers)
    _dump(folder / "crm.json", data.crm)
    _dump(folder / "plans.json", data.plans)
    _dump(folder / "subscriptions.json", data.subscriptions)
    _dump(folder / "invoices.json", data.invoices)
    _dump(folder / "plan_changes.json", data.plan_changes)
    _dump(folder / "bugs.json", data.bugs)
    # Each customer's records located now, so the first draft of a session reads only theirs.
    DemoRecords(folder).build_indexes()


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
