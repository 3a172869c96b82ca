"""Small translations the built-in connectors share: timestamps, names of secret settings,
the text of a bug report as search words."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any

from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.bugmatch import STOPWORDS, clean_error
from deskpilot.connectors.configuration import secret_variable
from deskpilot.connectors.errors import ConnectorError
from deskpilot.connectors.models import BugQuery, NewBug
from deskpilot.models import Tier

SEARCH_WORDS = 8  # enough to find the bug, few enough for any tracker's search syntax
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'-]{2,}")
# Words that say nothing about which bug it is, beyond the ranker's own.
_STOP = STOPWORDS | frozenset(
    {"cannot", "dont", "doesnt", "just", "get", "got", "why", "how", "what", "still", "please"}
    | {"hello", "thanks", "thank", "help", "issue", "problem", "error", "working", "work"}
)


def hint(context: ConnectorContext, *fields: str) -> str:
    """The environment variables that hold a connector's secrets, for "check ..." messages."""
    return " and ".join(secret_variable(context.name, field) for field in fields)


def from_unix(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def from_iso(value: Any) -> datetime:
    """ISO 8601 as the APIs write it ("2026-11-20T09:12:00Z", "...+0000", "...000+00:00")."""
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if re.search(r"[+-]\d{4}$", text):  # Salesforce and Jira: +0000 without a colon
        text = f"{text[:-2]}:{text[-2:]}"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def day(value: Any) -> date | None:
    if not value:
        return None
    return from_iso(value).date() if "T" in str(value) else date.fromisoformat(str(value)[:10])


def search_words(query: BugQuery, limit: int = SEARCH_WORDS, errors: bool = True) -> list[str]:
    """The report's most telling words, for a tracker's full-text search: the first error's
    words before the customer's prose (errors name the bug; prose names the symptom)."""
    first_error = [clean_error(e) for e in query.errors[:1]] if errors else []
    seen: list[str] = []
    for word in _WORD.findall(" ".join([*first_error, query.text])):
        lowered = word.lower().strip("'-")
        if lowered not in _STOP and lowered not in seen:
            seen.append(lowered)
    return seen[:limit]


# What DeskPilot writes into a filed bug's description, and reads back for matching.
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)


def plain_text(body: str) -> str:
    """A CRM note's HTML body (HubSpot's notes, Salesforce's Lightning notes) as text."""
    text = _TAG.sub("", _BREAK.sub("\n", body))
    return html.unescape(text).strip()


_FOOTER_LINE = re.compile(r"^(Page|Error|Workaround): *(.+)$", re.MULTILINE)


def bug_description(new: NewBug) -> str:
    """The description of a filed bug: the agent's text, then Page/Error/Tickets lines that
    ``described`` reads back so the next customer's report finds the bug."""
    footer = [
        f"Page: {new.page_url}" if new.page_url else "",
        f"Error: {new.error_signature}" if new.error_signature else "",
        f"Tickets: {', '.join(new.ticket_ids)}" if new.ticket_ids else "",
    ]
    lines = [line for line in footer if line]
    parts = [new.description.strip(), "---\n" + "\n".join(lines) if lines else ""]
    return "\n\n".join(part for part in parts if part) + "\n\nFiled from DeskPilot."


def described(text: str) -> dict[str, str]:
    """``page``, ``error`` and ``workaround`` from a bug's description lines, when present."""
    return {name.lower(): value.strip() for name, value in _FOOTER_LINE.findall(text)}


def tier_of(value: Any) -> Tier:
    """A CRM field's value as DeskPilot's tier ("Pro" -> PRO); unknown values are FREE."""
    try:
        return Tier(str(value or "").strip().lower())
    except ValueError:
        return Tier.FREE


def int_or(value: Any, default: int) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def unreadable(service: str, what: str, error: Exception) -> ConnectorError:
    return ConnectorError(f"{service} sent {what} DeskPilot cannot read: {error}")
