"""The thread shows each message's channel and each reply's way out (``✓ sent``, ``… queued``,
``✗ failed: reason``, R to retry); the queue marks tickets with an unread customer message,
and opening one marks it read."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from textual.widgets import Static, TextArea

from deskpilot.desk import Desk
from deskpilot.models import Author
from deskpilot.store import schema
from deskpilot.store.channels import DeliveryState
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.widgets.queue_table import UNREAD_MARK, cells

from .conftest import first_open, open_ticket, settle, with_settings


def thread_text(screen: TicketScreen) -> list[str]:
    return [str(block.content) for block in screen.query("#thread Static").results(Static)]


async def send_draft(app: DeskPilotApp, pilot: object) -> None:
    await pilot.press("a")  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def test_a_sent_reply_goes_out_through_the_demo_channel_and_shows_sent(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = first_open(desk)
    with_settings(desk, "tui", after_send="stay")  # the agent watches the reply go
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        draft = screen.query_one("#draft", TextArea).text
        await send_draft(app, pilot)
        blocks = thread_text(screen)
    channel = desk.ticket(ticket_id).channel.value
    assert blocks[0].splitlines()[0].endswith(f" · {channel}")  # who · when · channel
    assert blocks[-1].splitlines()[-1] == "✓ sent via demo"
    (entry,) = desk.channels.entries(ticket_id=ticket_id)
    assert entry.state is DeliveryState.SENT and entry.reply.body == draft.strip()
    sent = [row for row in desk.connectors.connector("demo").records.outbox()]  # type: ignore[attr-defined]
    assert [row["message_id"] for row in sent] == [entry.message_id]


async def test_a_reply_that_cannot_go_yet_shows_queued_and_a_failed_one_retries(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = first_open(desk)
    with_settings(desk, "tui", after_send="stay")  # the agent watches the reply go
    # The ticket lives in a channel this workspace has no connector for (yet).
    with desk.store.writing() as connection:
        connection.execute(
            schema.tickets.update().where(schema.tickets.c.id == ticket_id).values(source="inbox")
        )
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        await send_draft(app, pilot)
        last = thread_text(screen)[-1].splitlines()[-1]
        assert last.startswith("… queued via inbox, try 2 at ")
        assert "no connector named 'inbox'" in last

        # It fails for good; the agent points the ticket back at the demo and retries.
        (entry,) = desk.channels.entries(ticket_id=ticket_id)
        desk.clock = lambda: entry.next_try  # type: ignore[assignment, return-value]
        (claimed,) = desk.channels.claim_due(entry.next_try, desk.settings.channels.lease)  # type: ignore[arg-type]
        desk.channels.mark_failed(claimed, "mailbox full", claimed.next_try)  # type: ignore[arg-type]
        with desk.store.writing() as connection:
            connection.execute(sa.update(schema.outbox).values(connector="demo"))
        screen.reload()
        await settle(app, pilot)
        assert thread_text(screen)[-1].splitlines()[-1] == "✗ failed: mailbox full · R retries"
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert thread_text(screen)[-1].splitlines()[-1] == "✓ sent via demo"
    assert "retry_reply" in [a.action for a in desk.store.list_actions(ticket_id)]


async def test_the_queue_marks_a_follow_up_unread_until_the_ticket_is_opened(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    report = await desk.channel_sync().sync("demo", desk.ticket_sources()["demo"])
    (ticket_id,) = report.reopened
    (row,) = [t for t in desk.queue(limit=None) if t.id == ticket_id]
    assert row.unread
    subject = cells(row, desk.clock(), desk.settings.sla, "ada")["subject"]
    assert subject.startswith(f"{UNREAD_MARK} ")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        assert thread_text(screen)[-1].splitlines()[-1].startswith("Thanks for getting back")
        assert desk.ticket(ticket_id).messages[-1].author is Author.CUSTOMER
    (row,) = [t for t in desk.queue(limit=None) if t.id == ticket_id]
    assert not row.unread
    assert not cells(row, desk.clock(), desk.settings.sla, "ada")["subject"].startswith(UNREAD_MARK)
