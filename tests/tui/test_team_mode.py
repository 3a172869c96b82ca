"""Team mode in the desk: another agent's tickets are marked in the queue and open read only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from deskpilot.config import Settings
from deskpilot.desk import Desk
from deskpilot.models import Author, Ticket
from deskpilot.store import open_store
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.widgets.queue_table import QueueTable
from deskpilot.workspace import Workspace

from .conftest import settle, until


def claim_as(desk: Desk, agent: str, ticket_id: str) -> None:
    """Another desk (its own connection) claims the ticket at the frozen present."""
    with open_store(desk.workspace.database_url(desk.settings)) as other:
        other.claim(ticket_id, agent, lease=desk.settings.team.lease, now=desk.clock())


async def test_another_agents_ticket_is_marked_and_opens_read_only(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    first, second = (row.id for row in desk.queue(limit=2))
    claim_as(desk, "bo", first)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(QueueTable)
        lines = [table.render_line(y).text for y in range(2)]
        assert "⚑ handled by bo · " in lines[0] and "handled by" not in lines[1]

        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.handled_by == "bo"
        assert "Being handled by bo" in str(screen.query_one("#title", Static).render())
        before = desk.ticket(first).messages
        await pilot.press("a")  # send the draft: refused
        await pilot.press("c")  # close: refused
        await settle(app, pilot)
        assert desk.ticket(first).messages == before
        assert [a.action for a in desk.store.list_actions(first)] == []
        assert any("being handled by bo" in n.message for n in app._notifications)

        await pilot.press("escape")
        app.open_ticket(second)  # a free ticket: claimed, and released on leaving it
        await settle(app, pilot)
        assert desk.holds(second) and desk.handled_by(second) is None
        await pilot.press("a")
        await settle(app, pilot)
        replies = [m for m in desk.ticket(second).messages if m.author is Author.AGENT]
        assert len(replies) == 1 and not desk.holds(second)


async def test_another_desks_claim_and_new_ticket_reach_an_open_queue(
    database_url: str, tmp_path: Path
) -> None:
    """Within a second either way: LISTEN/NOTIFY on PostgreSQL, polling on SQLite."""
    other = open_store(database_url)
    other.add_tickets([Ticket(id=f"L-{n}", subject=f"Live {n}") for n in range(3)])
    desk = Desk(Workspace.create(tmp_path / "ada"), Settings(), open_store(database_url))
    app = DeskPilotApp(desk)
    try:
        async with app.run_test(size=(160, 40)) as pilot:
            table = app.screen.query_one(QueueTable)
            assert await until(pilot, lambda: table.total == 3 and table.row(0) is not None)

            def first_line() -> str:
                return table.render_line(0).text

            other.claim("L-0", "bo", lease=desk.settings.team.lease)
            assert await until(pilot, lambda: "handled by bo" in first_line())
            other.add_tickets([Ticket(id="L-9", subject="Arrived just now")])
            assert await until(pilot, lambda: table.total == 4)
    finally:
        desk.close()
        other.close()
