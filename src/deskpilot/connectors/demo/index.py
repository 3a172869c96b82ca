"""Where each customer's records sit in the demo's big JSON files, so that a lookup reads and
validates a handful of records instead of the whole file.

A 100,000-ticket demo holds 20,000 customers and 43,000 invoices: parsing and validating every
record took the first draft of a session 2-4 seconds and kept them all in memory. An index maps
a field's value (a customer id, an invoice id, an email) to the byte spans of the records that
carry it. It is written beside the records (``.index/<file>.<field>.idx``) when the demo is
built, with the size and modification time of the file it describes; a file changed since (by
hand, or by a new demo) is indexed again on its next read, and a folder that cannot be written
keeps its index in memory only. Everything here blocks: the connector calls it from a thread.

The saved index is one line per value, sorted, and is searched as it is read (a binary search
over its bytes) instead of parsed: parsing the five JSON indexes of the 100k demo (3.6 MB) took
the first draft of a session 150-300 ms; reading them takes about a millisecond.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INDEX_DIR = ".index"
SUFFIX = ".idx"
OLD_SUFFIX = ".json"  # the format before: one JSON object, parsed whole (converted when read)
MAGIC = b"deskpilot-demo-index 2"
Stamp = tuple[int, int]  # (mtime in ns, size): what the index was built from
Span = tuple[int, int]  # (byte offset, byte length) of one record in the file
# Per value, its records' offsets and lengths in one flat list ([offset, length, offset, ...]).
Spans = dict[str, list[int]]
Normalise = Callable[[str], str]


class RecordsFileError(ValueError):
    """The file is not a JSON array of objects (its records cannot be located)."""


@dataclass(frozen=True)
class FieldIndex:
    """One field's index as saved: a header line (``MAGIC``, the stamp), then a line per
    value, ``<value as a JSON string>\t<offset> <length> <offset> <length>...``, sorted by
    the value's bytes, so ``find`` bisects the lines without parsing the rest."""

    stamp: Stamp
    data: bytes
    start: int  # where the first value's line begins (after the header)

    @classmethod
    def of(cls, stamp: Stamp, spans: Spans) -> FieldIndex:
        header = b"%s %d %d\n" % (MAGIC, stamp[0], stamp[1])
        lines = sorted(
            _key(value) + b"\t" + b" ".join(b"%d" % number for number in flat) + b"\n"
            for value, flat in spans.items()
        )
        return cls(stamp, header + b"".join(lines), len(header))

    @classmethod
    def parse(cls, data: bytes) -> FieldIndex | None:
        """The index saved as ``data``, or None if it is not one (another format, cut short)."""
        end = data.find(b"\n")
        header = data[:end].split(b" ")
        if end == -1 or b" ".join(header[:-2]) != MAGIC or not data.endswith(b"\n"):
            return None
        try:
            stamp = (int(header[-2]), int(header[-1]))
        except ValueError:
            return None
        return cls(stamp, data, end + 1)

    def find(self, value: str) -> list[Span]:
        line = self._line(_key(value))
        if line is None:
            return []
        numbers = [int(number) for number in line.split(b" ")]
        return list(zip(numbers[::2], numbers[1::2], strict=True))

    def _line(self, key: bytes) -> bytes | None:
        """The spans part of ``key``'s line: a binary search over the sorted lines."""
        data, low, high = self.data, self.start, len(self.data)
        while low < high:  # low is a line's start, high one's start or the end
            middle = (low + high) // 2
            begin = max(data.rfind(b"\n", low, middle) + 1, low)  # the line holding middle
            end = data.find(b"\n", begin)
            tab = data.find(b"\t", begin, end)
            found = data[begin:tab]
            if found == key:
                return data[tab + 1 : end]
            if found < key:
                low = end + 1
            else:
                high = begin
        return None


def _key(value: str) -> bytes:
    """A value as its line starts: a JSON string, ASCII, with no tab or newline in it."""
    return json.dumps(value).encode("ascii")


def stamp_of(path: Path) -> Stamp | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def sidecar(path: Path, field: str, suffix: str = SUFFIX) -> Path:
    return path.parent / INDEX_DIR / f"{path.name}.{field}{suffix}"


