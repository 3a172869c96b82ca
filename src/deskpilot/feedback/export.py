"""Training data from the team's work, for fine-tuning a model on how the team really replies.

``chat``: OpenAI fine-tuning JSONL, one conversation a line: system, the customer's message
(user), the reply the agent finally sent (assistant). ``preference``: pairs for preference
tuning (DPO and the like): the co-pilot's draft is ``rejected``, the reply sent is ``chosen``;
drafts sent unchanged teach no preference and are left out. Personal details (emails, phones,
cards, IBANs, keys) are replaced by placeholders in everything written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from deskpilot.copilot.redaction import Redactor
from deskpilot.errors import DeskPilotError, NotFoundError
from deskpilot.models import Author, EditEvent, EditOutcome, Ticket
from deskpilot.store import Store

Format = Literal["chat", "preference"]
SYSTEM = (
    "You write replies for a customer support team. Answer the customer's message helpfully, "
    "warmly and briefly, stating only what you know to be true."
)
SENT = frozenset({EditOutcome.SENT_AS_IS, EditOutcome.SENT_EDITED})


def export_training(
    store: Store, path: Path, kind: Format, progress: Callable[[int, int], None] | None = None
) -> int:
    """Write the examples to ``path`` (all or nothing); returns how many."""
    events = [e for e in store.list_edit_events() if e.outcome in SENT]
    temporary = path.with_name(path.name + ".part")
    written = 0
    try:
        with temporary.open("w", encoding="utf-8") as out:
            for done, record in enumerate(_records(store, events, kind), start=1):
                if record is not None:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
                if progress:
                    progress(done, len(events))
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise DeskPilotError(f"{path}: cannot write the export: {error.strerror}") from None
    return written


def _records(
    store: Store, events: list[EditEvent], kind: Format
) -> Iterator[dict[str, Any] | None]:
    for event in events:
        try:
            ticket = store.get_ticket(event.ticket_id)
        except NotFoundError:
            yield None
            continue
        question = _question(ticket, event.current_text)
        if not question:
            yield None
            continue
        redactor = Redactor()
        prompt = redactor.redact(question)
        final = redactor.redact(event.current_text)
        if kind == "chat":
            yield {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": prompt},
                    {"role": "assistant", "content": final},
                ]
            }
        elif event.outcome is EditOutcome.SENT_EDITED:
            yield {
                "prompt": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": prompt},
                ],
                "chosen": [{"role": "assistant", "content": final}],
                "rejected": [
                    {"role": "assistant", "content": redactor.redact(event.original_text)}
                ],
            }
        else:
            yield None


def _question(ticket: Ticket, reply: str) -> str:
    """The subject and what the customer wrote since the previous agent reply, up to this one."""
    said: list[str] = []
    for message in ticket.messages:
        if message.author is Author.AGENT:
            if message.body.strip() == reply.strip():
                break
            said = []
        elif message.author is Author.CUSTOMER:
            said.append(message.body)
    return f"{ticket.subject}\n\n" + "\n\n".join(said) if said else ""
