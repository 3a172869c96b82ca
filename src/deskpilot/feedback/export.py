"""Training data from the team's work, for fine-tuning a model on how the team really replies.

``chat``: OpenAI fine-tuning JSONL, one conversation a line: system, the customer's message
(user), the reply the agent finally sent (assistant). ``preference``: pairs for preference
tuning (DPO and the like): the co-pilot's draft is ``rejected``, the reply sent is ``chosen``;
drafts sent unchanged teach no preference and are left out.

Personal details are replaced by placeholders in everything written: emails, phones, cards,
IBANs, identity numbers, security codes, passwords and keys (``copilot.sensitive``), and the
names and companies of the workspace's customers, agents and CRM account owners
(``copilot.names``). One conversation is redacted by one redactor, so a person keeps one
placeholder (``[PERSON_1]``) from the customer's message to the agent's sign-off.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from deskpilot.connectors.capabilities import Crm
from deskpilot.connectors.errors import NoConnectorError
from deskpilot.copilot.names import NameDirectory, lower_case_words
from deskpilot.copilot.redaction import Redactor
from deskpilot.errors import DeskPilotError, NotFoundError
from deskpilot.models import Author, CrmRecord, Customer, EditEvent, EditOutcome, Ticket
from deskpilot.store import Store

Format = Literal["chat", "preference"]
SYSTEM = (
    "You write replies for a customer support team. Answer the customer's message helpfully, "
    "warmly and briefly, stating only what you know to be true."
)
SENT = frozenset({EditOutcome.SENT_AS_IS, EditOutcome.SENT_EDITED})


def export_training(
    store: Store,
    path: Path,
    kind: Format,
    progress: Callable[[int, int], None] | None = None,
    *,
    crm_records: Mapping[str, CrmRecord] | None = None,
    staff: Iterable[str] = (),
) -> int:
    """Write the examples to ``path`` (all or nothing); returns how many.

    ``crm_records`` (the desk's customer id -> the CRM's record, see ``export_crm_records``)
    add account owners, CRM note authors and CRM company names to the names redacted;
    ``staff`` adds agents the tickets do not name (the desk's own agent)."""
    events = [e for e in store.list_edit_events() if e.outcome in SENT]
    people = _People.of(store, events, crm_records or {}, staff)
    temporary = path.with_name(path.name + ".part")
    written = 0
    try:
        with temporary.open("w", encoding="utf-8") as out:
            for done, record in enumerate(_records(store, events, kind, people), start=1):
                if record is not None:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
                if progress:
                    progress(done, len(events))
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise DeskPilotError(f"{path}: cannot write the export: {error.strerror}") from None
    return written


async def crm_records_for(crm: Crm, customers: Iterable[Customer]) -> dict[str, CrmRecord]:
    """The CRM's records for these customers (those it knows), by the desk's customer id."""
    records = {}
    for customer in customers:
        crm_id = await crm.crm_customer_id(customer)
        record = await crm.record(crm_id) if crm_id is not None else None
        if record is not None:
            records[customer.id] = record
    return records


async def export_crm_records(crm: Callable[[], Crm], store: Store) -> dict[str, CrmRecord]:
    """The CRM records of the customers whose conversations are exported; none when no CRM
    serves this workspace. A CRM that fails is an error: exporting without its names would
    break the promise that names are redacted."""
    try:
        connector = crm()
    except NoConnectorError:
        return {}
    customers: dict[str, Customer] = {}
    for event in store.list_edit_events():
        if event.outcome in SENT:
            customer = _ticket_customer(store, event.ticket_id)
            if customer is not None:
                customers.setdefault(customer.id, customer)
    try:
        return await crm_records_for(connector, customers.values())
    except DeskPilotError as error:
        raise DeskPilotError(
            f"cannot read the CRM, whose account owners' names the export must redact: {error}"
        ) from None


def _ticket_customer(store: Store, ticket_id: str) -> Customer | None:
    try:
        return store.get_ticket(ticket_id).customer
    except NotFoundError:
        return None


# --- names ---------------------------------------------------------------------------------


@dataclass
class _People:
    """The workspace's known names, and who takes part in each conversation."""

    directory: NameDirectory
    owners: dict[str, str]  # customer id -> account owner's identity

    @classmethod
    def of(
        cls,
        store: Store,
        events: list[EditEvent],
        crm_records: Mapping[str, CrmRecord],
        staff: Iterable[str],
    ) -> _People:
        # Words the team writes in lower case are ordinary words, even when someone is named
        # after them ("will", "grace").
        directory = NameDirectory(common_words=lower_case_words(e.current_text for e in events))
        for customer in store.list_customers():
            directory.add_person(_customer_identity(customer.id), customer.name)
            if customer.company:
                directory.add_company(_company_identity(customer.company), customer.company)
        for name in staff:
            directory.add_person(_staff_identity(name), name)
        for event in events:
            directory.add_person(_staff_identity(event.agent), event.agent)
        for ticket in _tickets(store, events):
            for message in ticket.messages:
                if message.author_name and message.author is not Author.CUSTOMER:
                    directory.add_person(_staff_identity(message.author_name), message.author_name)
                elif message.author_name and ticket.customer is not None:
                    # How the customer signs may differ from their record ("Ann L.").
                    identity = _customer_identity(ticket.customer.id)
                    directory.add_person(identity, message.author_name)
            if ticket.assignee:
                directory.add_person(_staff_identity(ticket.assignee), ticket.assignee)
        owners = {}
        for customer_id, record in crm_records.items():
            if record.account_owner:
                owners[customer_id] = _staff_identity(record.account_owner)
                directory.add_person(owners[customer_id], record.account_owner)
            if record.company:
                directory.add_company(_company_identity(record.company), record.company)
            for note in record.notes:
                directory.add_person(_staff_identity(note.author), note.author)
        return cls(directory, owners)

    def taking_part(self, ticket: Ticket) -> set[str]:
        """This conversation's people: where a name is shared, theirs is meant."""
        identities = {
            _staff_identity(m.author_name)
            for m in ticket.messages
            if m.author_name and m.author is not Author.CUSTOMER
        }
        customer = ticket.customer
        if customer is not None:
            identities.add(_customer_identity(customer.id))
            if customer.company:
                identities.add(_company_identity(customer.company))
            if customer.id in self.owners:
                identities.add(self.owners[customer.id])
        return identities


def _customer_identity(customer_id: str) -> str:
    return f"customer:{customer_id}"


def _staff_identity(name: str) -> str:
    return "staff:" + " ".join(name.lower().split())


def _company_identity(name: str) -> str:
    return "company:" + " ".join(name.lower().split())


def _tickets(store: Store, events: list[EditEvent]) -> Iterator[Ticket]:
    seen: set[str] = set()
    for event in events:
        if event.ticket_id not in seen:
            seen.add(event.ticket_id)
            try:
                yield store.get_ticket(event.ticket_id)
            except NotFoundError:
                continue


# --- records -------------------------------------------------------------------------------


def _records(
    store: Store, events: list[EditEvent], kind: Format, people: _People
) -> Iterator[dict[str, Any] | None]:
    for event in events:
        try:
            ticket = store.get_ticket(event.ticket_id)
        except NotFoundError:
            yield None
            continue
        question = _question(ticket, event.current_text)
        if not question:
            yield None
            continue
        prefer = people.taking_part(ticket) | {_staff_identity(event.agent)}
        redactor = Redactor(names=people.directory, prefer=prefer)
        prompt = redactor.redact(question)
        final = redactor.redact(event.current_text)
        if kind == "chat":
            yield {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": prompt},
                    {"role": "assistant", "content": final},
                ]
            }
        elif event.outcome is EditOutcome.SENT_EDITED:
            yield {
                "prompt": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": prompt},
                ],
                "chosen": [{"role": "assistant", "content": final}],
                "rejected": [
                    {"role": "assistant", "content": redactor.redact(event.original_text)}
                ],
            }
        else:
            yield None


def _question(ticket: Ticket, reply: str) -> str:
    """The subject and what the customer wrote since the previous agent reply, up to this one."""
    said: list[str] = []
    for message in ticket.messages:
        if message.author is Author.AGENT:
            if message.body.strip() == reply.strip():
                break
            said = []
        elif message.author is Author.CUSTOMER:
            said.append(message.body)
    return f"{ticket.subject}\n\n" + "\n\n".join(said) if said else ""
