"""Satisfaction surveys: a one-click CSAT survey for each solved ticket, and its answer.

Each solved ticket gets an unguessable token (one per ticket, kept). The survey is five links,
``<base>/csat/<token>?score=1`` to ``5``: one click answers, and ``deskpilot serve`` records
the score on the ticket (``Ticket.csat``, so every statistic counts it) with an optional
comment posted to the same address. The answer is audited and the comment goes on the ticket
as an internal note. ``feedback/surveys.py`` sends the survey through the ticket's channel,
``[csat] delay_minutes`` after the ticket is solved, with the text and links made here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from deskpilot.config import CsatSettings, IntakeSettings, Settings
from deskpilot.errors import DeskPilotError
from deskpilot.models import Audit, Author, Message, Status
from deskpilot.store import Store

PATH = "/csat/"
MAX_COMMENT = 2000
SURVEY_TEXT = """How did we do on "{subject}"?

Rate our answer with one click:
{links}

Thank you: every answer is read by the team."""
LABELS = {1: "very poor", 2: "poor", 3: "okay", 4: "good", 5: "excellent"}


@dataclass(frozen=True)
class CsatSurvey:
    ticket_id: str
    token: str
    url: str  # the survey's address, without a score
    text: str  # what the customer receives: the five one-click links


def base_url(settings: Settings) -> str:
    return public_base_url(settings.csat, settings.intake)


def public_base_url(csat: CsatSettings, intake: IntakeSettings) -> str:
    """Where customers reach ``deskpilot serve``: ``[csat] base_url``, else [intake]'s."""
    if csat.base_url:
        return csat.base_url.rstrip("/")
    return f"http://{intake.host}:{intake.port}"


def survey(store: Store, settings: Settings, now: datetime, ticket_id: str) -> CsatSurvey:
    """The ticket's survey (its token made on first use); only for a solved ticket."""
    ticket = store.get_ticket(ticket_id)
    if ticket.status not in {Status.SOLVED, Status.CLOSED}:
        raise DeskPilotError(f"{ticket_id} is {ticket.status.value}: surveys go to solved tickets")
    if not settings.csat.enabled:
        raise DeskPilotError("satisfaction surveys are off ([csat] enabled = false)")
    token = store.csat_token(ticket_id, new_token(), now)
    url = survey_url(base_url(settings), token)
    return CsatSurvey(ticket_id, token, url, survey_text(ticket.subject, url))


def new_token() -> str:
    return secrets.token_urlsafe(24)


def survey_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}{PATH}{token}"


def survey_text(subject: str, url: str) -> str:
    """What the customer receives: the five one-click links, best first."""
    links = "\n".join(f"  {n} ({LABELS[n]}): {url}?score={n}" for n in range(5, 0, -1))
    return SURVEY_TEXT.format(subject=subject, links=links)


def answer(
    store: Store,
    audit: Audit,
    clock: Callable[[], datetime],
    token: str,
    score: object,
    comment: object = None,
) -> str:
    """Record a customer's answer; returns the ticket id. Raises DeskPilotError for a score
    outside 1-5, a comment that is not text or too long, or an unknown token."""
    try:
        value = int(str(score))
    except ValueError:
        value = 0
    if not 1 <= value <= 5 or isinstance(score, bool):
        raise DeskPilotError("score must be a whole number from 1 to 5")
    if comment is not None and not isinstance(comment, str):
        raise DeskPilotError("comment must be text")
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT:
        raise DeskPilotError(f"comment is longer than {MAX_COMMENT} characters")
    now = clock()
    ticket_id = store.answer_csat(token, value, text, now)
    if ticket_id is None:
        raise LookupError("no such survey")
    if text is not None:
        note = f"CSAT {value}/5 from the customer: {text}"
        store.append_message(
            ticket_id, Message(author=Author.NOTE, body=note, author_name="csat", at=now)
        )
    audit("csat", ticket_id, {"score": value, "comment": text is not None}, actor="customer")
    return ticket_id
