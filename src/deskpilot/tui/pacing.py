"""Changes to a screen's panels, one per frame.

Textual lays out and paints everything that changed since the last frame in one go on the event
loop. When a ticket's results arrive together (the draft, the connectors' context, the knowledge
found), painting them in one frame took 17-25 ms on the 100k demo: more than a frame, and keys
wait that long. Each change painted in a frame of its own costs 5-12 ms, and the whole ticket
is on screen a frame or two later.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.message_pump import MessagePump


FRAME_SECONDS = 1 / 60


class OnePerFrame:
    """Runs changes to a screen a frame apart: the first at once, each next one once the frame
    with the one before it is painted."""

    def __init__(self, screen: MessagePump) -> None:
        self._screen = screen
        self._waiting: deque[Callable[[], object]] = deque()
        self._frame_taken = False  # something changed since the last frame was painted

    def paint(self, change: Callable[[], object]) -> None:
        """Make ``change`` now, or in the next frame when this one has a change already."""
        if self._frame_taken:
            self._waiting.append(change)
            return
        self.take_frame()
        change()

    def take_frame(self) -> None:
        """Something else changed the screen in this frame (the editor was given the draft):
        the next change waits for it to be painted."""
        if not self._frame_taken:
            self._frame_taken = True
            # The widgets changed tell the screen so in messages of their own, handled in their
            # own time: waiting for the next refresh at once sometimes ran the next change
            # before the screen knew of this one, and both were painted in one frame. A frame's
            # time later it knows; the next change then waits for that paint.
            self._screen.set_timer(FRAME_SECONDS, self._wait_for_paint)

    def _wait_for_paint(self) -> None:
        self._screen.call_after_refresh(self._painted)

    def drop(self) -> None:
        """Forget the changes waiting (they were for the ticket shown before)."""
        self._waiting.clear()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def painting(self) -> bool:
        """A change is waiting for its frame, or its frame for the paint."""
        return self._frame_taken or bool(self._waiting)

    def _painted(self) -> None:
        self._frame_taken = False
        if self._waiting:
            self.paint(self._waiting.popleft())
