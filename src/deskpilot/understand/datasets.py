"""Labelled intent examples from files: Banking77-style CSV, CLINC150 JSON, DeskPilot ticket JSONL.

Used by ``deskpilot intents eval`` and by anyone training the classifier on their own data.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from deskpilot.errors import DeskPilotError
from deskpilot.textfiles import UnreadableText, json_lines, parse_json, read_utf8

OUT_OF_SCOPE = "out_of_scope"
Split = Literal["train", "test"]


class DatasetError(DeskPilotError):
    def __init__(self, path: Path, problem: str, line: int | None = None) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str  # OUT_OF_SCOPE for messages outside the taxonomy


def load_examples(path: Path, split: Split) -> list[Example]:
    """Read one split of a labelled file; the format is told by its content."""
    text = _read_text(path)
    stripped = text.lstrip()
    if not stripped:
        raise DatasetError(path, "the file is empty")
    if stripped.startswith("{") and _is_clinc_document(stripped):
        return _clinc(path, parse_json(stripped), split)
    if stripped.startswith("{"):
        return _ticket_jsonl(path, text)
    return _csv(path, text)


def load_validation(path: Path) -> list[Example] | None:
    """The validation part of a CLINC150 document (``val`` + ``oos_val``), or None when the
    file has none: the data the out-of-scope threshold may be chosen on."""
    stripped = _read_text(path).lstrip()
    if not (stripped.startswith("{") and _is_clinc_document(stripped)):
        return None
    data = parse_json(stripped)
    if "val" not in data:
        return None
    return _clinc_part(path, data, "val")


def _read_text(path: Path) -> str:
    try:
        return read_utf8(path)
    except UnreadableText as error:
        raise DatasetError(path, error.problem, error.line) from None


def _is_clinc_document(text: str) -> bool:
    """One JSON object with split parts (a one-line ticket JSONL is a JSON object too)."""
    try:
        data = parse_json(text)  # the one reader for outside JSON: never a crash
    except UnreadableText:
        return False
    return isinstance(data, dict) and bool({"train", "val", "test"} & set(data))


def _clinc(path: Path, data: Any, split: Split) -> list[Example]:
    """CLINC150 ``data_full.json``: ``train``/``val``/``test`` plus ``oos_*`` parts."""
    order = ("train",) if split == "train" else ("test", "val")
    part = next((name for name in order if name in data), None)
    if part is None:
        raise DatasetError(path, f"no '{order[0]}' part for the {split} split")
    return _clinc_part(path, data, part)


def _clinc_part(path: Path, data: Any, part: str) -> list[Example]:
    pairs = list(data[part]) + list(data.get(f"oos_{part}", []))
    examples = []
    for index, pair in enumerate(pairs):
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        ):
            raise DatasetError(path, f"'{part}' item {index} is not a [text, label] pair")
        text, label = pair
        examples.append(Example(text, OUT_OF_SCOPE if label == "oos" else label))
    return examples


def _ticket_jsonl(path: Path, text: str) -> list[Example]:
    """DeskPilot ticket JSONL: ``intent`` plus ``body`` (or the first customer message)."""
    examples = []
    try:
        lines = list(json_lines(text))
    except UnreadableText as error:
        raise DatasetError(path, error.problem, error.line) from None
    for number, record in lines:
        if not isinstance(record, dict):
            raise DatasetError(path, "expected a JSON object", number)
        body = record.get("body") or _first_customer_message(record.get("messages"))
        intent = record.get("intent")
        if not isinstance(body, str) or not body.strip():
            raise DatasetError(path, "needs a 'body' (or customer 'messages')", number)
        if not isinstance(intent, str) or not intent.strip():
            raise DatasetError(path, "needs an 'intent' label", number)
        subject = record.get("subject")
        text_in = f"{subject}. {body}" if isinstance(subject, str) and subject else body
        examples.append(Example(text_in, intent))
    return examples


def _first_customer_message(messages: Any) -> str | None:
    if not isinstance(messages, list):
        return None
    for message in messages:
        if isinstance(message, dict) and message.get("author") == "customer":
            body = message.get("body")
            return body if isinstance(body, str) else None
    return None


TEXT_COLUMNS = ("text", "instruction", "body")
LABEL_COLUMNS = ("category", "intent", "label")


def _csv(path: Path, text: str) -> list[Example]:
    """Banking77-style ``text,category`` (Bitext's ``instruction,intent`` is accepted too)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    text_column = next((c for c in TEXT_COLUMNS if c in header), None)
    label_column = next((c for c in LABEL_COLUMNS if c in header), None)
    if text_column is None or label_column is None:
        raise DatasetError(
            path,
            f"CSV needs a text column ({'/'.join(TEXT_COLUMNS)}) and a label column "
            f"({'/'.join(LABEL_COLUMNS)}); found {', '.join(header) or 'no header'}",
            1,
        )
    examples = []
    try:
        for row in reader:
            body, label = row.get(text_column), row.get(label_column)
            if not body or not label:
                raise DatasetError(
                    path, f"empty '{text_column}' or '{label_column}'", reader.line_num
                )
            examples.append(Example(body, OUT_OF_SCOPE if label == "oos" else label))
    except csv.Error as error:
        raise DatasetError(path, f"not valid CSV ({error})", reader.line_num) from None
    if not examples:
        raise DatasetError(path, "no examples after the header")
    return examples
