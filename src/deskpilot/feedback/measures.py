"""How far an agent's final reply moved from the co-pilot's draft.

``similarity`` is ``rapidfuzz.fuzz.ratio / 100`` everywhere (edit events, statistics, replay),
so a figure read in one place means the same in every other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

ACCEPTED_AS_IS = 0.9  # at or above this similarity a draft counts as sent as it was
REWRITTEN_BELOW = 0.5
WORD = re.compile(r"\S+")
# Figures, money, dates, addresses, references: a changed one means the draft got a fact wrong.
FACT = re.compile(
    r"[$€£]\s?\d[\d,.]*|\d{4}-\d{2}-\d{2}|\b[\w.+-]+@[\w-]+\.[\w.]+\b|https?://\S+"
    r"|\b[A-Z]{2,}-?\d+\b|\b\d[\d,.:]*\b"
)
TONE_WORDS = frozenset(
    """sorry apologies apologise apologize unfortunately afraid please thanks thank glad happy
    delighted trouble wait frustrating frustration understand appreciate patience kindly hi
    hello hey dear best regards cheers warm warmly sincerely great totally absolutely really
    truly hope""".split()  # noqa: SIM905 - a word list reads better as prose
)


class EditClass(StrEnum):
    UNCHANGED = "unchanged"
    MINOR = "minor"  # a few words touched, meaning and length kept
    SHORTENED = "shortened"
    LENGTHENED = "lengthened"
    FACTS_CHANGED = "facts_changed"
    TONE_CHANGED = "tone_changed"
    REWRITTEN = "rewritten"


@dataclass(frozen=True)
class EditMeasures:
    similarity: float
    edit_distance: float  # normalised Levenshtein distance, 0 = identical, 1 = nothing shared
    diff: list[list[Any]]
    edit_class: EditClass


def similarity(draft: str, final: str) -> float:
    return round(fuzz.ratio(draft, final) / 100, 4)


def measure(draft: str, final: str) -> EditMeasures:
    diff = word_diff(draft, final)
    return EditMeasures(
        similarity=similarity(draft, final),
        edit_distance=round(Levenshtein.normalized_distance(draft, final), 4),
        diff=diff,
        edit_class=classify_edit(draft, final, diff),
    )


def word_diff(draft: str, final: str) -> list[list[Any]]:
    """The edit as word-level operations: ``[tag, removed words, added words]`` for each change
    (tag is replace, delete or insert); unchanged stretches are left out."""
    before, after = WORD.findall(draft), WORD.findall(final)
    operations: list[list[Any]] = []
    run: list[tuple[int, int, int, int]] = []  # adjacent changes read as one

    def flush() -> None:
        if not run:
            return
        removed = " ".join(before[run[0][0] : run[-1][1]])
        added = " ".join(after[run[0][2] : run[-1][3]])
        tag = "replace" if removed and added else ("delete" if removed else "insert")
        operations.append([tag, removed, added])
        run.clear()

    for op in Levenshtein.opcodes(before, after):
        if op.tag == "equal":
            flush()
        else:
            run.append((op.src_start, op.src_end, op.dest_start, op.dest_end))
    flush()
    return operations


def classify_edit(draft: str, final: str, diff: list[list[Any]] | None = None) -> EditClass:
    """One coarse class a lead can count: what kind of edit was this?"""
    if draft == final:
        return EditClass.UNCHANGED
    score = similarity(draft, final)
    if score < REWRITTEN_BELOW:
        return EditClass.REWRITTEN
    if set(FACT.findall(draft)) != set(FACT.findall(final)):
        return EditClass.FACTS_CHANGED
    operations = diff if diff is not None else word_diff(draft, final)
    changed = [w for _tag, removed, added in operations for w in f"{removed} {added}".split()]
    words = [re.sub(r"\W", "", w).lower() for w in changed]
    words = [w for w in words if w]
    # Tone edits come with function words ("sorry for the wait"): a quarter is enough.
    if words and sum(w in TONE_WORDS for w in words) * 4 >= len(words):
        return EditClass.TONE_CHANGED
    ratio = len(final) / max(1, len(draft))
    if ratio < 0.8:
        return EditClass.SHORTENED
    if ratio > 1.25:
        return EditClass.LENGTHENED
    return EditClass.MINOR
