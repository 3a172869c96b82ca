"""The audit trail: every action carried out (refunds, escalations, ...) with its parameters and
outcome, listed by ticket, action or time.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from deskpilot.models import ActionRecord
from deskpilot.store import schema
from deskpilot.store.base import StoreBase, new_id


class AuditMixin(StoreBase):
    """Recording and listing actions."""

    def record_action(self, record: ActionRecord) -> ActionRecord:
        row = record.model_dump(mode="python", exclude={"id"})
        row["params"] = json.loads(json.dumps(record.params, default=str))
        with self._write() as connection:
            inserted = connection.execute(schema.actions.insert().values(**row))
        return record.model_copy(update={"id": new_id(inserted)})

    def list_actions(
        self,
        ticket_id: str | None = None,
        *,
        action: str | None = None,
        since: datetime | None = None,
    ) -> list[ActionRecord]:
        a = schema.actions
        query = sa.select(a).order_by(a.c.id)
        if ticket_id is not None:
            query = query.where(a.c.ticket_id == ticket_id)
        if action is not None:
            query = query.where(a.c.action == action)
        if since is not None:
            query = query.where(a.c.at >= since)
        with self._read() as connection:
            return [ActionRecord.model_validate(row._asdict()) for row in connection.execute(query)]
