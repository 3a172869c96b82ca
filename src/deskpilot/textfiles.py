"""Reading the text files people hand DeskPilot (tickets, labelled data, eval pairs): UTF-8
(a BOM is fine) and JSON Lines, with a problem that names the line when they are not.

``parse_json`` is the one way outside JSON is read, here and by the intake endpoint: JSON from
outside may be hostile, and Python's own parser answers some hostile documents with errors no
caller expects (``ValueError`` for an integer over 4,300 digits, ``RecursionError`` for deep
nesting) or with values JSON does not have (``NaN``, ``Infinity``). Each becomes a plain
``UnreadableText`` here, so a caller handles one error.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# No document DeskPilot reads nests deeper than a few levels (a ticket's messages are three);
# refusing early keeps the parser far from Python's recursion limit.
MAX_JSON_DEPTH = 64
# No number DeskPilot reads needs more digits; Python refuses over 4,300 with a ValueError.
MAX_INTEGER_DIGITS = 100
# A string (with its escapes) or a bracket: what the depth check looks at, strings skipped.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class UnreadableText(Exception):
    """Why a file could not be read; callers wrap it in their own error."""

    def __init__(self, problem: str, line: int | None = None, field: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.field = field


def read_utf8(path: Path) -> str:
    data = _read_regular_file(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UnreadableText(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "re-save the file as UTF-8",
            line,
        ) from None


def _read_regular_file(path: Path) -> bytes:
    """The file's bytes; anything but a regular file (a FIFO, a device, a socket) is refused
    without reading, since reading it may block forever or never end."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UnreadableText("no such file") from None
    except IsADirectoryError:
        raise UnreadableText("is a folder, not a file") from None
    except OSError as error:
        raise UnreadableText(f"cannot read the file ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableText("is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise UnreadableText(f"is not a regular file (a {_file_kind(mode)}); give a file")
        try:
            return file.read()
        except OSError as error:
            raise UnreadableText(f"cannot read the file ({error.strerror})") from None


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISFIFO, "named pipe"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "special file")


def json_lines(text: str, *, refuse_duplicate_keys: bool = False) -> Iterator[tuple[int, Any]]:
    """(line number, value) for every non-blank line of JSON Lines text.

    Lines end at "\n" only (a "\r" before it is JSON whitespace): U+2028, U+2029 and U+0085
    are valid inside JSON strings, and ``str.splitlines()`` would cut a line at them."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield number, parse_json(line, refuse_duplicate_keys=refuse_duplicate_keys)
        except UnreadableText as error:
            raise UnreadableText(error.problem, number, error.field) from None


def json_document(text: str, *, refuse_duplicate_keys: bool = False) -> Any:
    """One JSON value that may span lines (a request body), read as a line of JSON Lines is."""
    return parse_json(text, refuse_duplicate_keys=refuse_duplicate_keys)


def parse_json(text: str, *, refuse_duplicate_keys: bool = False) -> Any:
    """One JSON value from outside, or ``UnreadableText`` saying why not; never another error.

    Refused besides invalid JSON: nesting over ``MAX_JSON_DEPTH``, integers over
    ``MAX_INTEGER_DIGITS`` digits, ``NaN`` and ``Infinity`` (not JSON), and with
    ``refuse_duplicate_keys`` a field given twice (which of the two would count is a guess).
    """
    _check_depth(text)
    hook = _refuse_duplicates if refuse_duplicate_keys else None
    try:
        return json.loads(
            text, object_pairs_hook=hook, parse_int=_bounded_int, parse_constant=_no_constant
        )
    except json.JSONDecodeError as error:
        where = f"column {error.colno}"
        if "\n" in text.strip():  # a document over several lines (a request body)
            where = f"line {error.lineno} {where}"
        raise UnreadableText(f"not valid JSON ({error.msg} at {where})") from None
    except _DuplicateKey as error:
        raise UnreadableText("the same field appears twice", None, error.key) from None
    except _Unacceptable as error:
        raise UnreadableText(str(error)) from None
    except RecursionError:  # the depth check should have caught it; never a crash, though
        raise UnreadableText(f"nested more than {MAX_JSON_DEPTH} levels deep") from None


def _check_depth(text: str) -> None:
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise UnreadableText(f"nested more than {MAX_JSON_DEPTH} levels deep")
        elif token in "]}":
            depth -= 1


class _Unacceptable(ValueError):
    """Valid JSON syntax that DeskPilot will not read."""


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Unacceptable(
            f"a number with {len(digits.lstrip('-')):,} digits; at most {MAX_INTEGER_DIGITS}"
        )
    return int(digits)


def _no_constant(name: str) -> Any:
    raise _Unacceptable(f"{name} is not a JSON number")


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
