from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from deskpilot.cli import main
from deskpilot.demo import build_demo
from deskpilot.desk import Desk
from deskpilot.workspace import Workspace


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's workspace, config or endpoint settings."""
    import os

    for variable in list(os.environ):
        if variable.startswith(("DESKPILOT_", "OPENAI_")):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("DESKPILOT_AGENT__NAME", "ada")


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws")


@pytest.fixture
def desk(workspace: Workspace) -> Iterator[Desk]:
    with Desk.open(workspace) as opened:
        yield opened


class Cli:
    """Runs the real command line in-process against one workspace."""

    def __init__(self, workspace_dir: Path) -> None:
        self.workspace_dir = workspace_dir
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(main, ["--workspace", str(self.workspace_dir), *args])


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "ws")


DEMO_NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def frozen_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 300-ticket demo at a fixed present, built once per test run."""
    folder = tmp_path_factory.mktemp("frozen-demo") / "ws"
    with Desk.open(Workspace.create(folder)) as desk:
        build_demo(desk, tickets=300, seed=7, now=DEMO_NOW)
    return folder


@pytest.fixture
def demo_desk(frozen_demo: Path, tmp_path: Path) -> Iterator[Desk]:
    """A private copy of the frozen demo, so a test's actions never leak into another's."""
    copy = tmp_path / "demo-ws"
    shutil.copytree(frozen_demo, copy)
    with Desk.open(Workspace.existing(copy)) as opened:
        opened.clock = lambda: DEMO_NOW
        yield opened
