"""The co-pilot: assemble the context, draft (model endpoint, else the local drafter), judge
the draft's confidence and whether a human must take over, and keep it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deskpilot.copilot.assemble import assemble
from deskpilot.copilot.context import DraftContext
from deskpilot.copilot.handoff import handoff_summary
from deskpilot.copilot.local_drafter import Composition, LocalDrafter
from deskpilot.copilot.model_drafter import DraftError
from deskpilot.models import Draft

if TYPE_CHECKING:
    from deskpilot.desk import Desk

OnChunk = Callable[[str], None]
UNGROUNDED = "no article, record or past reply supports an answer"


@dataclass(frozen=True)
class DraftOutcome:
    draft: Draft
    context: DraftContext
    notice: str | None = None  # e.g. why the local drafter stood in for the model
    handoff_summary: str | None = None  # prepared when a human should take over
    draft_id: int | None = None  # the stored draft, which the agent's edit event points at


async def draft_reply(desk: Desk, ticket_id: str, on_chunk: OnChunk | None = None) -> DraftOutcome:
    context = await assemble(desk, ticket_id)
    local = LocalDrafter(desk.agent)
    composition = local.compose(context)
    text, notice = await _write(desk, context, composition, on_chunk)
    reason = _handoff_reason(context, composition)
    drafter, model, version = _used(desk, notice, local)
    draft = Draft(
        ticket_id=ticket_id,
        text=text,
        sources=composition.sources if drafter == "local" else context.sources,
        drafter=drafter,
        model=model,
        prompt_version=version,
        confidence=_confidence(context, composition, reason),
        handoff_reason=reason,
        created_at=desk.clock(),
    )
    draft_id = desk.store.save_draft(draft)
    summary = handoff_summary(context.ticket, context.triage, context.sources) if reason else None
    return DraftOutcome(draft, context, notice, summary, draft_id)


async def _write(
    desk: Desk, context: DraftContext, composition: Composition, on_chunk: OnChunk | None
) -> tuple[str, str | None]:
    """The text and, if the model endpoint failed, why the local draft stands in for it."""
    emit = on_chunk or (lambda _chunk: None)
    model = desk.model_drafter()
    if model is not None:
        received: list[str] = []
        try:
            async for chunk in model.stream(context):
                received.append(chunk)
                emit(chunk)
            text = "".join(received).strip()
            if text:
                return text, None
            raise DraftError(f"model endpoint {model.model}: returned an empty draft")
        except DraftError as error:
            notice = f"the model failed ({error}); this is the local draft"
            if received:
                emit(f"\n\n[{notice}]\n\n")
        for paragraph in _paragraphs(composition.text):
            emit(paragraph)
        return composition.text, notice
    for paragraph in _paragraphs(composition.text):
        emit(paragraph)
    return composition.text, None


def _paragraphs(text: str) -> list[str]:
    parts = text.split("\n\n")
    return [p + ("\n\n" if i < len(parts) - 1 else "") for i, p in enumerate(parts)]


def _used(desk: Desk, notice: str | None, local: LocalDrafter) -> tuple[str, str, str]:
    model = desk.model_drafter()
    if model is not None and notice is None:
        return model.name, model.model, model.prompt_version
    return local.name, local.model, local.prompt_version


def _handoff_reason(context: DraftContext, composition: Composition) -> str | None:
    if context.triage and context.triage.handoff:
        return context.triage.handoff_reason
    if not composition.grounded:
        return UNGROUNDED
    return None


def _confidence(context: DraftContext, composition: Composition, reason: str | None) -> float:
    """How far to trust the draft: the intent's confidence, discounted when little backs it."""
    base = context.triage.confidence if context.triage else 0.5
    support = min(1.0, 0.6 + 0.2 * len(composition.sources))
    score = base * support
    if reason:
        score = min(score, 0.3)
    return round(max(0.0, min(1.0, score)), 2)
