"""Keys from one table: every binding comes from the key map, every key map action exists on
the screen or widget it is bound on, the view digits remap like any key, and the command
palette opens tickets, switches views and applies macros."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from textual.actions import parse
from textual.binding import Binding
from textual.command import CommandPalette, Hit
from textual.widgets import TextArea

from deskpilot.desk import Desk
from deskpilot.tui import keymap
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.commands import DeskCommands
from deskpilot.tui.screens.queue import QueueScreen
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.widgets.draft_pane import DraftPane
from deskpilot.tui.widgets.queue_table import QueueTable

from .conftest import first_open, settle, until

TARGETS: dict[str, type[Any]] = {
    keymap.GLOBAL: DeskPilotApp,
    keymap.QUEUE: QueueScreen,
    keymap.QUEUE_TABLE: QueueTable,
    keymap.TICKET: TicketScreen,
}


def test_every_key_map_action_exists_on_its_target() -> None:
    assert {a.scope for a in keymap.ACTIONS} == set(TARGETS)
    missing = []
    for action in keymap.ACTIONS:
        _namespace, name, _params = parse(action.action)
        if not callable(getattr(TARGETS[action.scope], f"action_{name}", None)):
            missing.append(f"{action.id}: {TARGETS[action.scope].__name__}.action_{name}")
    assert missing == []


def test_every_binding_comes_from_the_key_map_once() -> None:
    """No screen or widget declares keys of its own beside the table (the queue's movement
    keys were declared twice), and no key means two things in one place."""
    for scope, target in TARGETS.items():
        declared = [b for b in target.BINDINGS if isinstance(b, Binding)]
        assert [(b.id, b.key, b.action) for b in declared] == [
            (a.id, a.key, a.action) for a in keymap.actions_in(scope)
        ], target.__name__
        keys = [k for a in keymap.actions_in(scope) for k in a.key.split(",")]
        assert len(keys) == len(set(keys)), f"a key bound twice in {scope}"
    ids = [a.id for a in keymap.ACTIONS]
    assert len(ids) == len(set(ids))


async def test_view_digits_are_key_actions_and_remap(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    names = list(desk.view_titles())
    desk.settings.tui.keys["view_2"] = "w"
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await pilot.press("3")
        await settle(app, pilot)
        assert screen.view_name == names[2]
        await pilot.press("2")  # remapped: 2 is no longer a view key
        await settle(app, pilot)
        assert screen.view_name == names[2]
        await pilot.press("w")
        await settle(app, pilot)
        assert screen.view_name == names[1]
        await pilot.press("slash", "1")  # typing in the search box keeps its digits
        await settle(app, pilot)
        assert screen.view_name == names[1] and screen.search_text == "1"


async def test_open_in_the_palette_opens_the_ticket_under_the_cursor(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        current = queue.query_one(QueueTable).current
        assert current is not None
        await pilot.press("ctrl+p", *"Open")
        for _ in range(40):  # the palette searches as the agent types
            await pilot.pause(0.05)
            palette = app.screen
            if isinstance(palette, CommandPalette) and palette._list_visible:
                break
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == current.id


async def hits(provider: DeskCommands, query: str) -> list[Hit]:
    return [hit async for hit in provider.search(query)]


async def test_the_palette_jumps_to_a_ticket_by_id_or_subject(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    target = desk.page(desk.view("open"), 5, 1)[0]
    word = max(target.subject.split(), key=len)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        provider = DeskCommands(app.screen)
        by_id = await hits(provider, target.id.lower())
        assert [h.text for h in by_id] == [f"Ticket {target.id}: {target.subject}"]
        by_subject = await hits(provider, word)
        assert f"Ticket {target.id}: {target.subject}" in [h.text for h in by_subject]
        by_id[0].command()
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == target.id
        # From a ticket, jumping leaves it (its claim released) for the other one.
        other = first_open(desk)
        assert other != target.id
        jump = await hits(DeskCommands(app.screen), other)
        jump[0].command()
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == other
        assert len([s for s in app.screen_stack if isinstance(s, TicketScreen)]) == 1


async def test_the_palette_switches_views_and_applies_macros(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    desk.settings.macros["sorted"] = "Hi {first_name},\n\nAll sorted now.\n\n{agent}"
    names = list(desk.view_titles())
    titles = list(desk.view_titles().values())
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        view_hits = await hits(DeskCommands(queue), f"View: {titles[1]}")
        assert view_hits[0].text == f"View: {titles[1]}"
        view_hits[0].command()
        await settle(app, pilot)
        assert queue.view_name == names[1]
        assert not await hits(DeskCommands(queue), "Macro: sorted")  # macros: on a ticket
        app.open_ticket(first_open(desk))
        await settle(app, pilot)
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        macro_hits = await hits(DeskCommands(ticket), "Macro: sorted")
        assert [h.text for h in macro_hits] == ["Macro: sorted"]
        macro_hits[0].command()
        await pilot.pause()
        assert ticket.query_one("#draft", TextArea).text.endswith("All sorted now.\n\nada")
        assert ticket.draft_pane.from_macro


async def test_a_macro_chosen_while_the_draft_is_written_is_not_overwritten(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent picks a macro before the co-pilot has finished: the draft is dropped, the
    macro stays, and CRM and billing still load."""
    desk.settings.macros["sorted"] = "Hi {first_name},\n\nAll sorted now.\n\n{agent}"
    model_done = asyncio.Event()  # the co-pilot is still writing until the test says so
    draft_reply = Desk.draft_reply

    async def slow_draft(self: Desk, *args: Any, **kwargs: Any) -> Any:
        await model_done.wait()
        return await draft_reply(self, *args, **kwargs)

    monkeypatch.setattr(Desk, "draft_reply", slow_draft)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        app.open_ticket(first_open(desk))
        assert await until(
            pilot, lambda: any(pane.drafting for pane in app.screen.query(DraftPane))
        )
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        ticket.apply_macro("sorted")
        model_done.set()
        await settle(app, pilot)
        assert ticket.query_one("#draft", TextArea).text.endswith("All sorted now.\n\nada")
        assert ticket.draft_pane.from_macro and not ticket.draft_pane.drafting
        assert await until(pilot, lambda: ticket.context is not None)
