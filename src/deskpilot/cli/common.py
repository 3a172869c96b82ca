"""What every command module shares: the workspace context, the progress bar, and how outside
text reaches the terminal."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from deskpilot.errors import WorkspaceError
from deskpilot.terminal_text import visible
from deskpilot.workspace import Workspace, default_workspace_dir, demo_workspace_dir


def shown(text: object, *, one_line: bool = False) -> str:
    """Outside text (subjects, names, drafts, connector and model messages, anything a file or
    a request put in the workspace) as a command prints it: every control character and
    direction override as a visible stand-in, so nothing we print can set the terminal's title,
    clear it or reorder what it shows. The stored text stays as received."""
    return visible(str(text), one_line=one_line)


def cell(text: object) -> Text:
    """Outside text for a Rich table cell: shown as written on one line (a ``str`` cell would be
    read as Rich markup, losing ``[urgent]`` and failing on ``[/]``)."""
    return Text(shown(text, one_line=True))


def json_text(data: object, **options: Any) -> str:
    """``data`` as exact JSON for a terminal or a pipe: like ``json.dumps(ensure_ascii=False)``,
    but the characters a terminal would obey that JSON leaves raw (C1 controls, direction
    overrides) are written as ``\\u`` escapes (four hex digits), which decode to the same text."""
    dumped = json.dumps(data, ensure_ascii=False, **options)
    if visible(dumped) == dumped:
        return dumped
    return "".join(
        f"\\u{ord(char):04x}" if char not in "\n\t" and visible(char) != char else char
        for char in dumped
    )


class Context:
    def __init__(self, workspace_dir: Path, *, chosen: bool, theme: str | None = None) -> None:
        self.workspace_dir = workspace_dir
        self.theme = theme
        self.chosen = chosen  # named with --workspace on this command line (not only by env)

    def create_workspace(self) -> Workspace:
        return Workspace.create(self.workspace_dir)

    def existing_workspace(self) -> Workspace:
        """The chosen workspace. A newcomer who ran ``deskpilot demo`` and has no workspace of
        their own gets the demo's (said in one line on stderr), so the README's commands work
        as written; a workspace named with ``--workspace`` or the environment never falls
        back."""
        try:
            return Workspace.existing(self.workspace_dir)
        except WorkspaceError:
            demo = demo_workspace_dir()
            if self.chosen or self.workspace_dir != default_workspace_dir():
                raise
            try:
                found = Workspace.existing(demo)
            except WorkspaceError:
                raise WorkspaceError(
                    f"{self.workspace_dir.expanduser().resolve()}: not a DeskPilot workspace "
                    "(no config.toml or deskpilot.db); create one with 'deskpilot demo' or "
                    "'deskpilot init', or pass --workspace DIR"
                ) from None
            click.echo(
                shown(
                    f"using the demo workspace at {found.root} (no workspace of your own yet: "
                    "'deskpilot init' creates one)",
                    one_line=True,
                ),
                err=True,
            )
            self.workspace_dir = found.root
            return found


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
