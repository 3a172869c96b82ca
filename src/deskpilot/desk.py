"""The desk: the headless core of DeskPilot.

It offers the operations an agent performs; the TUI and the CLI are thin views over it, and the
tests drive it directly. Every operation that changes a ticket is written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskpilot.config import Settings
from deskpilot.errors import DeskPilotError, ImportFileError
from deskpilot.intake.files import NumberedRecord, read_ticket_file
from deskpilot.models import (
    OPEN_STATUSES,
    ActionRecord,
    Author,
    Customer,
    Message,
    Status,
    Ticket,
    TicketSummary,
    utcnow,
)
from deskpilot.store import QueueFilter, Store
from deskpilot.workspace import Workspace

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportReport:
    path: Path
    added: int
    skipped: int  # already in the workspace: re-imports never duplicate

    def __str__(self) -> str:
        return f"{self.path}: imported {self.added} tickets" + (
            f", skipped {self.skipped} already present" if self.skipped else ""
        )


class Desk:
    def __init__(self, workspace: Workspace, settings: Settings, store: Store) -> None:
        self.workspace = workspace
        self.settings = settings
        self.store = store

    @classmethod
    def open(cls, workspace: Workspace) -> Desk:
        settings = workspace.settings()
        return cls(workspace, settings, workspace.open_store(settings))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def agent(self) -> str:
        return self.settings.agent.name

    # --- reading -------------------------------------------------------------------------

    def queue(
        self,
        *,
        statuses: frozenset[Status] | None = OPEN_STATUSES,
        intent: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[TicketSummary]:
        where = QueueFilter(statuses=statuses, intent=intent)
        return self.store.list_queue(where, limit=limit, offset=offset)

    def ticket(self, ticket_id: str) -> Ticket:
        return self.store.get_ticket(ticket_id)

    # --- intake --------------------------------------------------------------------------

    def import_tickets(self, path: Path, progress: Progress | None = None) -> ImportReport:
        """Import a JSONL or CSV ticket file: all of it, or (on any bad line) nothing."""
        numbered = read_ticket_file(path, progress)
        tickets = self._tickets_from_records(path, numbered)
        result = self.store.add_tickets(tickets)
        report = ImportReport(path, added=len(result.added), skipped=len(result.skipped))
        self._audit("import", None, {"file": str(path)}, result=str(report))
        return report

    def _tickets_from_records(self, path: Path, numbered: list[NumberedRecord]) -> list[Ticket]:
        now = utcnow()
        first_line: dict[str, int] = {}
        known: dict[str, Customer] = {}
        tickets = []
        for item in numbered:
            reference = item.record.customer_id_reference
            if reference is not None and reference not in known:
                known[reference] = self._known_customer(path, item.line, reference)
            ticket = item.record.to_ticket(
                now=now, known_customer=known.get(reference) if reference else None
            )
            if ticket.id in first_line:
                raise ImportFileError(
                    path,
                    f"ticket id '{ticket.id}' already appears on line {first_line[ticket.id]}",
                    line=item.line,
                    field="id",
                )
            first_line[ticket.id] = item.line
            tickets.append(ticket)
        return tickets

    def _known_customer(self, path: Path, line: int, customer_id: str) -> Customer:
        try:
            return self.store.get_customer(customer_id)
        except DeskPilotError:
            raise ImportFileError(
                path,
                f"no customer with id '{customer_id}' in this workspace; "
                "give an email or an object {email, name} to create one",
                line=line,
                field="customer",
            ) from None

    # --- acting on a ticket ----------------------------------------------------------------

    def add_note(self, ticket_id: str, body: str) -> None:
        note = Message(author=Author.NOTE, body=body, author_name=self.agent)
        self.store.append_message(ticket_id, note)
        self._audit("note", ticket_id, {"chars": len(body)})

    def set_status(self, ticket_id: str, status: Status) -> None:
        self.store.update_ticket(ticket_id, status=status)
        self._audit("set_status", ticket_id, {"status": status.value})

    def _audit(
        self,
        action: str,
        ticket_id: str | None,
        params: dict[str, Any],
        *,
        ok: bool = True,
        result: str = "",
    ) -> ActionRecord:
        return self.store.record_action(
            ActionRecord(
                ticket_id=ticket_id,
                actor=self.agent,
                action=action,
                params=params,
                ok=ok,
                result=result,
            )
        )
