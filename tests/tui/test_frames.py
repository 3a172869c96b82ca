"""What one frame paints: a ticket's panels change a frame apart (``tui/pacing.py``), and a screen
covered by an opaque one does not make it repaint. Painting the context, the knowledge and the
draft in one frame took more than a frame on the 100k demo (bench/bench_tui.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from textual.screen import ModalScreen

from deskpilot.desk import Desk
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.pacing import OnePerFrame
from deskpilot.tui.screens.queue import QueueScreen
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.widgets.context_panel import ContextPanel
from deskpilot.tui.widgets.knowledge_panel import KnowledgePanel
from deskpilot.tui.widgets.queue_table import QueueTable

from .conftest import first_open, open_ticket, settle
from .test_live_queue import arriving, wait_for

# --- the pacer on its own ---------------------------------------------------------------------


class Frames:
    """Stands in for a screen: ``paint_frame`` is a frame's time passing and Textual painting
    the frame, after which the callbacks asked for with ``call_after_refresh`` run."""

    def __init__(self) -> None:
        self.timers: list[Callable[[], object]] = []
        self.after_refresh: list[Callable[[], object]] = []

    def set_timer(self, delay: float, callback: Callable[[], object]) -> None:
        assert 0 < delay <= 1 / 30
        self.timers.append(callback)

    def call_after_refresh(self, callback: Callable[[], object]) -> bool:
        self.after_refresh.append(callback)
        return True

    @property
    def waiting_for_a_paint(self) -> int:
        return len(self.timers) + len(self.after_refresh)

    def paint_frame(self) -> None:
        timers, self.timers = self.timers, []
        for timer in timers:
            timer()
        callbacks, self.after_refresh = self.after_refresh, []
        for callback in callbacks:
            callback()


@pytest.fixture
def frames() -> Frames:
    return Frames()


def test_the_first_change_is_made_at_once_the_next_after_the_frame_is_painted(
    frames: Frames,
) -> None:
    pacer = OnePerFrame(frames)  # type: ignore[arg-type]
    made: list[str] = []
    pacer.paint(lambda: made.append("context"))
    pacer.paint(lambda: made.append("knowledge"))
    pacer.paint(lambda: made.append("draft context"))
    assert made == ["context"] and pacer.waiting == 2
    frames.paint_frame()
    assert made == ["context", "knowledge"]
    frames.paint_frame()
    assert made == ["context", "knowledge", "draft context"]
    frames.paint_frame()
    pacer.paint(lambda: made.append("later"))  # nothing in this frame yet: at once
    assert made[-1] == "later" and pacer.waiting == 0


def test_a_frame_taken_elsewhere_makes_the_next_change_wait(frames: Frames) -> None:
    pacer = OnePerFrame(frames)  # type: ignore[arg-type]
    made: list[str] = []
    pacer.take_frame()  # the editor was given the draft in this frame
    pacer.take_frame()  # asked twice, one frame
    pacer.paint(lambda: made.append("draft context"))
    assert made == [] and frames.waiting_for_a_paint == 1
    frames.paint_frame()
    assert made == ["draft context"]


def test_dropped_changes_are_never_made(frames: Frames) -> None:
    pacer = OnePerFrame(frames)  # type: ignore[arg-type]
    made: list[str] = []
    pacer.paint(lambda: made.append("old ticket's context"))
    pacer.paint(lambda: made.append("old ticket's knowledge"))
    pacer.drop()  # the agent moved on to the next ticket
    frames.paint_frame()
    pacer.paint(lambda: made.append("new ticket's header"))
    assert made == ["old ticket's context", "new ticket's header"]


# --- the ticket screen ----------------------------------------------------------------------


async def test_after_a_send_the_next_tickets_panels_change_a_frame_apart(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, first_open(desk))
        context = screen.query_one(ContextPanel)
        knowledge = screen.query_one(KnowledgePanel)

        def shown() -> tuple[str, str, str]:
            return (str(context.render()), str(knowledge.render()), screen.draft_pane.text)

        painted = [shown()]
        paint_frame = screen._compositor_refresh

        def record_frame() -> None:
            paint_frame()
            painted.append(shown())

        screen._compositor_refresh = record_frame  # type: ignore[method-assign]
        first = screen.ticket_id
        await pilot.press("a")
        await settle(app, pilot)
        assert screen.ticket_id != first and screen.draft_pane.text
        changed = [  # per frame: which of context, knowledge and draft it changed
            {part for part, old, new in zip("ckd", before, after, strict=True) if old != new}
            for before, after in itertools.pairwise(painted)
        ]
        assert {"c", "k", "d"} <= set().union(*changed)  # every panel showed the next ticket
        assert all(not {"c", "k"} <= frame for frame in changed), changed
        assert all(not {"c", "d"} <= frame for frame in changed), changed


async def test_the_queue_under_an_open_ticket_does_not_repaint_it(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    """Textual counts the screen under the top one as showing through, opaque or not: the
    queue's reload repainted the whole ticket screen, a frame's work. Under a translucent
    screen, the ticket shows through as before."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        screen = await open_ticket(app, pilot, first_open(desk))
        assert app._background_screens == [] and not queue.is_current
        repaints: list[object] = []
        refresh = screen.refresh

        def counted(*regions: object, **flags: bool) -> None:
            repaints.append(regions)
            refresh(*regions, **flags)  # type: ignore[arg-type]

        screen.refresh = counted  # type: ignore[method-assign,assignment]
        queue.query_one(QueueTable).refresh()
        queue.query_one("#status").refresh(layout=True)
        await settle(app, pilot)
        assert repaints == []

        translucent = ModalScreen[None]()
        translucent.styles.background = "black 50%"  # the desk's dialogs are all opaque
        await app.push_screen(translucent)
        assert app._background_screens == [screen]


async def test_back_on_the_queue_it_shows_what_changed_while_a_ticket_was_open(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    desk.settings.tui.refresh_seconds = 3600  # no tick comes in time: coming back looks
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(QueueTable)
        await open_ticket(app, pilot, first_open(desk))
        submitted = desk.submit_ticket(arriving("Blank page after paying"), source="http")
        await pilot.press("escape")
        await wait_for(app, lambda: table.row(0) is not None)
        await wait_for(app, lambda: table.row(0).id == submitted.ticket_id)  # type: ignore[union-attr]
        assert isinstance(app.screen, QueueScreen)
        assert not isinstance(app.screen, TicketScreen)
