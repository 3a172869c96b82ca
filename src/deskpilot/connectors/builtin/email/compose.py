"""An agent's reply as the email the customer receives.

The headers are what make the thread work: the reply's own Message-ID (fixed when the reply was
written, so every retry is the same mail and ``find_delivered`` can look for it), In-Reply-To
and References so the customer's client threads it and the customer's answer finds its ticket,
and a subject with the ticket's tag as a second way back. It is a person's answer, so it carries
no ``Auto-Submitted`` header: the customer's own auto-responder may answer it.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from deskpilot.connectors.models import OutboundReply
from deskpilot.models import utcnow

from .config import EmailConfig
from .ids import bracketed, ids_in
from .markdown_text import markdown_to_html, markdown_to_text

_REPLY_PREFIX = re.compile(
    r"^\s*((re|aw|sv|antw|ref|rif|odp|vs|tr|wg|fw|fwd)\s*(\[\d+\])?\s*:\s*)+", re.I
)
_TAG = re.compile(r"\[T-[A-Za-z0-9-]+\]")


def reply_subject(subject: str, ticket_id: str) -> str:
    """``Re: <subject> [T-000123]``: one "Re:" however many the thread gathered, one tag."""
    bare = _TAG.sub("", _REPLY_PREFIX.sub("", " ".join(subject.split())))
    bare = bare.replace(f"[{ticket_id}]", "").strip()  # ids of other shapes (imported ones)
    bare = " ".join(bare.split()) or "Your request"
    return f"Re: {bare} [{ticket_id}]"


def compose(reply: OutboundReply, config: EmailConfig) -> EmailMessage:
    message = EmailMessage()
    team = _address(config.display_name, config.address)
    message["From"] = team
    message["Reply-To"] = team
    message["To"] = _address(reply.to_name, reply.to_email)
    message["Subject"] = reply_subject(reply.subject, reply.ticket_id)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = bracketed(reply.message_id)
    references = [
        found for value in reply.references for found in (ids_in(value) or [bracketed(value)])
    ]
    if reply.in_reply_to:
        answered = bracketed(reply.in_reply_to)
        message["In-Reply-To"] = answered
        if answered not in references:
            references.append(answered)
    if references:
        message["References"] = " ".join(dict.fromkeys(references))
    message["X-DeskPilot-Ticket"] = reply.ticket_id
    message.set_content(markdown_to_text(reply.body), subtype="plain", charset="utf-8")
    if config.html:
        message.add_alternative(markdown_to_html(reply.body), subtype="html", charset="utf-8")
    return message


def _address(name: str, email: str) -> Address:
    """An ``Address`` the header writer quotes and encodes itself (a name with a comma, quotes
    or non-ASCII letters can never break the header)."""
    local, _, domain = email.strip().rpartition("@")
    return Address(display_name=" ".join(name.split()), username=local, domain=domain)