def build(path: Path, fields: dict[str, Normalise]) -> dict[str, FieldIndex]:
    """Index ``path`` by each of ``fields`` in one pass, and save each index beside it (best
    effort: an index that cannot be saved is rebuilt by the next process)."""
    stamp = stamp_of(path)
    if stamp is None:
        return {field: FieldIndex.of((0, 0), {}) for field in fields}
    data = path.read_bytes()
    spans: dict[str, Spans] = {field: {} for field in fields}
    for start, end, row in _records(data):
        for field, normalise in fields.items():
            value = row.get(field)
            if isinstance(value, str) and not value.isascii():
                # Read through Latin-1 (see _records): the record parsed again as the text
                # it is, so UTF-8 and \u escapes both come out right.
                value = json.loads(data[start:end]).get(field)
            if isinstance(value, str):
                spans[field].setdefault(normalise(value), []).extend((start, end - start))
    built = {field: FieldIndex.of(stamp, spans[field]) for field in fields}
    for field, index in built.items():
        _save(sidecar(path, field), index)
    return built


def load(path: Path, field: str) -> FieldIndex | None:
    """The saved index of ``path`` by ``field``, if it still describes the file as it is."""
    stamp = stamp_of(path)
    try:
        index = FieldIndex.parse(sidecar(path, field).read_bytes())
    except OSError:
        index = _converted(path, field)
    return index if index is not None and index.stamp == stamp else None


def _converted(path: Path, field: str) -> FieldIndex | None:
    """The index a workspace built before this format saved as JSON, saved again in this one
    (parsed once, instead of indexing the records again), or None."""
    old = sidecar(path, field, OLD_SUFFIX)
    try:
        saved = json.loads(old.read_text(encoding="utf-8"))
        mtime, size = saved["stamp"]
        index = FieldIndex.of((int(mtime), int(size)), dict(saved["spans"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    _save(sidecar(path, field), index)
    old.unlink(missing_ok=True)
    return index


def read(path: Path, spans: list[Span]) -> list[dict[str, Any]]:
    """The records at ``spans``, parsed; ``RecordsFileError`` if a span is not one record
    (the file changed under the index)."""
    rows = []
    with path.open("rb") as handle:
        for offset, length in spans:
            handle.seek(offset)
            try:
                row = json.loads(handle.read(length))
            except ValueError:
                raise RecordsFileError("changed while it was read") from None
            if not isinstance(row, dict):
                raise RecordsFileError("changed while it was read")
            rows.append(row)
    return rows


def _records(data: bytes) -> list[tuple[int, int, dict[str, Any]]]:
    """(start, end, record) for each object of the top-level JSON array in ``data``.

    The bytes are decoded as Latin-1, one character per byte, so that the decoder's
    character offsets are the file's byte offsets; JSON's syntax is ASCII, and UTF-8 text
    inside strings passes through as characters the decoder accepts unchanged.
    """
    text = data.decode("latin-1")
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if text[position : position + 1] != "[":
        raise RecordsFileError("expected a JSON array of records")
    position = _skip_space(text, position + 1)
    found: list[tuple[int, int, dict[str, Any]]] = []
    if text[position : position + 1] == "]":
        return found
    while True:
        try:
            row, end = decoder.raw_decode(text, position)
        except ValueError as error:
            raise RecordsFileError(str(error).splitlines()[0]) from None
        if not isinstance(row, dict):
            raise RecordsFileError(f"expected an object at byte {position}")
        found.append((position, end, row))
        position = _skip_space(text, end)
        following = text[position : position + 1]
        if following == "]":
            return found
        if following != ",":
            raise RecordsFileError(f"expected ',' or ']' at byte {position}")
        position = _skip_space(text, position + 1)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _save(path: Path, index: FieldIndex) -> None:
    try:
        path.parent.mkdir(exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            temporary.write_bytes(index.data)
            os.replace(temporary, path)  # readers see the old index or the new one, never half
        finally:
            temporary.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only records folder: the index lives in memory for this process
