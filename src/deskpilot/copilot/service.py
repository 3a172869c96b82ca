"""The co-pilot: assemble the context, draft (model endpoint, else the local drafter), judge
the draft's confidence and whether a human must take over, and keep it.

The model endpoint streams through an async client bound to the event loop; the rest blocks
(the store, the adaptation of past replies, measuring the draft), so it runs in threads and
the agent's keys never wait on a draft."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from deskpilot.copilot.assemble import assemble
from deskpilot.copilot.brief import plain
from deskpilot.copilot.context import DraftContext, DraftOutcome, Listener, OnChunk
from deskpilot.copilot.facts import draft_measure
from deskpilot.copilot.handoff import handoff_summary
from deskpilot.copilot.kit import DraftKit
from deskpilot.copilot.local_drafter import Composition, LocalDrafter
from deskpilot.models import Draft

UNGROUNDED = "no article, record or past reply supports an answer"
# A model this slow to start writing: the agent reads the local draft meanwhile.
LOCAL_DRAFT_AFTER = 1.0


async def draft_reply(
    kit: DraftKit,
    ticket_id: str,
    on_chunk: OnChunk | Listener | None = None,
    *,
    local_after: float = LOCAL_DRAFT_AFTER,
) -> DraftOutcome:
    """Draft a reply. With a ``Listener`` that can restart, a model that has not started
    writing after ``local_after`` seconds is preceded by the local draft, which its own text
    replaces once it comes (or which stays, with the reason, if the model fails)."""
    context = await assemble(kit, ticket_id)
    local = LocalDrafter(kit.agent)
    # Adapting the similar replies is CPU work (10-40 ms on the 100k demo): off the event loop.
    composition = await asyncio.to_thread(local.compose, context)
    listener = on_chunk if isinstance(on_chunk, Listener) else Listener(on_chunk or _ignore)
    text, notice = await _write(kit, context, composition, listener, local_after)
    reason = _handoff_reason(context, composition)
    drafter, model, version = _used(kit, notice, local)
    sources = composition.sources if drafter == "local" else context.sources
    measure = await asyncio.to_thread(
        draft_measure,
        context,
        sources,
        reply_agreement=composition.confidence if drafter == local.name else None,
        declined=composition.declined and drafter == local.name,
    )
    draft = Draft(
        ticket_id=ticket_id,
        text=text,
        sources=sources,
        drafter=drafter,
        model=model,
        prompt_version=version,
        confidence=_confidence(measure.score, reason),
        handoff_reason=reason,
        created_at=kit.clock(),
    )
    draft_id, summary = await asyncio.to_thread(_keep, kit, draft, context)
    return DraftOutcome(draft, context, notice, summary, draft_id, measure.basis)


def _keep(kit: DraftKit, draft: Draft, context: DraftContext) -> tuple[int, str | None]:
    """Save the draft; its id, and the hand-off summary when a human must take over."""
    draft_id = kit.store.save_draft(draft)
    if not draft.handoff_reason:
        return draft_id, None
    return draft_id, handoff_summary(context.ticket, context.triage, context.sources)


async def _write(
    kit: DraftKit,
    context: DraftContext,
    composition: Composition,
    listener: Listener,
    local_after: float,
) -> tuple[str, str | None]:
    """The text and, if the model endpoint failed, why the local draft stands in for it."""
    emit = listener.chunk
    model = kit.model_drafter()
    if model is None:
        _show(composition.text, emit)
        return composition.text, None
    # Imported here, once a model is configured (and so already loaded): start-up time, the
    # OpenAI client stays unloaded for a desk that drafts locally.
    from deskpilot.copilot.model_drafter import DraftError

    stream = model.stream(context).__aiter__()
    received: list[str] = []
    shown_local = False
    first = asyncio.ensure_future(_next(stream))
    try:
        if listener.restart is not None:
            done, _pending = await asyncio.wait({first}, timeout=local_after)
            if not done:
                shown_local = True
                _show(composition.text, emit)
                if listener.status:
                    listener.status(f"the local draft, while {model.model} is still writing")
        chunk = await first
        if shown_local and chunk is not None and listener.restart is not None:
            listener.restart()
        while chunk is not None:
            received.append(chunk)
            emit(chunk)
            chunk = await _next(stream)
        text = "".join(received).strip()
        if text and context.brief is not None and context.brief.plain_text:
            text = plain(text)  # the model's Markdown, taken out for a channel shown as written
        if text:
            return text, None
        raise DraftError(f"model endpoint {model.model}: returned an empty draft")
    except DraftError as error:
        notice = f"the model failed ({error}); this is the local draft"
    finally:
        first.cancel()  # a no-op once it is done; stops the request if the view gave up
    if received:
        emit(f"\n\n[{notice}]\n\n")
    if received or not shown_local:
        _show(composition.text, emit)
    return composition.text, notice


async def _next(stream: AsyncIterator[str]) -> str | None:
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return None


def _show(text: str, emit: OnChunk) -> None:
    for paragraph in _paragraphs(text):
        emit(paragraph)


def _ignore(_chunk: str) -> None:
    pass


def _paragraphs(text: str) -> list[str]:
    parts = text.split("\n\n")
    return [p + ("\n\n" if i < len(parts) - 1 else "") for i, p in enumerate(parts)]


def _used(kit: DraftKit, notice: str | None, local: LocalDrafter) -> tuple[str, str, str]:
    model = kit.model_drafter()
    if model is not None and notice is None:
        return model.name, model.model, model.prompt_version
    return local.name, local.model, local.prompt_version


def _handoff_reason(context: DraftContext, composition: Composition) -> str | None:
    if context.triage and context.triage.handoff:
        return context.triage.handoff_reason
    if not composition.grounded:
        return UNGROUNDED
    return None


def _confidence(measured: float, reason: str | None) -> float:
    """The draft's own confidence (how much of the question its sources answer; see
    ``copilot.brief.measure_draft``), not the intent's. A hand-off caps it."""
    score = min(measured, 0.3) if reason else measured
    return round(max(0.0, min(1.0, score)), 2)
