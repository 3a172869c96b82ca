"""Replay evaluation: how much better do drafts get as the desk learns from its agents?

Historical tickets are replayed in order on a fresh temporary workspace. For each, the desk
drafts a reply before it sees the one the agent really sent, the draft is scored against that
reply (the agent's edit), the edit event is logged, and the desk learns from it, exactly as it
does at work. With learning switched off the same replay is the control.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskpilot.config import Settings
from deskpilot.errors import DeskPilotError
from deskpilot.feedback.measures import ACCEPTED_AS_IS, similarity
from deskpilot.models import Author, Customer, IntentSource, Message, Ticket
from deskpilot.textfiles import UnreadableText, json_lines, read_utf8
from deskpilot.understand.datasets import DatasetError
from deskpilot.workspace import Workspace

if TYPE_CHECKING:
    from deskpilot.desk import Desk

Progress = Callable[[int, int], None]
START = datetime(2020, 1, 1, tzinfo=UTC)  # replayed tickets without dates get one a minute apart


@dataclass(frozen=True)
class ReplayCase:
    id: str
    subject: str
    body: str
    reply: str
    intent: str | None = None
    created_at: datetime | None = None
    customer: str | None = None  # an email address or a name


@dataclass
class ReplayResult:
    n: int
    learning: bool
    window: int
    similarities: list[float] = field(repr=False)
    seconds: float

    @property
    def curve(self) -> list[float]:
        return [
            round(statistics.fmean(self.similarities[i : i + self.window]), 4)
            for i in range(0, self.n, self.window)
        ]

    def to_json(self) -> dict[str, Any]:
        curve = self.curve
        return {
            "n": self.n,
            "learning": self.learning,
            "window": self.window,
            "mean_similarity": round(statistics.fmean(self.similarities), 4) if self.n else 0.0,
            "mean_similarity_first_window": curve[0] if curve else 0.0,
            "mean_similarity_last_window": curve[-1] if curve else 0.0,
            "curve": curve,
            "accepted_as_is_rate": round(
                sum(s >= ACCEPTED_AS_IS for s in self.similarities) / max(1, self.n), 4
            ),
            "seconds": round(self.seconds, 1),
        }


# --- reading ---------------------------------------------------------------------------------


def read_replay_file(path: Path) -> list[ReplayCase]:
    """Tickets with the replies agents sent: JSONL (``body``, ``reply``, optional ``id``,
    ``subject``, ``intent``, ``created_at``, ``customer``) or CSV (the same columns, or
    Bitext's ``instruction``/``response``/``intent``). All of it, or an error naming the line."""
    try:
        text = read_utf8(path)
    except UnreadableText as error:
        raise DatasetError(path, error.problem) from None
    if not text.strip():
        raise DatasetError(path, "the file is empty")
    rows = _csv_rows(path, text) if path.suffix.lower() == ".csv" else _json_rows(path, text)
    cases = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        case = _case(path, line, row)
        if case.id in first_line:
            raise DatasetError(
                path, f"ticket id '{case.id}' already appears on line {first_line[case.id]}", line
            )
        first_line[case.id] = line
        cases.append(case)
    if all(case.created_at for case in cases):
        cases.sort(key=lambda case: case.created_at or START)
    return cases


def _json_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        for line, value in json_lines(text):
            if not isinstance(value, dict):
                raise DatasetError(path, "each line must be a JSON object", line)
            yield line, value
    except UnreadableText as error:
        raise DatasetError(path, error.problem, error.line) from None


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    if not ({"body", "reply"} <= columns or {"instruction", "response"} <= columns):
        raise DatasetError(
            path, "a CSV needs the columns body and reply (or instruction and response)", 1
        )
    for row in reader:
        body = row.get("body") or row.get("instruction")
        reply = row.get("reply") or row.get("response")
        yield reader.line_num, {**row, "body": body, "reply": reply}


def _case(path: Path, line: int, row: dict[str, Any]) -> ReplayCase:
    for name in ("body", "reply"):
        value = row.get(name)
        if not isinstance(value, str) or not value.strip():
            raise DatasetError(path, f"'{name}' must be non-empty text", line)
    created = row.get("created_at")
    when = None
    if created:
        try:
            when = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
        except ValueError:
            raise DatasetError(path, f"'created_at' {created!r} is not an ISO date", line) from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    body = row["body"].strip()
    ticket_id = str(
        row.get("id") or "replay-" + hashlib.sha1(f"{line}:{body}".encode()).hexdigest()[:12]
    )
    intent = row.get("intent") or None
    return ReplayCase(
        id=ticket_id,
        subject=str(row.get("subject") or body.splitlines()[0][:80]),
        body=body,
        reply=row["reply"].strip(),
        intent=str(intent) if intent else None,
        created_at=when,
        customer=str(row["customer"]) if row.get("customer") else None,
    )


# --- replaying -------------------------------------------------------------------------------


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
    from deskpilot.copilot.service import draft_reply
    from deskpilot.desk import Desk

    started = time.perf_counter()
    settings = _replay_settings(workspace, learning)
    desk = Desk(workspace, settings, workspace.open_store(settings))
    desk.use_local_drafter_only()
    scores: list[float] = []
    try:
        for number, case in enumerate(cases):
            ticket = _ticket(case, number)
            desk.clock = _fixed(ticket.created_at)
            desk.store.add_tickets([ticket])
            desk.triage().run(desk.store, [ticket])
            outcome = await draft_reply(desk, ticket.id)
            edit_id = desk.draft_shown(
                outcome.draft, outcome.draft_id, intent=outcome.context.ticket.intent
            )
            scores.append(similarity(outcome.draft.text, case.reply))
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


def _ticket(case: ReplayCase, number: int) -> Ticket:
    at = case.created_at or START + timedelta(minutes=number)
    customer = None
    if case.customer and "@" in case.customer:
        customer = Customer(
            id="c-" + hashlib.sha1(case.customer.lower().encode()).hexdigest()[:12],
            email=case.customer,
            created_at=at,
        )
    message = Message(author=Author.CUSTOMER, body=case.body, at=at)
    return Ticket(
        id=case.id,
        subject=case.subject,
        messages=[message],
        customer=customer,
        created_at=at,
        updated_at=at,
    )


def _label(desk: Desk, ticket_id: str, intent: str, *, retrain: bool) -> None:
    """The agent's handling tells the intent: a label the classifier learns at its next
    training (every window, as a team's nightly ``deskpilot learn`` would)."""
    desk.store.update_ticket(ticket_id, intent=intent, intent_source=IntentSource.LABEL)
    if retrain:
        desk.retrain_intents()
