"""Conversation quality: QA scores per ticket, and satisfaction surveys (a token per ticket, the
answer putting the score on the ticket).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from deskpilot.models import QaScore
from deskpilot.store import schema
from deskpilot.store.base import StoreBase


class QualityMixin(StoreBase):
    """QA scores and CSAT surveys."""

    def save_qa_score(self, score: QaScore) -> None:
        """Store a ticket's QA score, replacing an earlier one."""
        q = schema.qa_scores
        row = score.model_dump(mode="python")
        with self._write() as connection:
            connection.execute(q.delete().where(q.c.ticket_id == score.ticket_id))
            connection.execute(q.insert().values(**row))

    def qa_scores(self) -> list[QaScore]:
        q = schema.qa_scores
        with self._read() as connection:
            rows = connection.execute(sa.select(q).order_by(q.c.ticket_id)).all()
        return [QaScore.model_validate(row._asdict()) for row in rows]

    def csat_token(self, ticket_id: str, new_token: str, now: datetime) -> str:
        """The ticket's survey token: the one it has, or ``new_token`` stored for it."""
        c = schema.csat_surveys
        with self._write() as connection:
            found = connection.execute(
                sa.select(c.c.token).where(c.c.ticket_id == ticket_id)
            ).scalar_one_or_none()
            if found is not None:
                return str(found)
            connection.execute(c.insert().values(token=new_token, ticket_id=ticket_id,
                                                 created_at=now))  # fmt: skip
        return new_token

    def answer_csat(self, token: str, score: int, comment: str | None, now: datetime) -> str | None:
        """Record a survey answer (a later answer replaces an earlier one) and put the score
        on the ticket; returns the ticket id, or None for an unknown token."""
        c = schema.csat_surveys
        with self._write() as connection:
            ticket_id = connection.execute(
                sa.select(c.c.ticket_id).where(c.c.token == token)
            ).scalar_one_or_none()
            if ticket_id is None:
                return None
            connection.execute(
                c.update()
                .where(c.c.token == token)
                .values(score=score, comment=comment, answered_at=now)
            )
            # updated_at stays: a score arriving days later does not move when the ticket was
            # resolved. Its QA score counts the CSAT, so it is scored again.
            connection.execute(
                schema.tickets.update().where(schema.tickets.c.id == ticket_id).values(csat=score)
            )
            q = schema.qa_scores
            connection.execute(q.delete().where(q.c.ticket_id == ticket_id))
        return str(ticket_id)
