"""What every command module shares: the workspace context and the progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deskpilot.errors import WorkspaceError
from deskpilot.workspace import Workspace, default_workspace_dir, demo_workspace_dir


class Context:
    def __init__(self, workspace_dir: Path, *, chosen: bool, theme: str | None = None) -> None:
        self.workspace_dir = workspace_dir
        self.theme = theme
        self.chosen = chosen  # named with --workspace on this command line (not only by env)

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

F = TypeVar("F", bound=Callable[..., Any])


def workspace_option(command: F) -> F:
    """``--workspace`` on a subcommand too, so `deskpilot queue -w DIR` works like
    `deskpilot -w DIR queue`."""

    def remember(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
        if value is not None:
            context = ctx.find_object(Context)
            assert context is not None
            context.workspace_dir = value.expanduser()
            context.chosen = True

    return click.option(
        "--workspace",
        "-w",
        type=click.Path(file_okay=False, path_type=Path),
        expose_value=False,
        is_eager=True,
        callback=remember,
        help="Workspace folder (default: DESKPILOT_WORKSPACE, then the per-user data folder).",
    )(command)


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
