"""The knowledge layer's errors; both are DeskPilot errors, so the CLI prints them as one line."""

from __future__ import annotations

from pathlib import Path

from deskpilot.errors import DeskPilotError


class KnowledgeError(DeskPilotError):
    """The search index cannot be opened, written or searched."""


class EvalFileError(KnowledgeError):
    """A retrieval evaluation file that cannot be read; names the file and the line."""

    def __init__(self, path: Path, problem: str, *, line: int | None = None) -> None:
        where = str(path) if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem
