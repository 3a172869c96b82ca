"""Capturing an agent's edit of a draft, durably, from the moment it is shown to its outcome.

Every autosave is its own committed write, so a desk killed mid-edit loses at most the typing
since the last one, and reopening the ticket brings the unsent text back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from deskpilot.errors import DeskPilotError
from deskpilot.feedback.measures import measure
from deskpilot.models import Draft, EditEvent, EditOutcome, EditRevision
from deskpilot.store import Store

FINAL_OUTCOMES = frozenset(EditOutcome) - {EditOutcome.PENDING}


class EditCapture:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def begin(self, draft: Draft, *, agent: str, draft_id: int | None, intent: str | None) -> str:
        """A draft was shown to the agent: open its edit event; returns the event id.

        An earlier draft of this ticket the agent left untouched was, in effect, regenerated."""
        while (earlier := self.store.pending_edit_event(draft.ticket_id, agent)) is not None:
            self.finish(earlier.id, EditOutcome.REGENERATED)
        now = self.clock()
        event = EditEvent(
            id=uuid.uuid4().hex,
            ticket_id=draft.ticket_id,
            agent=agent,
            original_text=draft.text,
            current_text=draft.text,
            intent=intent,
            drafter=draft.drafter,
            model=draft.model,
            prompt_version=draft.prompt_version,
            shown_at=now,
            updated_at=now,
            draft_id=draft_id,
        )
        self.store.save_edit_event(event)
        return event.id

    def autosave(self, event_id: str, text: str, keystrokes: int) -> None:
        self.store.save_edit_revision(
            EditRevision(event_id=event_id, text=text, keystrokes=keystrokes, at=self.clock())
        )

    def finish(
        self,
        event_id: str,
        outcome: EditOutcome,
        final_text: str | None = None,
        *,
        keystrokes: int | None = None,
        reason: str | None = None,
    ) -> EditEvent:
        """Close the event with its outcome and the measures of what the agent changed."""
        if outcome not in FINAL_OUTCOMES:
            raise ValueError(f"{outcome} is not a final outcome")
        event = self.store.get_edit_event(event_id)
        if event.outcome is not EditOutcome.PENDING:
            raise DeskPilotError(f"edit event {event_id} already ended as {event.outcome.value}")
        final = event.current_text if final_text is None else final_text
        if outcome is EditOutcome.SENT_AS_IS and final.strip() != event.original_text.strip():
            outcome = EditOutcome.SENT_EDITED
        if outcome is EditOutcome.SENT_EDITED and final.strip() == event.original_text.strip():
            outcome = EditOutcome.SENT_AS_IS
        measures = measure(event.original_text, final)
        finished = event.model_copy(
            update={
                "current_text": final,
                "outcome": outcome,
                "finished_at": self.clock(),
                "updated_at": self.clock(),
                "keystrokes": event.keystrokes if keystrokes is None else keystrokes,
                "similarity": measures.similarity,
                "edit_distance": measures.edit_distance,
                "edit_class": measures.edit_class.value,
                "diff": measures.diff,
                "reason": reason or event.reason,
            }
        )
        self.store.save_edit_event(finished)
        return finished

    def set_reason(self, event_id: str, reason: str) -> None:
        event = self.store.get_edit_event(event_id)
        self.store.save_edit_event(event.model_copy(update={"reason": reason}))

    def unsent(self, ticket_id: str, agent: str) -> EditEvent | None:
        """The agent's edit of this ticket that a closed or killed desk left unsent (a draft
        left as it was is not an edit: a fresh one replaces it)."""
        event = self.store.pending_edit_event(ticket_id, agent)
        if event is None or event.current_text == event.original_text:
            return None
        return event
