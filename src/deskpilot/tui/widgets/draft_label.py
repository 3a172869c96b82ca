"""The line above the draft: who wrote it, how sure, from which sources, or what is going on
(writing, restored, a macro, discarded, the co-pilot off). The screen assigns ``note``; the
label repaints itself."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Label


class DraftLabel(Label):
    DEFAULT_CSS = """
    DraftLabel { height: auto; max-height: 3; padding: 0 1; background: $panel; }
    """

    note: reactive[Content | str] = reactive("Draft", layout=True)

    def watch_note(self, note: Content | str) -> None:
        self.update(note)
