"""TUI tests run on the frozen demo workspace (tests/conftest.py): same tickets, same clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from deskpilot.desk import Desk
from deskpilot.tui.app import DeskPilotApp


@pytest.fixture
def desk(demo_desk: Desk) -> Desk:
    return demo_desk


@pytest.fixture
def make_app(desk: Desk) -> Callable[..., DeskPilotApp]:
    def make(theme: str = "deskpilot-dark") -> DeskPilotApp:
        return DeskPilotApp(desk, theme=theme)

    return make
