"""What every command module shares: the workspace context and the progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deskpilot.errors import WorkspaceError
from deskpilot.workspace import Workspace, default_workspace_dir, demo_workspace_dir


class Context:
    def __init__(self, workspace_dir: Path) -> None:
        self.workspace_dir = workspace_dir

    def create_workspace(self) -> Workspace:
        return Workspace.create(self.workspace_dir)

    def existing_workspace(self) -> Workspace:
        try:
            return Workspace.existing(self.workspace_dir)
        except WorkspaceError as error:
            demo = demo_workspace_dir()
            if self.workspace_dir == default_workspace_dir() and demo.exists():
                raise WorkspaceError(f"{error}; the demo workspace is --workspace {demo}") from None
            raise


pass_context = click.make_pass_decorator(Context)


Report = Callable[[int, int, str], None]


@contextmanager
def progress_bar(title: str) -> Iterator[Report]:
    """A progress bar on stderr when it is a terminal; silent otherwise (pipes, tests)."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _done, _total, _stage: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(title, total=None)

        def report(done: int, total: int, stage: str) -> None:
            label = f"{title}: {stage}" if stage else title
            bar.update(task, completed=done, total=total, description=label)

        yield report
