"""The queue, driven by keys as an agent drives it; the store is checked afterwards."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from deskpilot.desk import Desk
from deskpilot.queue import search as queue_search
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.queue import QueueScreen
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.widgets.queue_table import QueueTable

from .conftest import settle


async def test_queue_lists_the_open_view_and_opens_the_highlighted_ticket(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.pause()
        table = app.screen.query_one(QueueTable)
        expected = desk.page(desk.view("open"), 0, 5)
        assert table.total == desk.count(desk.view("open"))
        assert table.current is not None and table.current.id == expected[0].id
        await pilot.press("j", "j", "k")
        assert table.cursor == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == expected[1].id
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


async def test_views_sort_and_search(make_app: Callable[..., DeskPilotApp], desk: Desk) -> None:
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one(QueueTable)

        await pilot.press("5")  # the escalated view
        await settle(app, pilot)
        assert screen.view_name == "escalated"
        assert table.total == desk.count(desk.view("escalated")) > 0

        await pilot.press("1", "s")  # sort by the next column: age
        await settle(app, pilot)
        await pilot.pause()
        assert screen.base_view is not None and screen.base_view.sort == "age"
        ages = [table.row(i).created_at for i in range(min(5, table.total))]  # type: ignore[union-attr]
        assert ages == sorted(ages)
        await pilot.press("S")
        await settle(app, pilot)
        await pilot.pause()
        assert screen.base_view.descending

        await pilot.press("slash", *"locked")
        await settle(app, pilot)
        await pilot.pause()
        found = table.total
        assert 0 < found < desk.count(desk.view("open"))
        await pilot.press("enter", "escape")  # leave the search box, then clear the search
        await settle(app, pilot)
        assert table.total == desk.count(desk.view("open"))


async def test_filter_dialog_narrows_by_intent(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    from textual.widgets import Select

    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        queue = app.screen
        await pilot.press("F")
        await pilot.pause()
        app.screen.query_one("#intent", Select).value = "bug_report"
        await pilot.click("#apply")
        await settle(app, pilot)
        await pilot.pause()
        table = queue.query_one(QueueTable)
        bugs = desk.count(desk.view("open").filtered(intent="bug_report"))
        assert table.total == bugs > 0
        assert all(table.row(i).intent == "bug_report" for i in range(min(bugs, 10)))  # type: ignore[union-attr]


async def test_help_lists_every_key(make_app: Callable[..., DeskPilotApp]) -> None:
    from textual.widgets import Markdown

    from deskpilot.tui import keymap

    app = make_app()
    async with app.run_test(size=(100, 50)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = app.screen.query_one(Markdown).source
        for action in keymap.ACTIONS:
            assert action.description in text


async def wait_until(pilot: object, condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.01)  # type: ignore[attr-defined]
    raise AssertionError("the queue never got there")


async def test_search_shows_exact_matches_first_and_a_cleared_search_shows_nothing_late(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = desk.view("open")
    exact = desk.count(desk.search("pasword", view, typos=False))
    complete = desk.count(desk.search("pasword", view))
    assert complete > exact  # "password" is a near-miss of the typo
    scoring = threading.Event()  # the typo pass waits for it, as a slow one would
    near_misses = queue_search._near_misses

    def slow(*args: Any) -> list[int]:
        assert scoring.wait(10)
        return near_misses(*args)

    monkeypatch.setattr(queue_search, "_near_misses", slow)
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(QueueTable)
        await pilot.press("slash", *"pasword")
        await wait_until(pilot, lambda: app.screen.search_text == "pasword")  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: table.total == exact)
        scoring.set()  # the near-misses join the exact matches
        await wait_until(pilot, lambda: table.total == complete)

        scoring.clear()
        await pilot.press("backspace", "d")  # the same search again, its typo pass held
        await wait_until(pilot, lambda: table.total == exact)
        await pilot.press("escape")  # cleared while the typo pass runs
        await wait_until(pilot, lambda: table.total == desk.count(view))
        scoring.set()
        await pilot.pause(0.3)
        assert table.total == desk.count(view)  # the cancelled search showed nothing late


async def test_rows_follow_the_focus_and_the_theme(
    make_app: Callable[..., DeskPilotApp],
) -> None:
    """The rows' styles are worked out once, not per line: a change of focus or theme must
    still show in the cursor's row."""
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(QueueTable)

        def cursor_row_style() -> object:
            return table.render_line(table.cursor - table.scroll_offset.y)._segments[0].style

        focused = cursor_row_style()
        assert focused == table.rich_style + table.get_component_rich_style("queue-table--cursor")
        await pilot.press("slash")  # the search box takes the focus
        await pilot.pause()
        assert not table.has_focus
        unfocused = cursor_row_style()
        assert unfocused != focused
        assert unfocused == table.rich_style + table.get_component_rich_style("queue-table--cursor")
        app.theme = "deskpilot-light"
        await pilot.pause()
        assert cursor_row_style() not in (focused, unfocused)
        assert cursor_row_style() == table.rich_style + table.get_component_rich_style(
            "queue-table--cursor"
        )


async def test_a_search_shows_the_rows_in_view_first_and_the_rest_as_the_agent_scrolls(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    found = desk.search("e", desk.view("open"), typos=False)
    expected = [row.id for row in desk.page(found, 0, 1000)]
    assert len(expected) > 100  # more than a page (PAGE) of tickets
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(QueueTable)
        await pilot.press("slash", "e", "enter")  # search, then back to the table
        await settle(app, pilot)
        assert table.total == desk.count(found)
        height = table.size.height
        assert [table.row(i).id for i in range(height)] == expected[:height]  # type: ignore[union-attr]
        for _ in range(3):  # past the first page: its other rows load, then the next page's
            await pilot.press("pagedown")
            await settle(app, pilot)
        await pilot.press("pagedown", "pagedown")
        await settle(app, pilot)
        assert table.cursor == len(expected) - 1
        shown = [table.row(i) for i in range(len(expected))]
        assert [row.id if row else None for row in shown] == expected


async def test_a_search_longer_than_its_box_scrolls_to_the_cursor(
    make_app: Callable[..., DeskPilotApp],
) -> None:
    """The search box repaints without a layout pass as its text grows: it still scrolls."""
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        search = app.screen.query_one("#search", Input)
        await pilot.press("slash", *("ab" * 60))
        await pilot.pause()
        assert search.value == "ab" * 60
        assert search.scroll_offset.x > 0  # the cursor, at the end, is in view
        assert search.virtual_size.width == len(search.value) + 1


async def test_opening_the_search_box_reads_the_tickets_texts_before_the_first_keystroke(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[object] = []
    read_corpus = desk.store.search_corpus

    def counted(where: object = None) -> list[tuple[str, str]]:
        reads.append(where)
        return read_corpus(where)  # type: ignore[arg-type]

    monkeypatch.setattr(desk.store, "search_corpus", counted)
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        assert reads == []
        await pilot.press("slash")
        await settle(app, pilot)
        assert len(reads) == 1  # read with nothing typed yet
        await pilot.press(*"locked")
        await settle(app, pilot)
        assert len(reads) == 1  # the keystrokes found it read
        assert 0 < app.screen.query_one(QueueTable).total < desk.count(desk.view("open"))
