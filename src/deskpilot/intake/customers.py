"""Who each imported ticket is from: customers matched by email, merged across lines, and
checked against the workspace, so an import never splits one person or mixes up two.

A customer already in the workspace is matched, never rewritten: whoever writes a file or
posts a ticket could otherwise rename anyone whose email they know (and every ticket of theirs
would show the new name). Profiles change through the CRM connector, or an import the admin
runs with ``--update-customers``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from deskpilot.errors import ImportFileError
from deskpilot.intake.files import NumberedRecord
from deskpilot.intake.records import CustomerRecord, customer_id_for
from deskpilot.models import Customer
from deskpilot.store import Store


class _Merged:
    """One email's customer as the file describes it, line after line."""

    def __init__(self, email: str, line: int) -> None:
        self.email = email
        self.first_line = line
        self.given_id: tuple[str, int] | None = None  # (id, line it was given on)
        self.fields: dict[str, Any] = {}


@dataclass
class ResolvedCustomers:
    by_line: dict[int, Customer]  # the customer of each line that names one
    # Known customers whose details in the file differ from the workspace's and were not
    # applied (without ``update_known``): their emails, for the report.
    kept: list[str] = field(default_factory=list)


def resolve_customers(
    path: Path,
    numbered: Sequence[NumberedRecord],
    store: Store,
    now: datetime,
    *,
    update_known: bool = False,
) -> ResolvedCustomers:
    """The customer of each line that names one. New customers are created from what the file
    says; known ones are matched and kept as they are, unless ``update_known``."""
    merged = _merge_by_email(path, numbered)
    stored_by_email = store.find_customers_by_emails(list(merged))
    resolved = ResolvedCustomers({})
    final: dict[str, Customer] = {}
    for email, item in merged.items():
        stored = stored_by_email.get(email)
        final[email] = _final_customer(path, item, stored, store, now, update_known)
        if stored is not None and not update_known and _differs(stored, item.fields):
            resolved.kept.append(email)
    for numbered_item in numbered:
        record = numbered_item.record
        line = numbered_item.line
        if record.customer_email is not None:
            resolved.by_line[line] = final[record.customer_email]
        elif record.customer_id_reference is not None:
            resolved.by_line[line] = _known(path, line, store, record.customer_id_reference)
    return resolved


def _differs(stored: Customer, fields: dict[str, Any]) -> bool:
    return any(getattr(stored, name) != value for name, value in fields.items())


def _merge_by_email(path: Path, numbered: Sequence[NumberedRecord]) -> dict[str, _Merged]:
    merged: dict[str, _Merged] = {}
    owner_of_id: dict[str, str] = {}
    for item in numbered:
        email = item.record.customer_email
        if email is None:
            continue
        entry = merged.setdefault(email, _Merged(email, item.line))
        customer = item.record.customer
        if not isinstance(customer, CustomerRecord):
            continue
        given = customer.given()
        given_id = given.pop("id", None)
        if given_id is not None:
            _check_one_id_per_email(path, item.line, entry, given_id)
            _check_one_email_per_id(path, item.line, owner_of_id, given_id, email)
            entry.given_id = (given_id, item.line)
        given.pop("email", None)
        entry.fields.update(given)
    return merged


def _check_one_id_per_email(path: Path, line: int, entry: _Merged, given_id: str) -> None:
    if entry.given_id is not None and entry.given_id[0] != given_id:
        raise ImportFileError(
            path,
            f"{entry.email} has id '{entry.given_id[0]}' on line {entry.given_id[1]} "
            f"but '{given_id}' here",
            line=line,
            field="customer.id",
        )


def _check_one_email_per_id(
    path: Path, line: int, owner_of_id: dict[str, str], given_id: str, email: str
) -> None:
    owner = owner_of_id.setdefault(given_id, email)
    if owner != email:
        raise ImportFileError(
            path,
            f"customer id '{given_id}' is {owner} elsewhere in the file, not {email}",
            line=line,
            field="customer.id",
        )


def _final_customer(
    path: Path,
    item: _Merged,
    stored: Customer | None,
    store: Store,
    now: datetime,
    update_known: bool,
) -> Customer:
    if stored is not None:
        if item.given_id is not None and item.given_id[0] != stored.id:
            raise ImportFileError(
                path,
                f"{item.email} is customer '{stored.id}' in this workspace, not "
                f"'{item.given_id[0]}'",
                line=item.given_id[1],
                field="customer.id",
            )
        return stored.model_copy(update=item.fields) if update_known else stored
    customer_id = item.given_id[0] if item.given_id else customer_id_for(item.email)
    taken = store.find_customer(customer_id)
    if taken is not None:
        raise ImportFileError(
            path,
            f"customer id '{customer_id}' belongs to {taken.email} in this workspace",
            line=item.given_id[1] if item.given_id else item.first_line,
            field="customer.id",
        )
    return Customer(id=customer_id, email=item.email, created_at=now, **item.fields)


def _known(path: Path, line: int, store: Store, customer_id: str) -> Customer:
    customer = store.find_customer(customer_id)
    if customer is None:
        raise ImportFileError(
            path,
            f"no customer with id '{customer_id}' in this workspace; "
            "give an email or an object {email, name} to create one",
            line=line,
            field="customer",
        )
    return customer
