"""Snooze and merge by key: ``z`` asks when (the moment previewed as typed, a time that cannot
be read refused), and the ticket leaves the view and comes back marked; a ticket that reads like
the customer's other one says so, and ``M`` merges it there. Each checks the store afterwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from textual.pilot import Pilot
from textual.widgets import Button, Input, Static, TextArea

from deskpilot.desk import Desk
from deskpilot.models import Author, Status
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.queue import QueueScreen
from deskpilot.tui.screens.snooze_merge import MergeScreen, SnoozeScreen
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.widgets.queue_table import SNOOZE_MARK, cells

from .conftest import open_ticket, settle, thread_at_newest, until_modal

DUPLICATE, ORIGINAL = "T-000229", "T-000187"  # the demo customer's repeated billing question


def later(desk: Desk, **delta: float) -> None:
    now = desk.clock() + timedelta(**delta)
    desk.clock = lambda: now


async def test_snooze_key_previews_the_time_and_takes_the_ticket_out_of_the_view(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        ticket_id = screen.ticket_id
        await pilot.press("z")
        modal = await until_modal(app, pilot, SnoozeScreen)
        assert isinstance(modal, SnoozeScreen)
        when = modal.query_one("#when", Input)
        await pilot.press(*"whenever")
        await pilot.pause()
        preview = str(modal.query_one("#when-preview", Static).render())
        assert "cannot read 'whenever' as a time" in preview
        assert modal.query_one("#snooze", Button).disabled
        await pilot.press("enter")  # refused: the dialog stays
        assert app.screen is modal
        when.value = ""
        modal.query_one("#quick-0", Button).press()  # "2h"
        await pilot.pause()
        assert "Comes back Mon 02 Nov 2026 11:00 UTC" in str(
            modal.query_one("#when-preview", Static).render()
        )
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, SnoozeScreen)
    ticket = desk.ticket(ticket_id)
    assert ticket.snoozed_until == desk.clock() + timedelta(hours=2)
    assert [a.action for a in desk.store.list_actions(ticket_id)][-1] == "snooze"
    open_view = desk.view("open")
    assert ticket_id not in {r.id for r in desk.page(open_view, 0, 500)}

    later(desk, hours=3)  # it is back, marked in the queue until someone opens it
    (row,) = [r for r in desk.page(open_view, 0, 500) if r.id == ticket_id]
    subject = cells(row, desk.clock(), desk.settings.sla, "ada")["subject"]
    assert subject.startswith(f"{SNOOZE_MARK} ")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        await open_ticket(app, pilot, ticket_id)
    assert desk.ticket(ticket_id).snoozed_until is None  # opened: the mark is gone


async def test_a_likely_duplicate_is_shown_and_merged_by_key(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    before = len(desk.ticket(ORIGINAL).messages)
    moving = len(desk.ticket(DUPLICATE).messages)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, DUPLICATE)
        title = str(screen.query_one("#title", Static).render())
        assert f"Looks like a duplicate of {ORIGINAL} (solved, 84% alike) · M merges" in title
        await pilot.press("M")
        modal = await until_modal(app, pilot, MergeScreen)
        assert isinstance(modal, MergeScreen)
        assert modal.query_one("#target", Input).value == ORIGINAL  # the best one, prefilled
        modal.query_one("#merge", Button).press()
        await settle(app, pilot)
    source, target = desk.ticket(DUPLICATE), desk.ticket(ORIGINAL)
    assert (source.status, source.merged_into) == (Status.CLOSED, ORIGINAL)
    assert len(target.messages) == before + moving + 1  # the moved thread and the merge note
    assert target.status is Status.OPEN  # the open question lives here now
    assert target.messages[-1].author is Author.NOTE
    assert "merge" in [a.action for a in desk.store.list_actions(ORIGINAL)]
    assert "merge" in [a.action for a in desk.store.list_actions(DUPLICATE)]


async def test_merge_into_a_ticket_that_does_not_exist_says_so_and_moves_nothing(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, DUPLICATE)
        await pilot.press("M")
        modal = await until_modal(app, pilot, MergeScreen)
        assert isinstance(modal, MergeScreen)
        modal.query_one("#target", Input).value = "T-999999"
        modal.query_one("#merge", Button).press()
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == DUPLICATE
    assert desk.ticket(DUPLICATE).merged_into is None
    assert desk.ticket(DUPLICATE).status is Status.OPEN


def test_merge_dialog_offers_the_likely_duplicate(
    snap_compare: Callable[..., bool], make_app: Callable[..., DeskPilotApp]
) -> None:
    async def show(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, DeskPilotApp)
        await open_ticket(app, pilot, DUPLICATE)
        await pilot.press("M")
        await until_modal(app, pilot, MergeScreen)
        for widget in app.screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=show)


def test_ticket_title_says_it_looks_like_a_duplicate(
    snap_compare: Callable[..., bool], make_app: Callable[..., DeskPilotApp]
) -> None:
    async def show(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, DeskPilotApp)
        await open_ticket(app, pilot, DUPLICATE)
        for widget in app.screen.query(TextArea):
            widget.cursor_blink = False
        await settle(app, pilot)
        await thread_at_newest(pilot)

    assert snap_compare(make_app(), terminal_size=(160, 48), run_before=show)
