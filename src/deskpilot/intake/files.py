"""Read ticket files (JSONL or CSV) into validated records, or fail naming file, line and field.

Reading is all-or-nothing: every line is parsed and validated before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from deskpilot.errors import ImportFileError
from deskpilot.intake.records import FIELDS, TicketRecord
from deskpilot.textfiles import UnreadableText, json_lines, parse_json, read_utf8

Progress = Callable[[int, int], None]

# CSV cells of these fields may hold a JSON array, or items separated by "|".
LIST_FIELDS = {"tags", "page_context.errors", "page_context.steps_attempted"}
JSON_FIELDS = {"messages", "page_context", "attachments"}
CUSTOMER_COLUMNS = {f"customer.{k}" for k in ("email", "name", "id", "company", "tier", "plan")}
PAGE_COLUMNS = {f"page_context.{k}" for k in ("url", "title", "visible_state")} | {
    "page_context.errors",
    "page_context.steps_attempted",
}
# Long message threads fit in one CSV cell.
csv.field_size_limit(16 * 1024 * 1024)
# Text no field may hold, wherever it comes from: NUL (PostgreSQL cannot store it, C code cuts
# strings at it) and lone surrogates (JSON's "\ud800": not Unicode, so not storable as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class NumberedRecord:
    line: int
    record: TicketRecord


def read_ticket_file(path: Path, progress: Progress | None = None) -> list[NumberedRecord]:
    text = _read_text(path)
    if not text.strip():
        raise ImportFileError(path, "the file is empty; expected one ticket per line")
    if _looks_like_csv(path, text):
        return _read_csv(path, text, progress)
    return _read_jsonl(path, text, progress)


def read_ticket_object(source: Path, data: Any) -> TicketRecord:
    """One ticket decoded from JSON (the intake endpoint's request body), validated exactly as
    a line of a JSONL file is; errors name the field as an import's do."""
    if not isinstance(data, dict):
        raise ImportFileError(source, f"expected a JSON object, found {type(data).__name__}")
    return _validate(source, None, data)


def _read_text(path: Path) -> str:
    try:
        return read_utf8(path)
    except UnreadableText as error:
        raise ImportFileError(path, error.problem, line=error.line) from None


def _looks_like_csv(path: Path, text: str) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return True
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return False
    return not text.lstrip().startswith("{")


def _read_jsonl(path: Path, text: str, progress: Progress | None) -> list[NumberedRecord]:
    total = text.count("\n") + 1
    records = []
    try:
        for number, data in json_lines(text, refuse_duplicate_keys=True):
            if not isinstance(data, dict):
                raise ImportFileError(
                    path, f"expected a JSON object, found {type(data).__name__}", line=number
                )
            records.append(NumberedRecord(number, _validate(path, number, data)))
            if progress and number % 1000 == 0:
                progress(number, total)
    except UnreadableText as error:
        raise ImportFileError(path, error.problem, line=error.line, field=error.field) from None
    if progress:
        progress(total, total)
    return records


def _read_csv(path: Path, text: str, progress: Progress | None) -> list[NumberedRecord]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise ImportFileError(path, f"not valid CSV ({error})", line=1) from None
    _check_header(path, header)
    total = text.count("\n") or 1
    records = []
    line = 1  # the last line of the last complete row
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                raise ImportFileError(path, "more cells than header columns", line=line)
            _check_complete_row(path, line, row, len(header))
            data = _nest_csv_row(path, line, row)
            if data:
                records.append(NumberedRecord(line, _validate(path, line, data)))
            if progress and len(records) % 1000 == 0:
                progress(line, total)
    except csv.Error as error:
        raise ImportFileError(path, f"not valid CSV ({error})", line=line + 1) from None
    if not records:
        raise ImportFileError(path, "no tickets after the header row")
    if progress:
        progress(total, total)
    return records


def _check_complete_row(path: Path, line: int, row: dict[str, str | None], columns: int) -> None:
    """A row with fewer cells than the header is a line cut short (a truncated file, a cell
    holding a stray line break): refused, never read with the missing cells left empty."""
    cells = sum(value is not None for value in row.values())
    if cells < columns:
        raise ImportFileError(
            path,
            f"the row has {cells} cells but the header has {columns}; "
            "is the line cut short? (write empty cells as ,,)",
            line=line,
        )


def _check_header(path: Path, header: Sequence[str]) -> None:
    known = set(FIELDS) | CUSTOMER_COLUMNS | PAGE_COLUMNS
    seen: set[str] = set()
    for column in header:
        if column not in known:
            raise ImportFileError(path, _unknown_field_message(column), line=1, field=column)
        if column in seen:
            raise ImportFileError(path, "column appears twice in the header", line=1, field=column)
        seen.add(column)
    for whole, parts in (("customer", CUSTOMER_COLUMNS), ("page_context", PAGE_COLUMNS)):
        if whole in seen and seen & parts:
            raise ImportFileError(
                path,
                f"use either a '{whole}' column or '{whole}.*' columns, not both",
                line=1,
                field=whole,
            )


def _nest_csv_row(path: Path, line: int, row: dict[str, str | None]) -> dict[str, Any]:
    """Turn dotted columns into nested objects; empty cells mean 'not given'."""
    data: dict[str, Any] = {}
    for column, cell in row.items():
        if cell is None or cell.strip() == "":
            continue
        value: Any = cell
        if column in LIST_FIELDS:
            value = _list_cell(path, line, column, cell)
        elif column in JSON_FIELDS or (column == "customer" and cell.lstrip().startswith("{")):
            # A customer cell holds an email or id, or a JSON object.
            value = _json_cell(path, line, column, cell)
        parent, _, child = column.partition(".")
        if child:
            data.setdefault(parent, {})[child] = value
        else:
            data[column] = value
    return data


def _list_cell(path: Path, line: int, column: str, cell: str) -> Any:
    if cell.lstrip().startswith("["):
        return _json_cell(path, line, column, cell)
    return [part.strip() for part in cell.split("|") if part.strip()]


def _json_cell(path: Path, line: int, column: str, cell: str) -> Any:
    try:
        return parse_json(cell, refuse_duplicate_keys=True)
    except UnreadableText as error:
        field = f"{column}.{error.field}" if error.field else column
        raise ImportFileError(path, f"cell: {error.problem}", line=line, field=field) from None


def _validate(path: Path, line: int | None, data: dict[str, Any]) -> TicketRecord:
    """The one check every ticket passes, from a JSONL line, a CSV row or an HTTP body."""
    _refuse_unstorable_text(path, line, data, ())
    try:
        return TicketRecord.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"] if not _is_union_tag(part))
        if first["type"] == "extra_forbidden":
            problem = _unknown_field_message(field)
        elif first["type"] == "missing":
            problem = "required field is missing"
        else:
            message = first["msg"].removeprefix("Value error, ")  # pydantic's wording
            problem = f"{message} (got {_preview(first.get('input'))})"
        raise ImportFileError(path, problem, line=line, field=field or None) from None


def _refuse_unstorable_text(
    path: Path, line: int | None, value: Any, where: tuple[str | int, ...]
) -> None:
    """NUL or a lone surrogate anywhere (a field name, a value, nested at any depth) is refused
    naming the field: one rule for every text field, not one check per field."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        if found:
            kind = "a NUL character" if found.group() == "\x00" else "a lone surrogate"
            field = ".".join(str(part) for part in where) or None
            raise ImportFileError(path, f"contains {kind}", line=line, field=field)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_unstorable_text(path, line, key, where)
            _refuse_unstorable_text(path, line, item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_unstorable_text(path, line, item, (*where, index))


def _is_union_tag(part: int | str) -> bool:
    # pydantic names union branches in error locations ("CustomerRecord", "str"); drop them.
    return isinstance(part, str) and (part[:1].isupper() or part in {"str", "constrained-str"})


def _unknown_field_message(field: str) -> str:
    return f"unknown field '{field}' (known fields: {', '.join(FIELDS)})"


def _preview(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
