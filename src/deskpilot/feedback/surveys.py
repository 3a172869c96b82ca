"""Satisfaction surveys sent through the ticket's channel: solving a ticket schedules its
survey ``[csat] delay_minutes`` later; the channel service (``deskpilot serve``, ``deskpilot
sync``) puts due surveys into the outbox, and the delivery worker sends them as any reply.

Once per ticket, ever: the survey row records when it was queued, and the mark is written with
a condition in the same transaction as the outbox entry, so two servers never send it twice and
solving a ticket again after it went out sends nothing. A ticket reopened before its survey was
due is not surveyed (it is not solved); solving it again moves the due time. Tickets on an
``off_channels`` channel (the ticket's channel, e.g. "chat", or its connector's name), or with
no channel to answer through, are marked done without a survey, and the audit trail says why.

The survey is not a message in the thread: it is not an agent's reply (it would count as one
in every statistic and move the ticket's resolution time); the outbox entry and the audit trail
record it, and the answer lands on the ticket (``feedback/csat.py``).

The logic takes narrow collaborators (the store, the outbox's enqueue, how the desk picks a
ticket's channel and makes replies, an audit callable, the time now), never the desk.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from deskpilot.config import CsatSettings
from deskpilot.connectors.models import OutboundReply
from deskpilot.feedback.csat import new_token, survey_text, survey_url
from deskpilot.models import Author, Message, Ticket
from deskpilot.store.surveys import DueSurvey

SURVEY_AUTHOR = "csat"  # the audit trail's actor for surveys going out
Audit = Callable[..., Any]


class SurveyQueueStore(Protocol):
    def transaction(self) -> AbstractContextManager[None]: ...

    def get_ticket(self, ticket_id: str) -> Ticket: ...

    def schedule_survey(self, ticket_id: str, new_token: str, due_at: datetime) -> bool: ...

    def due_surveys(self, now: datetime, limit: int = 100) -> list[DueSurvey]: ...

    def mark_survey_queued(self, ticket_id: str, message_id: str | None, now: datetime) -> bool: ...


@dataclass(frozen=True)
class SurveyChannel:
    """How the desk answers a ticket: which connector, a new Message-ID, the reply itself."""

    reply_channel: Callable[[Ticket], str | None]
    new_message_id: Callable[[], str]
    outbound_reply: Callable[[Ticket, Message], OutboundReply]
    enqueue: Callable[[OutboundReply, str, datetime], int]


@dataclass(frozen=True)
class QueuedSurvey:
    ticket_id: str
    connector: str | None  # None: not sent (see ``skipped``)
    message_id: str | None
    skipped: str = ""  # why no survey went: an off channel, no channel


def schedule(
    store: SurveyQueueStore, settings: CsatSettings, ticket_id: str, now: datetime
) -> datetime | None:
    """The ticket was solved: its survey is due after the delay. None when surveys are off or
    its survey went out already."""
    if not settings.enabled:
        return None
    due = now + timedelta(minutes=settings.delay_minutes)
    return due if store.schedule_survey(ticket_id, new_token(), due) else None


def queue_due(
    store: SurveyQueueStore,
    channel: SurveyChannel,
    settings: CsatSettings,
    base_url: str,
    *,
    audit: Audit,
    now: datetime,
    limit: int = 100,
) -> list[QueuedSurvey]:
    """Put every survey that is due into the outbox (or mark it skipped); each in its own
    transaction with its once-only mark."""
    if not settings.enabled:
        return []
    off = {name.strip().lower() for name in settings.off_channels}
    done = []
    for due in store.due_surveys(now, limit):
        with store.transaction():
            ticket = store.get_ticket(due.ticket_id)
            connector = channel.reply_channel(ticket)
            skipped = _skip_reason(ticket, connector, off)
            message_id = None if skipped else channel.new_message_id()
            if not store.mark_survey_queued(ticket.id, message_id, now):
                continue  # another server took it
            if connector is None or message_id is None:
                audit(
                    "csat_survey", ticket.id, {"sent": False, "why": skipped}, actor=SURVEY_AUTHOR
                )
                done.append(QueuedSurvey(ticket.id, None, None, skipped))
                continue
            url = survey_url(base_url, due.token)
            survey = Message(
                author=Author.AGENT,
                author_name=ticket.assignee or "",
                body=survey_text(ticket.subject, url),
                at=now,
                external_id=message_id,
            )
            channel.enqueue(channel.outbound_reply(ticket, survey), connector, now)
            params = {"sent": True, "connector": connector, "message_id": message_id}
            audit("csat_survey", ticket.id, params, actor=SURVEY_AUTHOR)
            done.append(QueuedSurvey(ticket.id, connector, message_id))
    return done


def _skip_reason(ticket: Ticket, connector: str | None, off: set[str]) -> str:
    if ticket.channel.value in off:
        return f"surveys are off on {ticket.channel.value} ([csat] off_channels)"
    if connector is not None and connector.lower() in off:
        return f"surveys are off on {connector} ([csat] off_channels)"
    if connector is None:
        return "the ticket has no channel to send through"
    if ticket.customer is None:
        return "the ticket has no customer to ask"
    return ""
