"""One raw email as the desk's ``InboundMessage``, or the reason it is not one.

Parsed with the standard library (``policy.default``: RFC 2047 headers and RFC 2231 names
decoded, charsets applied). The body is the text/plain part when there is one, else the HTML
part as text; then only the new text is kept (``quotes``). Attachments keep their bytes, name,
type and size and are never opened. Mail a machine sent (``automatic``) or the team itself sent
is skipped; mail whose structure cannot be read is reported as malformed, for quarantine.
"""

from __future__ import annotations

import email
import functools
import mimetypes
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import errors, policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.policy import EmailPolicy
from typing import Any

from deskpilot.connectors.models import InboundAttachment, InboundMessage

from .automatic import automatic_reason
from .html_text import html_to_text
from .ids import bracketed, ids_in, stand_in_id
from .quotes import new_text

# Structure so broken that which part is the body cannot be told.
_BROKEN = (
    errors.NoBoundaryInMultipartDefect,
    errors.StartBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


@functools.lru_cache(maxsize=2048)
def _parsed_header(name: str, value: str) -> Any:
    return policy.default.header_fetch_parse(name, value)


class _ReadPolicy(EmailPolicy):
    """``policy.default`` with each (name, value) header parsed once: the standard library
    parses a header again on every read, and reading one mail reads Content-Type dozens of
    times (parsing was most of the time spent per mail). Parsed headers are immutable."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):
            return value
        return _parsed_header(name, value)


READ_POLICY = _ReadPolicy()


@dataclass(frozen=True)
class ReadMail:
    """Exactly one of: a ``message`` for the desk, why it was ``skipped`` (a machine's mail,
    the team's own), or why it is ``malformed`` (quarantined)."""

    message: InboundMessage | None = None
    skipped: str = ""
    malformed: str = ""
    message_id: str = ""  # for the log line, when known


def read_mail(raw: bytes, team_address: str, received: datetime | None = None) -> ReadMail:
    """``raw`` (RFC 5322 bytes, as IMAP's BODY[] gives them) as what the desk should see."""
    try:
        return _read(raw, team_address.lower(), received)
    except Exception as error:  # any failure to parse quarantines this one message only
        return ReadMail(malformed=f"cannot be parsed: {type(error).__name__}: {error}")


def _read(raw: bytes, team: str, received: datetime | None) -> ReadMail:
    parsed = email.message_from_bytes(raw, policy=READ_POLICY)
    assert isinstance(parsed, EmailMessage)  # an EmailPolicy builds EmailMessage objects
    message_id = _message_id(parsed, raw)
    broken = [d for part in parsed.walk() for d in part.defects if isinstance(d, _BROKEN)]
    if broken:
        kind = type(broken[0]).__name__
        return ReadMail(malformed=f"broken MIME structure ({kind})", message_id=message_id)
    sender = _sender(parsed)
    if sender is None:
        reason = automatic_reason(parsed, "", team)
        if reason:
            return ReadMail(skipped=reason, message_id=message_id)
        return ReadMail(malformed="no readable From address", message_id=message_id)
    address = sender.addr_spec.lower()
    if address == team:
        return ReadMail(skipped="sent from the team's own address", message_id=message_id)
    reason = automatic_reason(parsed, address, team)
    if reason:
        return ReadMail(skipped=reason, message_id=message_id)
    replied = ids_in(str(parsed.get("In-Reply-To", "")))
    references = ids_in(str(parsed.get("References", "")))
    body = parsed.get_body(preferencelist=("plain", "html"))
    nearest_first = list(dict.fromkeys([*replied, *reversed(references)]))
    return ReadMail(
        message=InboundMessage(
            external_id=message_id,
            in_reply_to=nearest_first,
            subject=_one_line(str(parsed.get("Subject", ""))),
            from_email=address,
            from_name=_one_line(sender.display_name),
            body=new_text(_body_text(body)),
            at=_sent_at(parsed, received),
            attachments=_attachments(parsed, body),
        ),
        message_id=message_id,
    )


def _message_id(parsed: EmailMessage, raw: bytes) -> str:
    value = str(parsed.get("Message-ID", "") or "").strip()
    return bracketed(value) if value and "@" in value else stand_in_id(raw)


def _sender(parsed: EmailMessage) -> Address | None:
    for header in ("From", "Sender"):
        value = parsed.get(header)
        addresses = getattr(value, "addresses", ()) if value is not None else ()
        for address in addresses:
            if address.username and address.domain:
                return address  # type: ignore[no-any-return]
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _sent_at(parsed: EmailMessage, received: datetime | None) -> datetime:
    header = parsed.get("Date")
    moment = getattr(header, "datetime", None) if header is not None else None
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return received or datetime.now(UTC)


def _body_text(part: Message | None) -> str:
    if part is None:
        return ""
    text = _decoded_text(part)
    if part.get_content_subtype() == "html":
        return html_to_text(text)
    return text


def _decoded_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, KeyError):
        pass  # an unknown or wrong charset: decode the bytes as well as can be
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _attachments(parsed: EmailMessage, body: Message | None) -> list[InboundAttachment]:
    found: list[InboundAttachment] = []
    for part in _leaves(parsed):
        if part is body:
            continue
        disposition = part.get_content_disposition()
        name = part.get_filename()
        kind = part.get_content_type()
        if not name and disposition != "attachment" and kind in ("text/plain", "text/html"):
            continue  # the alternative twin of the body, or a text part of the body
        if kind == "message/rfc822":
            inner = part.get_payload(0)
            data = inner.as_bytes() if isinstance(inner, Message) else b""
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        found.append(
            InboundAttachment(
                name=_safe_name(name, kind, len(found) + 1),
                content_type=kind,
                size=len(data),
                data=data,
            )
        )
    return found


def _leaves(message: Message) -> list[Message]:
    """The parts that hold content, depth first; a forwarded message is one leaf, whole."""
    if message.get_content_type() == "message/rfc822":
        return [message]
    if not message.is_multipart():
        return [message]
    leaves: list[Message] = []
    for part in message.iter_parts():  # type: ignore[attr-defined]
        leaves.extend(_leaves(part))
    return leaves


def _safe_name(name: str | None, content_type: str, number: int) -> str:
    """A file name that is only a name: no folders, no control characters."""
    cleaned = _UNSAFE_NAME.sub("_", name or "").strip(" ._")
    if cleaned:
        return cleaned[:200]
    extension = (
        ".eml" if content_type == "message/rfc822" else mimetypes.guess_extension(content_type)
    )
    return f"attachment-{number}{extension or '.bin'}"
