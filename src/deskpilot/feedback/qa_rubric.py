"""The QA rubric's shape, shared by the two scorers: its criteria, the points each is worth, and
the error a model scorer raises.

The local scorer (``qa.py``) and the model scorer (``qa_model.py``) both score over it; keeping
it here lets the model scorer use it without importing the local scorer, which in turn names the
model scorer, so the two never import each other.
"""

from __future__ import annotations

from deskpilot.errors import DeskPilotError

CRITERIA = ("answered", "accuracy", "tone", "policy", "resolution")
FULL = 20  # points per criterion; five criteria make 100


class QaModelError(DeskPilotError):
    """The model gave no usable score; names the endpoint (never the key) and what happened.
    ``unreachable``: the endpoint did not answer at all (asking again this run is pointless)."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable
