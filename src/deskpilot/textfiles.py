"""Reading the text files people hand DeskPilot (tickets, labelled data, eval pairs): UTF-8
(a BOM is fine) and JSON Lines, with a problem that names the line when they are not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class UnreadableText(Exception):
    """Why a file could not be read; callers wrap it in their own error."""

    def __init__(self, problem: str, line: int | None = None, field: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.field = field


def read_utf8(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableText("no such file") from None
    except IsADirectoryError:
        raise UnreadableText("is a folder, not a file") from None
    except OSError as error:
        raise UnreadableText(f"cannot read the file ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UnreadableText(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "re-save the file as UTF-8",
            line,
        ) from None


def json_lines(text: str, *, refuse_duplicate_keys: bool = False) -> Iterator[tuple[int, Any]]:
    """(line number, value) for every non-blank line of JSON Lines text."""
    hook = _refuse_duplicates if refuse_duplicate_keys else None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line, object_pairs_hook=hook)
        except json.JSONDecodeError as error:
            raise UnreadableText(
                f"not valid JSON ({error.msg} at column {error.colno})", number
            ) from None
        except _DuplicateKey as error:
            raise UnreadableText("the same field appears twice", number, error.key) from None


def json_document(text: str, *, refuse_duplicate_keys: bool = False) -> Any:
    """One JSON value that may span lines (a request body), read as a line of JSON Lines is."""
    hook = _refuse_duplicates if refuse_duplicate_keys else None
    try:
        return json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as error:
        raise UnreadableText(
            f"not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except _DuplicateKey as error:
        raise UnreadableText("the same field appears twice", None, error.key) from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data
