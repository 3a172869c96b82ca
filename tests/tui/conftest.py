"""A frozen demo workspace for TUI tests: same tickets, same clock, every run."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deskpilot.demo import build_demo
from deskpilot.desk import Desk
from deskpilot.tui.app import DeskPilotApp
from deskpilot.workspace import Workspace

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def frozen_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tui-demo") / "ws"
    workspace = Workspace.create(folder)
    with Desk.open(workspace) as desk:
        build_demo(desk, tickets=300, seed=7, now=NOW)
    return folder


@pytest.fixture
def desk(frozen_demo: Path, tmp_path: Path) -> Iterator[Desk]:
    """A private copy of the demo, so a test's actions never leak into another's."""
    copy = tmp_path / "ws"
    shutil.copytree(frozen_demo, copy)
    with Desk.open(Workspace.existing(copy)) as opened:
        opened.clock = lambda: NOW
        yield opened


@pytest.fixture
def make_app(desk: Desk) -> Callable[..., DeskPilotApp]:
    def make(theme: str = "deskpilot-dark") -> DeskPilotApp:
        return DeskPilotApp(desk, theme=theme)

    return make
