"""DeskPilot's errors: each message says what went wrong, where, and how to fix it.

The CLI prints ``str(error)`` on one line and exits with code 2; tracebacks only with ``--debug``.
"""

from __future__ import annotations

from pathlib import Path


class DeskPilotError(Exception):
    """Base of every error a user can act on."""


class ConfigError(DeskPilotError):
    pass


class WorkspaceError(DeskPilotError):
    pass


class StorageError(DeskPilotError):
    pass


class SchemaTooNewError(StorageError):
    def __init__(self, location: str, found: int, supported: int) -> None:
        super().__init__(
            f"{location}: database schema version {found} is newer than this DeskPilot "
            f"supports ({supported}); upgrade DeskPilot (pip install -U deskpilot) "
            "or open another workspace"
        )
        self.found = found
        self.supported = supported


class SchemaOutdatedError(StorageError):
    """A team database (PostgreSQL) is migrated on purpose, never as a side effect of opening."""

    def __init__(self, location: str, found: int | None, supported: int) -> None:
        state = "has no DeskPilot schema yet" if found is None else f"is at schema version {found}"
        super().__init__(
            f"{location}: the database {state}; this DeskPilot needs version {supported}: "
            "run 'deskpilot migrate' once (one desk), then start the desks"
        )
        self.found = found
        self.supported = supported


class ClaimError(DeskPilotError):
    """Another agent holds the ticket, or this desk's claim on it was taken over."""

    def __init__(self, message: str, ticket_id: str, holder: str | None) -> None:
        super().__init__(message)
        self.ticket_id = ticket_id
        self.holder = holder


class NotFoundError(DeskPilotError):
    pass


class ImportFileError(DeskPilotError):
    """A ticket file that cannot be imported; names the file, the line and the field."""

    def __init__(
        self, path: Path, problem: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if field:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}; nothing was imported")
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem


class SearchCancelled(DeskPilotError):
    """A newer queue search (the agent typed on) replaced this one before it finished."""
