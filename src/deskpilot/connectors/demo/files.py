"""Safe writes into the records folder: whole-file replaces and appended JSON lines, under a lock
so two writers (the TUI and a CLI command on the same workspace) never lose each other's change."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: the in-process lock still serialises this process's writers
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".records.lock"
_thread_locks: dict[Path, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the folder's write lock: a thread lock, and an advisory file lock across processes."""
    folder = folder.resolve()
    with _thread_locks_guard:
        lock = _thread_locks.setdefault(folder, threading.Lock())
    with lock, (folder / LOCK_FILE).open("a") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_json_atomic(path: Path, rows: list[dict[str, Any]]) -> None:
    """Replace ``path`` with ``rows`` in one step: readers see the old file or the new one,
    never half of it, even if we crash mid-write."""
    text = json.dumps(rows, indent=1, ensure_ascii=False) + "\n"
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def append_json_line(path: Path, row: dict[str, Any]) -> None:
    line = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
