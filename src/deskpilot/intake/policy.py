"""What a poster may set: the one rule for tickets that arrive over HTTP (``POST /tickets``).

An import is the admin's own data and keeps the whole ticket format: history with agent
replies, statuses, intents, dates. A post comes from a customer or their product, who is not
trusted with the desk's side of a ticket. So a post may say who the customer is (matched,
never used to rewrite a known customer), what they wrote, the page they were on, the channel,
and what they attached (metadata only); everything the desk or its agents decide is refused
with the field named and the reason, so a client learns at once instead of seeing it vanish.

A post's own ``id`` is the client's key, not the desk's: the desk's id is derived from it
(the same key again is the same ticket, so a retry is recognised), so a poster can neither
take an id an import will bring nor learn which ticket ids exist.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from deskpilot.errors import ImportFileError
from deskpilot.intake.records import CustomerRecord, TicketRecord
from deskpilot.models import Author

# Ticket fields a post may give. "id" is the client's own key, so a retry is recognised.
POSTER_FIELDS = frozenset(
    {"subject", "body", "messages", "id", "customer", "channel", "page_context", "attachments"}
)
# Every other field, and why the desk keeps it to itself.
DESK_FIELDS: dict[str, str] = {
    "status": "a posted ticket is always new; agents change its status",
    "priority": "triage and agents set the priority",
    "assignee": "agents assign tickets",
    "csat": "the satisfaction rating comes from the survey, not from the ticket",
    "intent": "intent labels train the classifier; triage and agents set them",
    "reply": "only agents reply",
    "tags": "agents tag tickets",
    "created_at": "the desk records when a ticket arrives",
}
# The customer's identity: a new customer is created from it, a known one is only matched.
CUSTOMER_FIELDS = frozenset({"email", "name", "company"})
CUSTOMER_PROFILE = "the customer's profile comes from the CRM or an import, not from a post"
MESSAGE_FIELDS = frozenset({"author", "body", "author_name", "attachments"})


def check_poster_may_set(source: Path, record: TicketRecord) -> None:
    """Raise ``ImportFileError`` naming the first field a post may not set."""
    for name in sorted(record.model_fields_set - POSTER_FIELDS):
        reason = DESK_FIELDS.get(name, "a post may not set it")
        raise _refused(source, name, reason)
    if isinstance(record.customer, CustomerRecord):
        for name in sorted(record.customer.model_fields_set - CUSTOMER_FIELDS):
            raise _refused(source, f"customer.{name}", CUSTOMER_PROFILE)
    for index, message in enumerate(record.messages or []):
        if message.author is not Author.CUSTOMER:
            raise ImportFileError(
                source,
                f"a post holds the customer's own messages; '{message.author.value}' "
                "messages are written in the desk",
                field=f"messages.{index}.author",
            )
        for name in sorted(message.model_fields_set - MESSAGE_FIELDS):
            reason = "the desk records when a message arrives" if name == "at" else ""
            raise _refused(source, f"messages.{index}.{name}", reason or "a post may not set it")


def _refused(source: Path, field: str, reason: str) -> ImportFileError:
    return ImportFileError(source, f"cannot be set over HTTP: {reason}", field=field)


def with_desk_id(source: str, record: TicketRecord) -> TicketRecord:
    """The record with the poster's ``id`` turned into the desk's (unchanged without one)."""
    if record.id is None:
        return record
    digest = hashlib.sha1(f"{source}\x1f{record.id}".encode()).hexdigest()[:12]
    return record.model_copy(update={"id": f"T-{digest}"})
