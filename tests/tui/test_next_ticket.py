"""The view's next ticket opens in the same ticket screen (after a send, a close, or ``N``): the
widgets are given the new ticket instead of a new screen being built on the event loop. Each
test checks that nothing of the ticket shown before stays: its thread, draft, claim, focus,
and the results its workers bring late."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import Label

from deskpilot.desk import Desk
from deskpilot.knowledge import Hit
from deskpilot.models import Author, EditOutcome, Status
from deskpilot.store import QueueFilter
from deskpilot.tui import messages
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.modals import ReasonScreen
from deskpilot.tui.screens.queue import QueueScreen
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.widgets.knowledge_panel import KnowledgePanel
from deskpilot.tui.widgets.thread_view import ThreadView
from deskpilot.tui.widgets.ticket_header import TicketHeader

from .conftest import Held, open_ticket, settle, until, until_modal, with_settings

WORKABLE = frozenset({Status.NEW, Status.OPEN})


def in_line(desk: Desk, skip: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """The ticket "next" hands out: most urgent, oldest, new or open, nobody else's."""
    rows = desk.store.list_queue(QueueFilter(statuses=WORKABLE, free_for="ada"), limit=10)
    return next(r.id for r in rows if r.id not in skip)


def shown_thread(screen: TicketScreen) -> list[str]:
    """The thread's blocks as the agent sees them (their text)."""
    thread = screen.query_one(ThreadView)
    return [str(block.render()) for block in thread.children if block.display]


async def test_each_send_shows_the_next_ticket_in_the_same_screen(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    first = in_line(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, first)
        focused_when_opened = type(screen.focused)
        first_draft = screen.draft_pane.text
        sent = [first]
        for _ in range(2):  # twice: the reused screen sends and moves on again
            await pilot.press("a")
            await settle(app, pilot)
            assert app.screen is screen and len(app.screen_stack) == 3  # default, queue, ticket
            assert screen.ticket_id not in sent
            sent.append(screen.ticket_id)
            ticket = desk.ticket(screen.ticket_id)
            header = str(screen.query_one(TicketHeader).render())
            assert header.startswith(f"{ticket.id} · {ticket.subject}")
            blocks = shown_thread(screen)
            assert len(blocks) == len(ticket.messages)
            assert ticket.messages[-1].body.splitlines()[0] in blocks[-1]
            assert not screen.query_one(ThreadView).has_class("-loading")
            assert screen.draft_pane.text and screen.draft_pane.text != first_draft
            assert screen.draft_pane.edit_id is not None  # the new draft's edit is tracked
            assert type(screen.focused) is focused_when_opened  # as a new screen starts
            assert desk.holds(screen.ticket_id)
    for done in sent[:-1]:
        assert desk.ticket(done).status is Status.PENDING
        assert desk.ticket(done).messages[-1].author is Author.AGENT
        assert not desk.holds(done)  # let go when the reply went


async def test_next_key_keeps_the_unsent_edit_and_lets_the_ticket_go(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    with_settings(desk, "feedback", autosave_seconds=3600)  # kept on leaving, not by the tick
    first = in_line(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, first)
        edit_id = screen.draft_pane.edit_id
        assert edit_id is not None
        screen.draft_pane.editor.insert("PS back tomorrow. ", (0, 0))
        screen.set_focus(None)
        await pilot.press("N")
        await settle(app, pilot)
        assert app.screen is screen and screen.ticket_id != first
        assert not screen.draft_pane.text.startswith("PS back tomorrow. ")
        assert screen.draft_pane.edit_id != edit_id
        assert not desk.holds(first)
        await pilot.press("escape")  # back to the queue, then the first ticket again
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        again = await open_ticket(app, pilot, first)
        assert again.draft_pane.text.startswith("PS back tomorrow. ")  # restored
        assert again.draft_pane.edit_id == edit_id
    assert desk.store.get_edit_event(edit_id).current_text.startswith("PS back tomorrow. ")


async def test_late_results_of_the_ticket_shown_before_are_dropped(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    first = in_line(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, first)
        await pilot.press("a")
        await settle(app, pilot)
        second = screen.ticket_id
        assert second != first
        shown_hits = screen.query_one(KnowledgePanel).hits
        draft, edit_id = screen.draft_pane.text, screen.draft_pane.edit_id
        old = Hit("kb-old", "article", "Of the ticket before", 1.0, "old")
        # What the first ticket's workers would bring after the agent moved on.
        screen.post_message(messages.KnowledgeFound(first, [old]))
        screen.post_message(messages.ReplySent(first, None, "Reply saved"))
        screen.post_message(messages.ActionDone(first, "Ticket solved", advance=True))
        await settle(app, pilot)
        assert app.screen is screen and screen.ticket_id == second  # nothing moved on
        assert screen.query_one(KnowledgePanel).hits == shown_hits
        assert (screen.draft_pane.text, screen.draft_pane.edit_id) == (draft, edit_id)
        assert screen.busy is None


async def test_a_draft_discarded_just_before_moving_on_asks_why_naming_its_ticket(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The question comes up over the next ticket (the discard was stored after ``N``): it says
    which ticket's draft it is about, and the reason goes to that draft's edit."""
    first = in_line(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, first)
        edit_id = screen.draft_pane.edit_id
        assert edit_id is not None
        held = Held(monkeypatch, desk, "end_edit")
        await pilot.press("d")
        await held.wait()  # the discard is being stored
        await pilot.press("N")
        assert await until(pilot, lambda: screen.ticket_id != first and screen.ticket is not None)
        held.release()
        modal = await until_modal(app, pilot, ReasonScreen)
        assert isinstance(modal, ReasonScreen)
        heading = str(modal.query(Label).first().render())
        assert heading.startswith(f"Draft for {first} discarded")
        await pilot.press("1")
        await settle(app, pilot)
        assert app.screen is screen and screen.ticket_id != first
    event = desk.store.get_edit_event(edit_id)
    assert event.outcome is EditOutcome.DISCARDED
    assert event.reason == desk.settings.feedback.reasons[0]
