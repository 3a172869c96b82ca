"""The autosave ordering of the draft editor: the newest text always wins.

The TUI asks for an autosave every second on its UI thread and writes it on a worker thread
(``Desk.autosave_edit``), so a slow write can finish after a newer one. This object, not the
screen, decides what is written: unit-tested headless in ``tests/test_policy.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from deskpilot.errors import DeskPilotError


@dataclass(frozen=True)
class Autosave:
    """One autosave asked for: the editor's text at that moment, numbered in asking order."""

    edit_id: str
    text: str
    keystrokes: int
    number: int


class Autosaver:
    """The autosave ordering of one editor: saves are asked for on the UI thread and written
    on others, so a slow write can finish after a newer one; the newest written text always
    wins (an older one arriving late is dropped), an unchanged text is not saved again, and a
    failed write is retried at the next tick. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._asked = 0  # autosaves asked for, in order
        self._written = 0  # the newest one written
        self._last_text = ""  # the text last asked for (or shown): unchanged means no save

    def shown(self, text: str) -> None:
        """The editor now shows ``text`` (a fresh draft, a restored edit): nothing to save
        until the agent changes it."""
        self._last_text = text

    def ask(self, edit_id: str, text: str, keystrokes: int) -> Autosave | None:
        """An autosave of ``text``, or None when it is what was last asked for."""
        with self._lock:
            if text == self._last_text:
                return None
            self._last_text = text
            self._asked += 1
            return Autosave(edit_id, text, keystrokes, self._asked)

    def write(self, save: Autosave, write: Callable[[str, str, int], None]) -> str | None:
        """Write one autosave through ``write(edit_id, text, keystrokes)`` unless a newer one is
        already written; returns the problem (a DeskPilotError's message), if any, after which
        the same text is saved again at the next ask."""
        with self._lock:
            if save.number <= self._written:
                return None  # a later state was written first: never go back to an older one
            try:
                write(save.edit_id, save.text, save.keystrokes)
            except DeskPilotError as error:
                if self._last_text == save.text:
                    self._last_text = ""  # try again at the next tick
                return str(error)
            self._written = save.number
            return None
