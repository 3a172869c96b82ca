"""What sending satisfaction surveys persists: when each solved ticket's survey is due, and
that it went into the outbox (once per ticket, ever).

A mixin of ``Store`` (one module per persisted concern), beside the survey token and answer
methods in ``sql.py``. Solving a ticket sets ``due_at`` (the delay later); the channel service
takes due surveys of tickets still solved, and marks each queued in the same transaction that
puts it in the outbox, with a condition on ``queued_at`` so two ``serve`` processes never queue
one survey twice. A ticket reopened before its survey was due is simply not taken; solving it
again moves ``due_at``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from deskpilot.models import Status
from deskpilot.store import schema

SURVEYED_STATUSES = (Status.SOLVED.value, Status.CLOSED.value)


@dataclass(frozen=True)
class DueSurvey:
    ticket_id: str
    token: str
    due_at: datetime


@dataclass(frozen=True)
class SurveyState:
    token: str
    due_at: datetime | None
    queued_at: datetime | None
    message_id: str | None
    score: int | None


class SurveyStore:
    """Mixed into ``Store``; uses only its public connection helpers."""

    if TYPE_CHECKING:

        def writing(self) -> AbstractContextManager[sa.Connection]: ...

        def reading(self) -> AbstractContextManager[sa.Connection]: ...

    def schedule_survey(self, ticket_id: str, new_token: str, due_at: datetime) -> bool:
        """The ticket was solved: its survey is due at ``due_at`` (its token made now if it has
        none). False when its survey went out already (never twice)."""
        c = schema.csat_surveys
        with self.writing() as connection:
            found = connection.execute(
                sa.select(c.c.queued_at).where(c.c.ticket_id == ticket_id)
            ).one_or_none()
            if found is None:
                connection.execute(
                    c.insert().values(
                        token=new_token, ticket_id=ticket_id, created_at=due_at, due_at=due_at
                    )
                )
                return True
            if found.queued_at is not None:
                return False
            connection.execute(c.update().where(c.c.ticket_id == ticket_id).values(due_at=due_at))
        return True

    def due_surveys(self, now: datetime, limit: int = 100) -> list[DueSurvey]:
        """Surveys due by ``now``, not yet queued, of tickets that are still solved."""
        c, t = schema.csat_surveys, schema.tickets
        query = (
            sa.select(c.c.ticket_id, c.c.token, c.c.due_at)
            .join_from(c, t, t.c.id == c.c.ticket_id)
            .where(
                c.c.due_at <= now,
                c.c.queued_at.is_(None),
                c.c.answered_at.is_(None),
                t.c.status.in_(SURVEYED_STATUSES),
                t.c.merged_into.is_(None),
            )
            .order_by(c.c.due_at, c.c.ticket_id)
            .limit(limit)
        )
        with self.reading() as connection:
            rows = connection.execute(query).all()
        return [DueSurvey(row.ticket_id, row.token, row.due_at) for row in rows]

    def mark_survey_queued(self, ticket_id: str, message_id: str | None, now: datetime) -> bool:
        """Record that the survey is on its way (``message_id``: its outbox reply; None: it
        will never go, e.g. the ticket has no channel). False if another process did first."""
        c = schema.csat_surveys
        with self.writing() as connection:
            updated = connection.execute(
                c.update()
                .where(c.c.ticket_id == ticket_id, c.c.queued_at.is_(None))
                .values(queued_at=now, message_id=message_id)
            )
        return bool(updated.rowcount)

    def survey_state(self, ticket_id: str) -> SurveyState | None:
        c = schema.csat_surveys
        with self.reading() as connection:
            row = connection.execute(sa.select(c).where(c.c.ticket_id == ticket_id)).one_or_none()
        if row is None:
            return None
        return SurveyState(row.token, row.due_at, row.queued_at, row.message_id, row.score)
