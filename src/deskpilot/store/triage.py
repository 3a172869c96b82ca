"""Triage records: the predicted intent, sentiment and hand-off advice per ticket; a ticket takes
the prediction unless a human labelled it.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from deskpilot.models import IntentSource, TriageRecord
from deskpilot.store import schema
from deskpilot.store.base import BATCH, StoreBase, chunks
from deskpilot.store.listening import notify


class TriageMixin(StoreBase):
    """Storing and reading triages."""

    def save_triages(self, records: Iterable[TriageRecord]) -> None:
        """Store triages; a ticket takes the predicted intent unless a human labelled it."""
        t, tr = schema.tickets, schema.triage
        human = [IntentSource.LABEL.value, IntentSource.CORRECTION.value]
        rows = [{**r.model_dump(mode="json"), "at": r.at} for r in records]
        with self._write() as connection:
            for chunk in chunks(rows, BATCH):
                ids = [row["ticket_id"] for row in chunk]
                connection.execute(tr.delete().where(tr.c.ticket_id.in_(ids)))
                connection.execute(tr.insert(), chunk)
            for row in rows:
                connection.execute(
                    t.update().where(t.c.id == row["ticket_id"]).values(sentiment=row["sentiment"])
                )
                connection.execute(
                    t.update()
                    .where(
                        t.c.id == row["ticket_id"],
                        sa.or_(t.c.intent_source.is_(None), t.c.intent_source.not_in(human)),
                    )
                    .values(
                        intent=row["intent"],
                        intent_confidence=row["confidence"],
                        intent_source=IntentSource.PREDICTED.value,
                    )
                )
            if rows:
                notify(connection, "triaged")

    def get_triage(self, ticket_id: str) -> TriageRecord | None:
        tr = schema.triage
        with self._read() as connection:
            row = connection.execute(sa.select(tr).where(tr.c.ticket_id == ticket_id)).one_or_none()
        return TriageRecord.model_validate(row._asdict()) if row else None
