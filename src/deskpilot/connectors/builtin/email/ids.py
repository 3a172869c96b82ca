"""Message-IDs as the email channel's external ids: always in their header form, ``<id@host>``.

The desk matches a customer's answer to its ticket by comparing the answer's In-Reply-To and
References with the ids it stored (its messages' and its delivered replies'), so every id the
channel hands over is written one way: with its angle brackets, as it appears in the header.
"""

from __future__ import annotations

import hashlib
import re

_ID = re.compile(r"<([^<>\s]+)>")


def bracketed(message_id: str) -> str:
    """``abc@host`` or ``<abc@host>`` -> ``<abc@host>``."""
    value = message_id.strip()
    found = _ID.search(value)
    if found:
        return f"<{found.group(1)}>"
    return f"<{value.strip('<>')}>"


def ids_in(header: str) -> list[str]:
    """Every ``<id>`` in an In-Reply-To or References header, in order, each once."""
    return list(dict.fromkeys(f"<{found}>" for found in _ID.findall(header or "")))


def stand_in_id(raw: bytes) -> str:
    """An id for a message that has none: the same bytes give the same id, so a re-read after a
    UIDVALIDITY change is still recognised."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.deskpilot.invalid>"
