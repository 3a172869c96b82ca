"""What an agent sees: every screen and dialog, in both themes, small and large terminals.

Update after an intended change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from deskpilot.desk import Desk
from deskpilot.tui.app import DeskPilotApp

from .conftest import settle, thread_at_newest

THEMES = ("deskpilot-dark", "deskpilot-light")
SIZES = ((80, 24), (160, 48))

# name -> keys pressed after the queue has loaded
SCREENS = {
    "queue": (),
    "ticket": ("enter",),
    "note": ("enter", "n"),
    "intent": ("enter", "t"),
    "escalate": ("enter", "x"),
    "filter": ("F",),
    "help": ("question_mark",),
    "refund": ("enter", "f"),
    "bug": ("enter", "b"),
    "reset-password": ("enter", "p"),
    "read-sources": ("enter", "o"),
    "stats": ("ctrl+t",),
    "account-setting": ("enter", "u"),
    "status": ("enter", "s"),
    "assign": ("A",),
    "close-confirm": ("enter", "c"),
    "snooze": ("enter", "z"),
    "merge": ("enter", "M"),
}
# Dialogs that an action's worker waits on: wait for the dialog, not for the worker.
AWAITED_DIALOGS = {"refund", "bug", "reset-password", "account-setting", "status"}


async def steady(pilot: Pilot[None]) -> None:
    app = pilot.app
    await settle(app, pilot)  # the workers, and the ticket's panels painted a frame apart
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for widget in app.screen.query(TextArea):
        widget.cursor_blink = False


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., DeskPilotApp],
    desk: Desk,
    screen: str,
    size: tuple[int, int],
    theme: str,
) -> None:
    async def show(pilot: Pilot[None]) -> None:
        await steady(pilot)
        keys = SCREENS[screen]
        for key in keys[:-1] if screen in AWAITED_DIALOGS else keys:
            await pilot.press(key)
            await steady(pilot)
        if screen in AWAITED_DIALOGS:
            before = pilot.app.screen
            await pilot.press(keys[-1])
            for _ in range(50):
                if pilot.app.screen is not before:
                    break
                await pilot.pause(0.05)
            await pilot.pause(0.2)
        await thread_at_newest(pilot)

    assert snap_compare(make_app(theme), terminal_size=size, run_before=show)
