"""Measure retrieval: does a query find the document that answers it, and how high?

An evaluation file pairs queries with the expected document id (or a list of acceptable ids):
JSONL lines ``{"query": "...", "expected": "reset-your-password"}`` or a CSV with the columns
``query,expected`` (several acceptable ids separated by ``|``). Any problem in the file stops the
evaluation with one error naming the file and the line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskpilot.knowledge.errors import EvalFileError
from deskpilot.knowledge.index import KnowledgeIndex
from deskpilot.textfiles import UnreadableText, json_lines, read_utf8

DEPTH = 10  # ranks below this count as a miss (MRR@10)
COLUMNS = ("query", "expected")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass(frozen=True)
class EvalCase:
    query: str
    expected: tuple[str, ...]  # any of these ids answers the query
    line: int


@dataclass(frozen=True)
class CaseResult:
    case: EvalCase
    rank: int | None  # 1-based rank of the first acceptable hit; None when not in the top DEPTH
    found: tuple[str, ...]  # ids returned, best first


@dataclass(frozen=True)
class EvalResult:
    cases: list[CaseResult]
    unknown_ids: list[str]  # expected ids that are not in the index: likely typos in the file

    @property
    def n(self) -> int:
        return len(self.cases)

    @property
    def hit_at_1(self) -> float:
        return self._share(1)

    @property
    def hit_at_3(self) -> float:
        return self._share(3)

    @property
    def mrr(self) -> float:
        return sum(1 / c.rank for c in self.cases if c.rank) / self.n if self.n else 0.0

    def _share(self, depth: int) -> float:
        hits = sum(1 for c in self.cases if c.rank is not None and c.rank <= depth)
        return hits / self.n if self.n else 0.0

    def metrics(self) -> dict[str, float | int]:
        return {
            "hit_at_1": self.hit_at_1,
            "hit_at_3": self.hit_at_3,
            "mrr": self.mrr,
            "n": self.n,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.metrics(),
            "depth": DEPTH,
            "unknown_ids": self.unknown_ids,
            "cases": [
                {
                    "line": c.case.line,
                    "query": c.case.query,
                    "expected": list(c.case.expected),
                    "rank": c.rank,
                    "found": list(c.found),
                }
                for c in self.cases
            ],
        }


def evaluate(index: KnowledgeIndex, cases: list[EvalCase]) -> EvalResult:
    results = []
    for case in cases:
        found = tuple(hit.id for hit in index.search(case.query, limit=DEPTH))
        rank = next((n for n, doc_id in enumerate(found, 1) if doc_id in case.expected), None)
        results.append(CaseResult(case, rank, found))
    expected = dict.fromkeys(doc_id for case in cases for doc_id in case.expected)
    unknown = [doc_id for doc_id in expected if not index.contains(doc_id)]
    return EvalResult(results, unknown)


def read_eval_file(path: Path) -> list[EvalCase]:
    text = _read_text(path)
    if not text.strip():
        raise EvalFileError(
            path, 'empty file; expected JSONL lines {"query", "expected"} or CSV query,expected'
        )
    cases = _read_jsonl(path, text) if _looks_like_jsonl(path, text) else _read_csv(path, text)
    if not cases:
        raise EvalFileError(path, "no evaluation cases (only a header or blank lines)")
    return cases


def _looks_like_jsonl(path: Path, text: str) -> bool:
    if path.suffix.lower() in JSONL_SUFFIXES:
        return True
    if path.suffix.lower() == ".csv":
        return False
    return text.lstrip().startswith("{")


def _read_text(path: Path) -> str:
    try:
        return read_utf8(path)
    except UnreadableText as error:
        raise EvalFileError(path, error.problem, line=error.line) from None


def _read_jsonl(path: Path, text: str) -> list[EvalCase]:
    try:
        lines = list(json_lines(text))
    except UnreadableText as error:
        raise EvalFileError(path, error.problem, line=error.line) from None
    return [_case_from_record(path, number, record) for number, record in lines]


def _case_from_record(path: Path, line: int, record: object) -> EvalCase:
    if not isinstance(record, dict):
        raise EvalFileError(path, 'expected an object {"query": ..., "expected": ...}', line=line)
    unknown = sorted(set(record) - set(COLUMNS))
    if unknown:
        raise EvalFileError(
            path, f"unknown field '{unknown[0]}' (fields: query, expected)", line=line
        )
    for name in COLUMNS:
        if name not in record:
            raise EvalFileError(path, f"missing field '{name}'", line=line)
    return EvalCase(
        query=_query(path, line, record["query"]),
        expected=_expected_ids(path, line, record["expected"]),
        line=line,
    )


def _query(path: Path, line: int, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EvalFileError(path, "'query' must be non-empty text", line=line)
    return value.strip()


def _expected_ids(path: Path, line: int, value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    ids = tuple(item.strip() for item in items if isinstance(item, str) and item.strip())
    if not ids or len(ids) != len(items):
        raise EvalFileError(
            path, "'expected' must be a document id or a non-empty list of ids", line=line
        )
    return ids


def _read_csv(path: Path, text: str) -> list[EvalCase]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
        if sorted(header) != sorted(COLUMNS):
            raise EvalFileError(
                path, f"columns must be query,expected (found: {','.join(header)})", line=1
            )
        cases = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            cases.append(_case_from_row(path, reader.line_num, header, row))
    except csv.Error as error:
        raise EvalFileError(path, f"malformed CSV ({error})", line=reader.line_num) from None
    return cases


def _case_from_row(path: Path, line: int, header: list[str], row: list[str]) -> EvalCase:
    if len(row) != len(header):
        raise EvalFileError(
            path, f"expected {len(header)} columns (query,expected), found {len(row)}", line=line
        )
    cells = dict(zip(header, row, strict=True))
    expected = cells["expected"].split("|")
    return EvalCase(
        query=_query(path, line, cells["query"]),
        expected=_expected_ids(path, line, expected),
        line=line,
    )
