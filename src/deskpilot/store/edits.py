"""Drafts and what agents did with them: drafts, edit events and their autosaved revisions, and the
learned tallies of which knowledge sources helped or misled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa

from deskpilot.errors import NotFoundError
from deskpilot.models import Draft, EditEvent, EditOutcome, EditRevision, utcnow
from deskpilot.store import schema
from deskpilot.store.base import BATCH, StoreBase, chunks, new_id


class EditsMixin(StoreBase):
    """Drafts, edit events, revisions and source feedback."""

    def save_draft(self, draft: Draft) -> int:
        row = draft.model_dump(mode="python")
        row["sources"] = [s.model_dump(mode="json") for s in draft.sources]
        with self._write() as connection:
            # The values as parameters of one cached statement: every draft is saved, and
            # building a statement with its values each time cost more than the insert.
            inserted = connection.execute(schema.drafts.insert(), row)
        return new_id(inserted)

    def latest_draft(self, ticket_id: str) -> Draft | None:
        d = schema.drafts
        with self._read() as connection:
            row = connection.execute(
                sa.select(d).where(d.c.ticket_id == ticket_id).order_by(d.c.id.desc()).limit(1)
            ).one_or_none()
        if row is None:
            return None
        return Draft.model_validate({k: v for k, v in row._asdict().items() if k != "id"})

    def get_draft(self, draft_id: int) -> Draft | None:
        d = schema.drafts
        with self._read() as connection:
            row = connection.execute(sa.select(d).where(d.c.id == draft_id)).one_or_none()
        if row is None:
            return None
        return Draft.model_validate({k: v for k, v in row._asdict().items() if k != "id"})

    def drafts_by_id(self, ids: Iterable[int]) -> dict[int, Draft]:
        d = schema.drafts
        found: dict[int, Draft] = {}
        with self._read() as connection:
            for chunk in chunks(sorted(set(ids)), BATCH):
                for row in connection.execute(sa.select(d).where(d.c.id.in_(chunk))):
                    values = row._asdict()
                    draft_id = values.pop("id")
                    found[draft_id] = Draft.model_validate(values)
        return found

    def save_edit_event(self, edit: EditEvent) -> None:
        """Insert or update an edit event; each call is committed before it returns."""
        row = edit.model_dump(mode="python")
        e = schema.edit_events
        with self._write() as connection:
            updated = connection.execute(e.update().where(e.c.id == edit.id).values(**row))
            if updated.rowcount == 0:
                connection.execute(e.insert().values(**row))

    def get_edit_event(self, event_id: str) -> EditEvent:
        e = schema.edit_events
        with self._read() as connection:
            row = connection.execute(sa.select(e).where(e.c.id == event_id)).one_or_none()
        if row is None:
            raise NotFoundError(f"no edit event '{event_id}' in {self.location}")
        return EditEvent.model_validate(row._asdict())

    def list_edit_events(
        self, ticket_id: str | None = None, *, since: datetime | None = None
    ) -> list[EditEvent]:
        e = schema.edit_events
        query = sa.select(e).order_by(e.c.shown_at, e.c.id)
        if ticket_id is not None:
            query = query.where(e.c.ticket_id == ticket_id)
        if since is not None:
            query = query.where(e.c.shown_at >= since)
        with self._read() as connection:
            return [EditEvent.model_validate(row._asdict()) for row in connection.execute(query)]

    def pending_edit_event(self, ticket_id: str, agent: str) -> EditEvent | None:
        """The agent's unfinished edit of this ticket's draft, if a desk closed mid-edit."""
        e = schema.edit_events
        query = (
            sa.select(e)
            .where(
                e.c.ticket_id == ticket_id,
                e.c.agent == agent,
                e.c.outcome == EditOutcome.PENDING.value,
            )
            .order_by(e.c.updated_at.desc(), e.c.id.desc())
            .limit(1)
        )
        with self._read() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else EditEvent.model_validate(row._asdict())

    def save_edit_revision(self, revision: EditRevision) -> None:
        """Append an autosaved state and bring its event's current text up to it, in one commit:
        a desk killed right after this returns reopens exactly this text."""
        e = schema.edit_events
        with self._write() as connection:
            # The event first: an unknown one is a NotFoundError, not a foreign key failure.
            updated = connection.execute(
                e.update()
                .where(e.c.id == revision.event_id)
                .values(
                    current_text=revision.text,
                    keystrokes=revision.keystrokes,
                    updated_at=revision.at,
                )
            )
            if updated.rowcount == 0:
                raise NotFoundError(f"no edit event '{revision.event_id}' in {self.location}")
            connection.execute(
                schema.edit_revisions.insert().values(**revision.model_dump(mode="python"))
            )

    def list_edit_revisions(self, event_id: str) -> list[EditRevision]:
        r = schema.edit_revisions
        query = sa.select(r).where(r.c.event_id == event_id).order_by(r.c.id)
        with self._read() as connection:
            return [
                EditRevision.model_validate({k: v for k, v in row._asdict().items() if k != "id"})
                for row in connection.execute(query)
            ]

    def save_source_feedback(self, tallies: Mapping[str, tuple[int, int, int]]) -> None:
        """Replace the learned tallies: source id -> (drafts built on it, kept, misled)."""
        f = schema.source_feedback
        now = utcnow()
        rows = [
            {"source_id": key, "used": used, "kept": kept, "misled": misled, "updated_at": now}
            for key, (used, kept, misled) in tallies.items()
        ]
        with self._write() as connection:
            connection.execute(f.delete())
            for chunk in chunks(rows, BATCH):
                connection.execute(f.insert(), chunk)

    def add_source_feedback(self, deltas: Mapping[str, tuple[int, int, int]]) -> None:
        """Add one edit's evidence to the tallies (learn() recomputes them from scratch)."""
        f = schema.source_feedback
        now = utcnow()
        with self._write() as connection:
            for key, (used, kept, misled) in deltas.items():
                updated = connection.execute(
                    f.update()
                    .where(f.c.source_id == key)
                    .values(
                        used=f.c.used + used,
                        kept=f.c.kept + kept,
                        misled=f.c.misled + misled,
                        updated_at=now,
                    )
                )
                if updated.rowcount == 0:
                    connection.execute(
                        f.insert().values(
                            source_id=key, used=used, kept=kept, misled=misled, updated_at=now
                        )
                    )

    def source_feedback(self) -> dict[str, tuple[int, int, int]]:
        f = schema.source_feedback
        with self._read() as connection:
            return {
                row.source_id: (row.used, row.kept, row.misled)
                for row in connection.execute(sa.select(f))
            }
