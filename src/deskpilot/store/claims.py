"""Team mode's claims: an agent takes a ticket with a lease and a token, renews it while working,
and every write made for the agent checks that the claim still holds.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from deskpilot.errors import ClaimError, NotFoundError
from deskpilot.models import Claim, Status, utcnow
from deskpilot.store import schema
from deskpilot.store.base import StoreBase
from deskpilot.store.filters import QueueFilter, conditions, ordering
from deskpilot.store.listening import notify

# What claim_next hands out unless told otherwise: tickets waiting on an agent.
CLAIMABLE_STATUSES = frozenset({Status.NEW, Status.OPEN})


class ClaimsMixin(StoreBase):
    """Claiming, renewing, checking and releasing tickets."""

    def claim(
        self, ticket_id: str, agent: str, *, lease: timedelta, now: datetime | None = None
    ) -> Claim:
        """Take the ticket for ``agent`` until ``now + lease``, or refuse (ClaimError) while
        another agent's lease runs. Claiming a ticket one already holds renews it."""
        now = now or utcnow()
        t = schema.tickets
        with self._write() as connection:
            row = connection.execute(
                sa.select(t.c.claimed_by, t.c.claim_token, t.c.claimed_until)
                .where(t.c.id == ticket_id)
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}")
            live = row.claimed_until is not None and row.claimed_until > now
            if live and row.claimed_by != agent:
                raise held_by(ticket_id, row.claimed_by, row.claimed_until)
            token = row.claim_token if live and row.claim_token else str(uuid.uuid4())
            claim = Claim(ticket_id=ticket_id, agent=agent, token=token, until=now + lease)
            self._write_claim(connection, claim, announce=not live)
        return claim

    def claim_next(
        self,
        agent: str,
        *,
        lease: timedelta,
        where: QueueFilter | None = None,
        now: datetime | None = None,
    ) -> Claim | None:
        """Claim the first ticket in queue order that nobody holds (new or open ones unless
        ``where`` says otherwise); None when there is none.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so desks claiming at once each lock a different
        row instead of queueing on the first. SQLite: writers are serialised (BEGIN IMMEDIATE).
        Either way the UPDATE re-checks that the ticket is still free.
        """
        now = now or utcnow()
        t = schema.tickets
        where = where or QueueFilter(statuses=CLAIMABLE_STATUSES)
        free = sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until <= now)
        query = (
            sa.select(t.c.id)
            .where(*conditions(where), free)
            .order_by(*ordering("priority", False))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with self._write() as connection:
            while True:
                ticket_id = connection.execute(query).scalar_one_or_none()
                if ticket_id is None:
                    return None
                claim = Claim(
                    ticket_id=ticket_id, agent=agent, token=str(uuid.uuid4()), until=now + lease
                )
                if self._write_claim(connection, claim, announce=True, only_if=free):
                    return claim

    def renew_claim(self, claim: Claim, *, lease: timedelta, now: datetime | None = None) -> Claim:
        """Extend the lease while the agent works; ClaimError if someone took the ticket."""
        now = now or utcnow()
        t = schema.tickets
        renewed = claim.model_copy(update={"until": now + lease})
        with self._write() as connection:
            updated = connection.execute(
                t.update()
                .where(t.c.id == claim.ticket_id, t.c.claim_token == claim.token)
                .values(claimed_until=renewed.until)
            )
            if updated.rowcount == 0:
                raise self._lost(connection, claim)
        return renewed

    def check_claim(self, claim: Claim) -> None:
        """Inside a transaction: lock the ticket and make sure ``claim`` still holds it, so
        whatever the transaction writes next is done by the agent who holds the ticket.

        A lease that ran out without anyone taking the ticket still holds (the token would
        have changed otherwise)."""
        t = schema.tickets
        with self._write() as connection:
            token = connection.execute(
                sa.select(t.c.claim_token).where(t.c.id == claim.ticket_id).with_for_update()
            ).scalar_one_or_none()
            if token != claim.token:
                raise self._lost(connection, claim)

    def release_claim(self, claim: Claim) -> bool:
        """Let the ticket go (after sending, closing, or leaving it); False if it was not held
        by this claim any more."""
        t = schema.tickets
        with self._write() as connection:
            updated = connection.execute(
                t.update()
                .where(t.c.id == claim.ticket_id, t.c.claim_token == claim.token)
                .values(claimed_by=None, claim_token=None, claimed_until=None, updated_at=utcnow())
            )
            if updated.rowcount:
                notify(connection, claim.ticket_id)
        return bool(updated.rowcount)

    def claim_holder(self, ticket_id: str, *, now: datetime | None = None) -> Claim | None:
        """The live claim on the ticket, whoever holds it; None when it is free."""
        now = now or utcnow()
        t = schema.tickets
        with self._read() as connection:
            row = connection.execute(
                sa.select(t.c.claimed_by, t.c.claim_token, t.c.claimed_until).where(
                    t.c.id == ticket_id
                )
            ).one_or_none()
        if row is None:
            raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}")
        if row.claimed_until is None or row.claimed_until <= now:
            return None
        return Claim(
            ticket_id=ticket_id,
            agent=row.claimed_by,
            token=row.claim_token,
            until=row.claimed_until,
        )

    def _write_claim(
        self,
        connection: sa.Connection,
        claim: Claim,
        *,
        announce: bool,
        only_if: sa.ColumnElement[bool] | None = None,
    ) -> bool:
        t = schema.tickets
        values: dict[str, Any] = {
            "claimed_by": claim.agent,
            "claim_token": claim.token,
            "claimed_until": claim.until,
        }
        if announce:
            values["updated_at"] = utcnow()  # other desks' queues show who took it
        conditions = [t.c.id == claim.ticket_id] + ([only_if] if only_if is not None else [])
        updated = connection.execute(t.update().where(*conditions).values(**values))
        if updated.rowcount and announce:
            notify(connection, claim.ticket_id)
        return bool(updated.rowcount)

    def _lost(self, connection: sa.Connection, claim: Claim) -> ClaimError:
        t = schema.tickets
        row = connection.execute(
            sa.select(t.c.claimed_by, t.c.claimed_until).where(t.c.id == claim.ticket_id)
        ).one_or_none()
        if row is None:
            return ClaimError(
                f"{claim.ticket_id} no longer exists in {self.location}", claim.ticket_id, None
            )
        holder = row.claimed_by if row.claimed_by != claim.agent else None
        taken = f"{row.claimed_by} took it over" if holder else "it was released"
        return ClaimError(
            f"your claim on {claim.ticket_id} lapsed and {taken}; nothing was done: "
            "reopen the ticket to see what changed",
            claim.ticket_id,
            holder,
        )


def held_by(ticket_id: str, agent: str, until: datetime) -> ClaimError:
    return ClaimError(
        f"{ticket_id} is being handled by {agent} (claimed until {until:%H:%M} UTC); "
        "pick another ticket",
        ticket_id,
        agent,
    )
