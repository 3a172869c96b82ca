"""The replay evaluation's driver: how much better do drafts get as the desk learns from its
agents?

Historical tickets are replayed in order on a fresh temporary workspace. For each, the desk
drafts a reply before it sees the one the agent really sent, the draft is scored against that
reply (the agent's edit), the edit event is logged, and the desk learns from it, exactly as it
does at work. With learning switched off the same replay is the control.

It drives a desk as an agent would, so it sits above the desk with the other front ends
(``deskpilot eval replay`` and ``bench/bench_replay.py`` call it); the cases and the figures
are plain data below it, in ``deskpilot.feedback.replay_cases``.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from deskpilot.config import Settings
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.feedback.measures import similarity
from deskpilot.feedback.replay_cases import ReplayCase, ReplayRecord, ReplayResult, case_ticket
from deskpilot.workspace import Workspace

Progress = Callable[[int, int], None]


def replay(
    cases: list[ReplayCase],
    *,
    learning: bool = True,
    window: int = 200,
    config_file: Path | None = None,
    progress: Progress | None = None,
) -> ReplayResult:
    """Replay on a fresh workspace with default settings, or with ``config_file``'s (a team's
    config.toml: its hand-off policy, its triage thresholds)."""
    if not cases:
        raise DeskPilotError("nothing to replay: the file holds no tickets")
    with tempfile.TemporaryDirectory(prefix="deskpilot-replay-") as folder:
        workspace = Workspace.create(Path(folder) / "workspace")
        if config_file is not None:
            shutil.copyfile(config_file, workspace.config_file)
        return asyncio.run(_replay(workspace, cases, learning, window, progress))


async def _replay(
    workspace: Workspace,
    cases: list[ReplayCase],
    learning: bool,
    window: int,
    progress: Progress | None,
) -> ReplayResult:
    started = time.perf_counter()
    settings = _replay_settings(workspace, learning)
    desk = Desk(workspace, settings, workspace.open_store(settings))
    desk.use_local_drafter_only()
    scores: list[float] = []
    records: list[ReplayRecord] = []
    try:
        for number, case in enumerate(cases):
            ticket = case_ticket(case, number)
            desk.clock = _fixed(ticket.updated_at)
            desk.take_in([ticket], source="replay")
            outcome = await desk.draft_reply(ticket.id)
            edit_id = desk.draft_shown(
                outcome.draft, outcome.draft_id, intent=outcome.context.ticket.intent
            )
            score = similarity(outcome.draft.text, case.reply)
            scores.append(score)
            records.append(
                ReplayRecord(
                    id=case.id,
                    draft=outcome.draft.text,
                    reply=case.reply,
                    similarity=score,
                    drafter=outcome.draft.drafter,
                    sources=[f"{s.kind}:{s.ref}" for s in outcome.draft.sources],
                )
            )
            desk.send_reply(ticket.id, case.reply, edit_id=edit_id)
            if learning and case.intent:
                _label(desk, ticket.id, case.intent, retrain=(number + 1) % window == 0)
            if progress:
                progress(number + 1, len(cases))
    finally:
        await desk.aclose_connectors()
        desk.close()
    return ReplayResult(
        n=len(scores),
        learning=learning,
        window=window,
        similarities=scores,
        seconds=time.perf_counter() - started,
        records=records,
    )


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def _replay_settings(workspace: Workspace, learning: bool) -> Settings:
    """The workspace's defaults, with only the local drafter and no outside systems: a replay
    measures the desk, and must not send thousands of tickets to an endpoint or a CRM."""
    settings = workspace.settings()
    return settings.model_copy(
        update={
            "feedback": settings.feedback.model_copy(update={"learn": learning}),
            "llm": settings.llm.model_copy(update={"base_url": None}),
            "connectors": {},
        }
    )


def _label(desk: Desk, ticket_id: str, intent: str, *, retrain: bool) -> None:
    """The agent's handling tells the intent: a label the classifier learns at its next
    training (every window, as a team's nightly ``deskpilot learn`` would)."""
    desk.label_intent(ticket_id, intent)
    if retrain:
        desk.retrain_intents()
