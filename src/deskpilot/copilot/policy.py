"""When the co-pilot drafts, and when the agent is asked why they changed a draft.

These rules used to live in the ticket screen, next to the widgets; written here once, the TUI,
the CLI and tests ask the desk (``Desk.draft_plan``, ``Desk.reason_heading``) and get the same
answer, headless.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskpilot.config import AutomationSettings
from deskpilot.models import EditEvent, EditOutcome, Ticket


def configured_level(settings: AutomationSettings, intent: str | None) -> str:
    """The co-pilot's level for an intent as configured: off, suggest or auto."""
    return settings.levels.get(intent or "", settings.default_level)


@dataclass(frozen=True)
class DraftPlan:
    """What the ticket view does with the draft editor when a ticket opens or changes."""

    draft: bool  # ask the co-pilot for a fresh draft now
    unsent: EditEvent | None = None  # the agent's unsent edit, to restore instead of drafting
    copilot_off: bool = False  # the intent's level is off: the agent drafts on request only


NO_DRAFT = DraftPlan(draft=False)


def draft_plan(
    ticket: Ticket, automation: AutomationSettings, unsent: EditEvent | None
) -> DraftPlan:
    """A draft is wanted when the customer spoke last (or nobody has spoken yet: the agent
    writes first); the agent's own unsent edit comes back before any new draft; an intent
    whose level is ``off`` gets none unless the agent asks."""
    if ticket.public_thread and not ticket.awaits_reply:
        return NO_DRAFT  # the desk answered last: it waits on the customer
    if unsent is not None:
        return DraftPlan(draft=False, unsent=unsent)
    if configured_level(automation, ticket.intent) == "off":
        return DraftPlan(draft=False, copilot_off=True)
    return DraftPlan(draft=True)


def reason_heading(event: EditEvent | None, ask_below: float) -> str | None:
    """The question to ask after a send, or None: only when the agent rewrote enough of a draft
    (its similarity under ``ask_below``); a macro put in the draft's place is not an edit."""
    if event is None or event.outcome is EditOutcome.REPLACED_BY_MACRO:
        return None
    similarity = event.similarity
    if similarity is None or similarity >= ask_below:
        return None
    return f"You changed {1 - similarity:.0%} of the draft"
