"""Product facts: one short document per plan and per known bug, from the workspace records.

They answer "how much is Pro?" or "is the export bug known?" with the record itself, so the
co-pilot can cite a price or a workaround rather than paraphrase an article.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from deskpilot.knowledge.documents import (
    FACT,
    IndexReport,
    KnowledgeDoc,
    Progress,
    Skipped,
    no_progress,
)
from deskpilot.knowledge.index import KnowledgeIndex
from deskpilot.models import Bug, Plan

RecordT = TypeVar("RecordT", bound=BaseModel)
PLANS_FILE = "plans.json"
BUGS_FILE = "bugs.json"


def index_facts(
    index: KnowledgeIndex, records_dir: Path, progress: Progress | None = None
) -> IndexReport:
    """Sync the plan and bug facts with ``records_dir``; a broken file keeps its old facts."""
    folder = records_dir.expanduser().resolve()
    docs: list[KnowledgeDoc] = []
    skipped: list[Skipped] = []
    for name, to_docs in ((PLANS_FILE, _plan_docs), (BUGS_FILE, _bug_docs)):
        path = folder / name
        if not path.exists():
            continue
        try:
            docs += to_docs(path, folder)
        except ValueError as problem:
            skipped.append(Skipped(name, str(problem)))
    kept = {str(folder / s.name) for s in skipped}
    result = index.sync(
        FACT, str(folder), docs, keep_sources=kept, progress=progress or no_progress
    )
    return IndexReport(str(folder), result.indexed, result.unchanged, result.removed, skipped)


def plan_document(plan: Plan, *, origin: str = "", source: str = "") -> KnowledgeDoc:
    price = f"${plan.monthly_price:,.2f}"
    seats = f"{plan.seats_included} seat{'s' if plan.seats_included != 1 else ''}"
    return KnowledgeDoc(
        id=f"plan:{plan.id}",
        kind=FACT,
        title=f"{plan.name} plan: {price} per month, {seats} included",
        body=(
            f"The {plan.name} plan costs {price} per month and includes {seats}. "
            f"Plan id: {plan.id}."
        ),
        tags=("plan", "pricing"),
        origin=origin,
        source=source,
    )


def bug_document(bug: Bug, *, origin: str = "", source: str = "") -> KnowledgeDoc:
    status = bug.status.replace("_", " ")
    lines = [f"Known bug {bug.id} ({status})."]
    if bug.page_url:
        lines.append(f"Page: {bug.page_url}")
    if bug.error_signature:
        lines.append(f"Error: {bug.error_signature}")
    if bug.workaround:
        lines.append(f"Workaround: {bug.workaround}")
    return KnowledgeDoc(
        id=bug.id,
        kind=FACT,
        title=bug.title,
        body="\n".join(lines),
        url=bug.page_url,
        tags=("bug", status),
        origin=origin,
        source=source,
    )


def _plan_docs(path: Path, folder: Path) -> list[KnowledgeDoc]:
    plans = _read_records(path, Plan)
    return [plan_document(p, origin=str(folder), source=str(path)) for p in plans]


def _bug_docs(path: Path, folder: Path) -> list[KnowledgeDoc]:
    bugs = _read_records(path, Bug)
    return [bug_document(b, origin=str(folder), source=str(path)) for b in bugs]


def _read_records(path: Path, model: type[RecordT]) -> Sequence[RecordT]:
    """The file's records; ValueError with a short reason when it is not a list of them."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read ({error})") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(rows, list):
        raise ValueError("expected a JSON array of records")
    return [_validated(model, row, number) for number, row in enumerate(rows, start=1)]


def _validated(model: type[RecordT], row: object, number: int) -> RecordT:
    try:
        return model.model_validate(row)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "record"
        raise ValueError(f"record {number}, field '{where}': {first['msg']}") from None
