"""What the desk's workers and widgets tell the screens and the app, as typed messages.

Workers run the blocking and slow work (the store, the index, connectors) off the event loop
and end by posting one of these; the handler, on the event loop, repaints. A worker never
touches a widget, and a test can watch the messages (``message_hook``) instead of polling.
Dataclass messages (as toolong's): the fields are the whole contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from deskpilot.errors import DeskPilotError

if TYPE_CHECKING:
    from textual.content import Content

    from deskpilot.copilot.context import DraftContext
    from deskpilot.copilot.policy import DraftPlan
    from deskpilot.desk import Desk
    from deskpilot.feedback.report import TeamReport
    from deskpilot.knowledge import Hit
    from deskpilot.models import EditEvent, Ticket, TicketSummary, TriageRecord
    from deskpilot.models import Message as TicketMessage
    from deskpilot.queue.merge import Duplicate
    from deskpilot.queue.views import QueueView
    from deskpilot.store.channels import OutboxEntry

# --- the app ---------------------------------------------------------------------------------


@dataclass
class OpenTicket(Message):
    """Open this ticket on top of the queue; ``view``: where "next ticket" looks."""

    ticket_id: str
    view: QueueView | None = None


@dataclass
class DeliverReply(Message):
    """Try a reply just sent (or queued again) at once, on the app: leaving the ticket never
    cancels it."""

    ticket_id: str
    message_id: str


@dataclass
class DeliveryUpdated(Message):
    """A reply of this ticket went out (or could not yet): its state changed."""

    ticket_id: str


@dataclass
class ReleaseClaim(Message):
    """The agent left this ticket unfinished: let go of its claim (a write, in the app's
    worker: the screen that asks is being taken down)."""

    ticket_id: str


@dataclass
class WorkerFailed(Message):
    """A worker ended on an error nobody expected; the app told the agent and goes on."""

    worker_name: str
    error: str


# --- the ticket ------------------------------------------------------------------------------


@dataclass
class TicketClaimed(Message):
    """Opening the ticket claimed it (``holder`` None), or another agent holds it: read only,
    ``refusal`` says so."""

    ticket_id: str
    holder: str | None
    refusal: str | None = None


@dataclass
class TicketLoaded(Message):
    """What the ticket screen shows, read off the event loop: the ticket, each reply's way
    out, its triage, the line under its title, and what opening it wants of the draft.
    ``generation``: the screen's load it answers (an older one's result is dropped)."""

    ticket_id: str
    generation: int
    ticket: Ticket
    deliveries: dict[str, OutboxEntry]
    triage: TriageRecord | None
    notice: Content
    plan: DraftPlan


@dataclass
class ReasonGiven(Message):
    """Why the agent rewrote or discarded a draft is stored (or, ``error``, could not be)."""

    edit_id: str
    reason: str
    error: str | None = None


@dataclass
class TicketLoadFailed(Message):
    ticket_id: str
    error: str


@dataclass
class DeliveriesLoaded(Message):
    """Each reply's way out, read again after one of them went out (or could not yet)."""

    ticket_id: str
    deliveries: dict[str, OutboxEntry]


@dataclass
class NextTicketFound(Message):
    """The view's next ticket, claimed (None: none is waiting); ``error`` when the desk
    could not say."""

    ticket_id: str | None
    view: QueueView
    error: str | None = None

    @classmethod
    def claim(cls, desk: Desk, view: QueueView) -> NextTicketFound:
        """Claim the view's next ticket and say which (a query over the whole view: called
        in a worker, by the queue's ``n`` and the ticket screen's ``N``)."""
        try:
            ticket = desk.next_ticket(view)
        except DeskPilotError as error:
            return cls(None, view, str(error))
        return cls(ticket.id if ticket else None, view)


@dataclass
class KnowledgeFound(Message):
    ticket_id: str
    hits: list[Hit]


@dataclass
class KnowledgeFailed(Message):
    ticket_id: str
    error: str


@dataclass
class ContextLoaded(Message):
    """What the connectors returned for the ticket (CRM, billing, bugs, team chat)."""

    ticket_id: str
    context: DraftContext


@dataclass
class ContextFailed(Message):
    ticket_id: str
    error: str


@dataclass
class ClaimLost(Message):
    ticket_id: str
    holder: str | None


@dataclass
class AutosaveFailed(Message):
    text: str
    error: str


@dataclass
class ActionDone(Message):
    """A desk operation on the ticket (note, close, intent, take...) went through."""

    ticket_id: str
    done: str  # what the agent is told
    advance: bool = False  # then on to the next ticket (after close)


@dataclass
class ActionFailed(Message):
    ticket_id: str
    what: str
    error: str


@dataclass
class ReplySent(Message):
    """The agent's reply is in the thread (and queued for its channel, if it has one)."""

    ticket_id: str
    event: EditEvent | None  # the draft's edit event, ended as sent
    done: str  # what the agent is told: where the reply goes


@dataclass
class ArrivedChecked(Message):
    """Before a send: what the customer or a teammate wrote since the draft was shown (empty:
    nothing, send), and how many messages the ticket has now."""

    ticket_id: str
    arrived: list[TicketMessage]
    messages: int


@dataclass
class IntentsRead(Message):
    """The intent dialog's choices (the workspace's intents), read off the event loop."""

    ticket_id: str
    intents: list[str]


@dataclass
class EscalationPrepared(Message):
    """The escalate dialog's hand-off summary and holding reply, read off the event loop."""

    ticket_id: str
    summary: str
    holding: str


@dataclass
class DuplicatesFound(Message):
    """The merge dialog's likely duplicates of the ticket, found off the event loop."""

    ticket_id: str
    duplicates: list[Duplicate]


@dataclass
class ReplyRequeued(Message):
    """A failed reply is queued again (``entry_id`` in the outbox): deliver it now."""

    ticket_id: str
    entry_id: int
    message_id: str


@dataclass
class SendFailed(Message):
    """The reply did not go; the draft's edit event (taken along) is the editor's again."""

    ticket_id: str
    edit_id: str | None


# --- team stats ------------------------------------------------------------------------------


@dataclass
class StatsComputed(Message):
    report: TeamReport


# --- the queue -------------------------------------------------------------------------------


@dataclass
class QueueCounted(Message):
    view: QueueView
    total: int


@dataclass
class QueueReloaded(Message):
    """The shown view, changed underneath: ``view`` (search applied) holds ``total``."""

    shown: QueueView
    view: QueueView
    total: int


@dataclass
class TicketOwned(Message):
    """Take or assign from the queue went through: ``owner`` holds the ticket now (or,
    ``error``, it could not be done)."""

    ticket_id: str
    owner: str | None
    error: str | None = None


@dataclass
class QueueChecked(Message):
    changed: bool


@dataclass
class SearchPrepared(Message):
    """The tickets' texts the queue search reads are read afresh: search again with them."""


@dataclass
class PageLoaded(Message, bubble=False):
    """A page of the queue table's rows, for the table alone."""

    page: int
    generation: int
    rows: list[TicketSummary] = field(default_factory=list)
