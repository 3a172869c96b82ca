"""Customers: saved by id (matched by email before that), looked up one by one or by many emails."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from deskpilot.errors import NotFoundError, StorageError
from deskpilot.models import Customer
from deskpilot.store import schema
from deskpilot.store.base import BATCH, StoreBase, chunks, existing_ids, insert_many


class CustomersMixin(StoreBase):
    """Customers, and their lookup by id and by email."""

    def add_customers(self, customers: Iterable[Customer]) -> None:
        """Insert new customers and update known ones (matched by id)."""
        with self._write() as connection:
            save_customers(connection, list(customers), self.location)

    def get_customer(self, customer_id: str) -> Customer:
        with self._read() as connection:
            return load_customer(connection, customer_id)

    def find_customer(self, customer_id: str) -> Customer | None:
        c = schema.customers
        with self._read() as connection:
            row = connection.execute(sa.select(c).where(c.c.id == customer_id)).one_or_none()
        return Customer.model_validate(row._asdict()) if row else None

    def find_customers_by_emails(self, emails: Sequence[str]) -> dict[str, Customer]:
        c = schema.customers
        found: dict[str, Customer] = {}
        with self._read() as connection:
            for chunk in chunks(list(emails), BATCH):
                for row in connection.execute(sa.select(c).where(c.c.email.in_(chunk))):
                    found[row.email] = Customer.model_validate(row._asdict())
        return found

    def list_customers(self) -> list[Customer]:
        """Every customer, by id: the names the training export must redact."""
        c = schema.customers
        with self._read() as connection:
            rows = connection.execute(sa.select(c).order_by(c.c.id))
            return [Customer.model_validate(row._asdict()) for row in rows]

    def count_customers(self) -> int:
        with self._read() as connection:
            query = sa.select(sa.func.count()).select_from(schema.customers)
            return int(connection.execute(query).scalar_one())


def save_customers(
    connection: sa.Connection, customers: Iterable[Customer | None], location: str
) -> None:
    """Insert new customers and update known ones (by id); created_at never changes."""
    wanted = {c.id: c for c in customers if c is not None}
    if not wanted:
        return
    c = schema.customers
    known = existing_ids(connection, c, list(wanted))
    fresh = [cust.model_dump(mode="python") for i, cust in wanted.items() if i not in known]
    try:
        insert_many(connection, c, fresh)
    except sa.exc.IntegrityError as error:
        raise StorageError(f"{location}: customer email already taken: {error.orig}") from None
    for customer_id in known:
        row = wanted[customer_id].model_dump(mode="python", exclude={"id", "created_at"})
        connection.execute(c.update().where(c.c.id == customer_id).values(**row))


def load_customer(connection: sa.Connection, customer_id: str) -> Customer:
    c = schema.customers
    row = connection.execute(sa.select(c).where(c.c.id == customer_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"no customer with id '{customer_id}'")
    return Customer.model_validate(row._asdict())
