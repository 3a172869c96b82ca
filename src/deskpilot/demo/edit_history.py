"""The demo's edit-feedback history: drafts the co-pilot "wrote" for answered tickets and what
agents did with them, so the stats screen, the signals and the autopilot have a story to tell.

Synthetic like the rest of the demo: the draft is made from the reply agents sent, unchanged
for most intents, and for the rest changed the way agents' edits usually go (a paragraph the
co-pilot missed, one it should not have written, a wrong figure, a missing apology). Each
intent has its own acceptance rate, so the figures differ where a real team's would.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable

from deskpilot.feedback.measures import measure
from deskpilot.models import Author, Draft, EditEvent, EditOutcome, Source, Ticket

PROMPT_VERSION = "local-1"
# How often agents send the co-pilot's draft unchanged, per intent (the rest are edited).
ACCEPTANCE = {
    "account_access": 0.8, "order_status": 0.75, "onboarding": 0.7, "feature_request": 0.65,
    "billing_question": 0.55, "bug_report": 0.5, "refund_request": 0.45,
    "invoice_discrepancy": 0.35, "cancellation": 0.35, "out_of_scope": 0.2, "complaint": 0.15,
    "contract_negotiation": 0.1,
}  # fmt: skip
FILLER = (
    "If you have any other questions about your account, our help center has guides on "
    "most topics, and you can always reply to this email."
)
RECENT = 3000  # the most recent answered tickets get a history; older ones predate the co-pilot

Edit = Callable[[str, random.Random], str]


def edit_history(tickets: list[Ticket], seed: int) -> list[tuple[Draft, EditEvent]]:
    """A draft and its edit event for each of the most recent answered tickets."""
    rng = random.Random(seed * 7919 + 1)
    answered = [t for t in tickets if any(m.author is Author.AGENT for m in t.messages)]
    answered.sort(key=lambda t: t.created_at)
    return [_history(ticket, rng) for ticket in answered[-RECENT:]]


def _history(ticket: Ticket, rng: random.Random) -> tuple[Draft, EditEvent]:
    question = next(m for m in ticket.messages if m.author is Author.CUSTOMER)
    reply = next(m for m in ticket.messages if m.author is Author.AGENT)
    accepted = rng.random() < ACCEPTANCE.get(ticket.intent or "", 0.5)
    original = reply.body if accepted else rng.choice(EDITS)(reply.body, rng)
    shown = question.at + (reply.at - question.at) * 0.8
    draft = Draft(
        ticket_id=ticket.id,
        text=original,
        sources=[Source(kind="article", ref=f"demo-{ticket.intent}", title="")],
        drafter="local",
        prompt_version=PROMPT_VERSION,
        confidence=round(0.55 + 0.4 * rng.random(), 2),
        created_at=shown,
    )
    measures = measure(original, reply.body)
    event = EditEvent(
        id=uuid.UUID(int=rng.getrandbits(128)).hex,
        ticket_id=ticket.id,
        agent=reply.author_name or "agent",
        original_text=original,
        current_text=reply.body,
        outcome=EditOutcome.SENT_AS_IS if original == reply.body else EditOutcome.SENT_EDITED,
        intent=ticket.intent,
        drafter=draft.drafter,
        prompt_version=PROMPT_VERSION,
        shown_at=shown,
        updated_at=reply.at,
        finished_at=reply.at,
        keystrokes=0 if accepted else int(measures.edit_distance * len(reply.body)),
        similarity=measures.similarity,
        edit_distance=measures.edit_distance,
        edit_class=measures.edit_class.value,
        diff=measures.diff,
        reason=None if accepted or rng.random() < 0.6 else rng.choice(REASONS),
    )
    return draft, event


def _missing_paragraph(reply: str, rng: random.Random) -> str:
    paragraphs = reply.split("\n\n")
    if len(paragraphs) < 3:
        return reply + "\n\n" + FILLER
    del paragraphs[rng.randrange(1, len(paragraphs) - 1)]
    return "\n\n".join(paragraphs)


def _extra_paragraph(reply: str, _rng: random.Random) -> str:
    paragraphs = reply.split("\n\n")
    return "\n\n".join([*paragraphs[:-1], FILLER, paragraphs[-1]])


def _wrong_figure(reply: str, rng: random.Random) -> str:
    figures = list(re.finditer(r"\d+(?:\.\d+)?", reply))
    if not figures:
        return _missing_paragraph(reply, rng)
    chosen = rng.choice(figures)
    wrong = str(int(float(chosen.group())) + rng.randint(1, 9))
    return reply[: chosen.start()] + wrong + reply[chosen.end() :]


def _no_apology(reply: str, rng: random.Random) -> str:
    softened = re.sub(r"(?i)\b(sorry|apologies)\b[^.!]*[.!]\s*", "", reply, count=1)
    return softened if softened != reply else _extra_paragraph(reply, rng)


EDITS: tuple[Edit, ...] = (_missing_paragraph, _extra_paragraph, _wrong_figure, _no_apology)
REASONS = ("wrong facts", "wrong tone", "outdated article", "policy")
