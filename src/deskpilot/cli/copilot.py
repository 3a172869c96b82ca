"""`deskpilot draft`: the co-pilot's reply for a ticket, from the shell."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

import click

from deskpilot.cli.common import Context, pass_context, shown, workspace_option
from deskpilot.desk import Desk

if TYPE_CHECKING:
    from deskpilot.copilot.context import DraftOutcome, OnChunk


@click.command()
@workspace_option
@click.argument("ticket_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_context
def draft(context: Context, ticket_id: str, as_json: bool) -> None:
    """Draft a reply to TICKET_ID (streamed to the terminal unless --json)."""

    def show(chunk: str) -> None:
        # A model's text: its control characters are shown, never obeyed by the terminal.
        sys.stdout.write(shown(chunk))
        sys.stdout.flush()

    with Desk.open(context.existing_workspace()) as desk:
        outcome: DraftOutcome = asyncio.run(_drafted(desk, ticket_id, None if as_json else show))
    if as_json:
        click.echo(json.dumps(_as_json(outcome), indent=2))
        return
    d = outcome.draft
    model = f" {d.model}" if d.model else ""
    basis = f" ({outcome.confidence_basis})" if outcome.confidence_basis else ""
    click.echo(shown(f"\n\n[{d.drafter}{model} · draft confidence {d.confidence:.2f}{basis}]"))
    for source in d.sources:
        click.echo(shown(f"  source: {source.kind} {source.ref} {source.title}", one_line=True))
    if outcome.notice:
        click.echo(shown(f"  note: {outcome.notice}", one_line=True))
    if d.handoff_reason:
        click.echo(shown(f"  hand to a human: {d.handoff_reason}", one_line=True))


async def _drafted(desk: Desk, ticket_id: str, on_chunk: OnChunk | None) -> DraftOutcome:
    try:
        return await desk.draft_reply(ticket_id, on_chunk)
    finally:
        await desk.aclose_connectors()


def _as_json(outcome: DraftOutcome) -> dict[str, Any]:
    d = outcome.draft
    return {
        "ticket_id": d.ticket_id,
        "text": d.text,
        "drafter": d.drafter,
        "model": d.model or None,
        "prompt_version": d.prompt_version,
        "confidence": d.confidence,  # the draft's own (see copilot.brief.measure_draft)
        "confidence_basis": outcome.confidence_basis,
        "intent_confidence": outcome.context.triage.confidence if outcome.context.triage else None,
        "brief": outcome.context.brief.lines() if outcome.context.brief else [],
        "handoff": (
            {"reason": d.handoff_reason, "summary": outcome.handoff_summary}
            if d.handoff_reason
            else None
        ),
        "sources": [{"kind": s.kind, "id": s.ref, "title": s.title} for s in d.sources],
        "notice": outcome.notice,
        "problems": outcome.context.problems,
    }
