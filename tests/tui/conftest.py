"""TUI tests run on the frozen demo workspace (tests/conftest.py): same tickets, same clock.

The Pilot helpers every TUI test shares live here (import them with ``from .conftest import``):
waiting until workers and messages settle, opening a ticket, waiting for a dialog or a
condition, confirming an action; and the demo's tickets and settings tests pick from.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from deskpilot.desk import Desk
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.action_modals import ConfirmScreen
from deskpilot.tui.screens.help import HelpScreen
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.widgets.thread_view import ThreadView


@pytest.fixture
def desk(demo_desk: Desk) -> Desk:
    return demo_desk


@pytest.fixture
def make_app(desk: Desk) -> Callable[..., DeskPilotApp]:
    def make(theme: str = "deskpilot-dark") -> DeskPilotApp:
        return DeskPilotApp(desk, theme=theme)

    return make


# --- Pilot helpers ----------------------------------------------------------------------------


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    """Until the workers are done, the messages they posted are handled and the ticket's panels
    painted (a frame apart: ``tui/pacing.py``). A worker's result may start another worker (the
    ticket's load starts the draft, whose result starts the edit's tracking...): at least three
    rounds, then more while a handled message started one."""
    for round in range(8):
        # A worker the desk cancelled (a draft the agent replaced) is done too.
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(100):
            if not any(isinstance(s, TicketScreen) and s.painting for s in app.screen_stack):
                break
            await pilot.pause(0.01)
        if round >= 2 and all(worker.is_finished for worker in app.workers):
            return


async def thread_at_newest(pilot: Pilot[Any]) -> None:
    """Until every thread on the screen stack shows its newest message. The thread scrolls to
    its end after its messages are mounted and laid out, a refresh or two after the worker that
    brought them, so a snapshot taken on a busy machine could catch it still at the top."""

    def at_newest() -> bool:
        threads = [
            thread for screen in pilot.app.screen_stack for thread in screen.query(ThreadView)
        ]
        return all(thread.scroll_y >= thread.max_scroll_y for thread in threads)

    assert await until(pilot, at_newest), "a thread did not stay on its newest message"
    await pilot.pause()


async def open_ticket(app: DeskPilotApp, pilot: Pilot[Any], ticket_id: str) -> TicketScreen:
    app.open_ticket(ticket_id)
    await settle(app, pilot)
    assert isinstance(app.screen, TicketScreen)
    return app.screen


async def until_modal(app: DeskPilotApp, pilot: Pilot[Any], kind: type) -> object:
    """The action's worker waits on the dialog, so wait for the dialog, not the worker."""
    for _ in range(50):
        if isinstance(app.screen, kind):
            return app.screen
        await pilot.pause(0.05)
    raise AssertionError(f"no {kind.__name__} appeared; on {app.screen!r}")


async def until(pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Look every 50 ms, for what no worker of this app brings (another desk's change)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


async def confirm_on_ticket(app: DeskPilotApp, desk: Desk, ticket_id: str, key: str) -> list[str]:
    """Open the ticket, press ``key``, confirm; the demo connector's outbox afterwards."""
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press(key)
        await until_modal(app, pilot, ConfirmScreen)
        await pilot.press("enter")
        await settle(app, pilot)
    return (desk.workspace.records_dir / "outbox.jsonl").read_text().splitlines()


class Held:
    """A desk or store call made to wait on a gate the test holds, to prove it runs in a worker:
    while it waits the desk still answers keys. Called on the event loop instead, it does not
    wait (that would freeze the test too) but says so: ``on_loop``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        self.entered, self.gate = threading.Event(), threading.Event()
        self.on_loop = False
        self.calls = 0
        real = getattr(owner, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if threading.current_thread() is threading.main_thread():
                self.on_loop = True
            else:
                self.entered.set()
                self.gate.wait(timeout=30)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, held)

    async def wait(self) -> None:
        """Until a worker is inside the call (or it ran on the loop: a failure)."""
        await asyncio.to_thread(self.entered.wait, 10)
        assert not self.on_loop, "the call ran on the event loop"
        assert self.entered.is_set(), "the call was never made"

    def release(self) -> None:
        self.gate.set()


async def keys_answered(app: App[Any], pilot: Pilot[Any]) -> bool:
    """The help opens on ``?`` and closes again: the event loop is free to handle keys."""
    before = app.screen
    await pilot.press("question_mark")
    opened = isinstance(app.screen, HelpScreen)
    await pilot.press("escape")
    return opened and app.screen is before


async def held_while_keys_answer(
    pilot: Pilot[Any],
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    name: str,
    trigger: Callable[[], object],
) -> Held:
    """Hold ``owner.name`` on a gate (``Held``), do what calls it (``trigger``: a key, a button,
    a method; a coroutine it returns is awaited), wait until a worker is inside the call and
    check that the desk answers keys meanwhile. The call is still held on return: the test
    asserts what must not have happened yet, then lets it go with ``release()``."""
    held = Held(monkeypatch, owner, name)
    started = trigger()
    if inspect.isawaitable(started):
        await started
    await held.wait()
    assert await keys_answered(pilot.app, pilot), "no key was answered while the call was held"
    return held


# --- the demo's tickets and settings ----------------------------------------------------------


def first_open(desk: Desk) -> str:
    return desk.page(desk.view("open"), 0, 1)[0].id


def ticket_of_intent(desk: Desk, intent: str) -> str:
    return next(r.id for r in desk.queue(limit=None) if r.intent == intent)


def with_settings(desk: Desk, section: str, **changes: object) -> None:
    updated = getattr(desk.settings, section).model_copy(update=changes)
    desk.settings = desk.settings.model_copy(update={section: updated})
