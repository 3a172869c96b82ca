"""The queue shows tickets that arrive while it is open (from ``deskpilot serve``, an import or
another desk), without a restart, and the cursor stays on the ticket the agent was on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from textual.pilot import Pilot

from deskpilot.desk import Desk
from deskpilot.intake.records import TicketRecord
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.queue import QueueScreen
from deskpilot.tui.widgets.queue_table import QueueTable


def arriving(subject: str) -> TicketRecord:
    """Urgent and older than every demo ticket: it sorts to the top of the open view."""
    return TicketRecord.model_validate(
        {
            "subject": subject,
            "body": "The checkout page shows a blank screen after I pay.",
            "customer": {"email": "new.customer@example.com", "name": "Nia Okafor"},
            "channel": "web",
            "priority": "urgent",
            "created_at": "2020-01-01T08:00:00Z",
            "page_context": {"url": "https://shop.example.com/checkout", "errors": ["500"]},
        }
    )


async def wait_for(app: DeskPilotApp, done: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        await app.workers.wait_for_complete()
        if done():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the queue did not change in time")


def screen_text(table: QueueTable) -> str:
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


@asynccontextmanager
async def queue_open(
    make_app: Callable[..., DeskPilotApp],
    desk: Desk,
    refresh_seconds: float,
    size: tuple[int, int] = (120, 30),
) -> AsyncIterator[tuple[DeskPilotApp, Pilot[None], QueueTable]]:
    """The desk running on its queue, loaded; it looks for changes every ``refresh_seconds``
    (0: never)."""
    desk.settings.tui.refresh_seconds = refresh_seconds
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        yield app, pilot, app.screen.query_one(QueueTable)


async def test_an_arriving_ticket_appears_and_the_cursor_stays_on_its_ticket(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    async with queue_open(make_app, desk, 0.1, size=(160, 40)) as (app, pilot, table):
        before = table.total
        await pilot.press("j", "j")
        await pilot.pause()
        agent_on = table.current
        assert agent_on is not None and table.cursor == 2

        # As the intake server does it, on the desk's store, while the queue is open.
        submitted = desk.submit_ticket(arriving("Blank page after paying"), source="http")
        await wait_for(app, lambda: table.total == before + 1 and table.row(0) is not None)
        await pilot.pause()

        top = table.row(0)
        assert top is not None and top.id == submitted.ticket_id
        assert "Blank page after paying" in screen_text(table)
        assert table.current is not None and table.current.id == agent_on.id
        assert table.cursor == 3
        status = str(app.screen.query_one("#status").render())
        assert f"{before + 1:,} tickets" in status


async def test_without_changes_the_queue_is_left_alone(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    async with queue_open(make_app, desk, 0.05) as (app, pilot, table):
        generation = table._generation
        await pilot.pause(0.3)  # several polls
        await app.workers.wait_for_complete()
        assert table._generation == generation  # nothing reloaded, nothing redrawn


async def test_refresh_seconds_0_turns_the_live_queue_off(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    async with queue_open(make_app, desk, 0) as (app, pilot, table):
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        before = table.total
        desk.submit_ticket(arriving("Nobody is watching"), source="http")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        assert table.total == before
        assert screen._watcher is None


def test_the_watcher_reports_each_change_once(desk: Desk) -> None:
    watcher = desk.queue_watcher()
    assert not watcher.changed()
    desk.submit_ticket(arriving("First"), source="http")
    assert watcher.changed()
    assert not watcher.changed()
    ticket_id = desk.queue(limit=1)[0].id
    desk.set_status(ticket_id, desk.ticket(ticket_id).status)  # touched: updated_at moves
    assert watcher.changed()
    watcher.close()


def test_a_duplicate_submission_changes_nothing(desk: Desk) -> None:
    first = desk.submit_ticket(arriving("Twice"), source="http")
    watcher = desk.queue_watcher()
    again = desk.submit_ticket(arriving("Twice"), source="http")
    assert (first.created, again.created) == (True, False)
    assert again.ticket_id == first.ticket_id
    assert not watcher.changed()


async def test_a_reload_keeps_the_rows_on_screen_while_the_new_ones_load(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    async with queue_open(make_app, desk, 0) as (app, pilot, table):
        screen = app.screen
        assert isinstance(screen, QueueScreen) and screen.shown_view is not None
        shown = screen_text(table)
        view = screen.shown_view

        table.reload(lambda offset, limit: desk.page(view, offset, limit), table.total)

        assert screen_text(table) == shown  # the old rows, not placeholders: no flicker
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen_text(table) == shown


async def test_an_arriving_ticket_that_matches_the_search_joins_its_results(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    async with queue_open(make_app, desk, 0.1, size=(160, 40)) as (app, pilot, table):
        await pilot.press("slash", *"zebra")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.total == 0

        submitted = desk.submit_ticket(arriving("Zebra stripes on every chart"), source="http")
        await wait_for(app, lambda: table.total == 1 and table.row(0) is not None)

        row = table.row(0)
        assert row is not None and row.id == submitted.ticket_id


async def test_refresh_lets_the_search_find_tickets_another_desk_added(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    """Searches reuse the tickets' texts from keystroke to keystroke; ctrl+r reads them again
    (with the live queue off, nothing else tells this desk that another one added tickets)."""
    async with queue_open(make_app, desk, 0) as (app, pilot, table):
        await pilot.press("slash", *"zebra")
        await wait_for(app, lambda: app.screen.search_text == "zebra")  # type: ignore[attr-defined]
        await wait_for(app, lambda: table.total == 0)
        with Desk.open(desk.workspace) as other:
            added = other.submit_ticket(arriving("Zebra stripes on every chart"), source="http")
        await pilot.press("escape", "escape", "ctrl+r", "slash", *"zebra")
        await wait_for(app, lambda: table.total == 1)
        assert table.row(0) is not None and table.row(0).id == added.ticket_id  # type: ignore[union-attr]


async def test_a_keystroke_on_stale_texts_shows_at_once_then_the_fresh_results(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    """A keystroke does not wait for the tickets' texts to be read again after a change: it
    searches the older ones, and the search runs again once they are read."""
    async with queue_open(make_app, desk, 0) as (app, pilot, table):
        await pilot.press("slash", *"zebr")
        await wait_for(app, lambda: app.screen.search_text == "zebr")  # type: ignore[attr-defined]
        await wait_for(app, lambda: table.total == 0)
        added = desk.submit_ticket(arriving("Zebra stripes on every chart"), source="http")
        assert desk.search_is_stale()
        await pilot.press("a")
        await wait_for(app, lambda: table.total == 1)
        assert table.row(0) is not None and table.row(0).id == added.ticket_id  # type: ignore[union-attr]
        assert not desk.search_is_stale()
