"""Builders the reply-adaptation tests share: the moment they are set at, and a past answered
conversation as retrieval hands it to the drafter (``copilot.assemble._exemplar``), with
Twitter-style customers (``@115818``, ``115818@twitter.example``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deskpilot.copilot.context import KnowledgeItem
from deskpilot.models import Source

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def answered(
    ref: str,
    question: str,
    reply: str,
    *,
    customer: str,
    inbox: str,
    customer_id: str | None = None,
    **fields: Any,
) -> KnowledgeItem:
    """The team's ``reply`` to ``question``, asked by the customer with handle ``customer``
    (their id ``c-<handle>`` unless ``customer_id`` says otherwise) in ``inbox``; ``fields``:
    the rest of the item (who answered and when, feedback, the conversation before)."""
    return KnowledgeItem(
        source=Source(kind="ticket", ref=ref),
        title=question,
        snippet=question,
        body=reply,
        question=question,
        customer=customer_id or f"c-{customer}",
        customer_email=f"{customer}@twitter.example",
        inbox=inbox,
        **fields,
    )
