"""``deskpilot plugins``: which connector plugins are installed, and whether one works."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from deskpilot.cli.common import Context, cell, pass_context, shown, workspace_option
from deskpilot.connectors import ConnectorInfo, ConnectorRegistry
from deskpilot.connectors.capabilities import CAPABILITIES
from deskpilot.connectors.registry import CHECK_TIMEOUT_SECONDS
from deskpilot.workspace import Workspace


@click.group()
def plugins() -> None:
    """Connector plugins: CRM, billing, bug tracker, identity, chat, ticket source, orders."""


@plugins.command("list")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_context
def plugins_list(context: Context, as_json: bool) -> None:
    """List installed and local connectors: capabilities, source, configured, load errors.

    Loads each plugin to read its capabilities; a broken one is listed with its error.
    """
    rows = _registry(context).available()
    if as_json:
        click.echo(json.dumps([row.to_json() for row in rows], indent=2))
        return
    _print_rows(rows)


def _print_rows(rows: list[ConnectorInfo]) -> None:
    if not rows:
        click.echo("no connectors installed")
        return
    table = Table(box=None, header_style="bold")
    for column in ("name", "capabilities", "source", "configured", "status"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            cell(row.name),
            ", ".join(row.capabilities) or "-",
            cell(f"{row.source} {row.version}".strip()),
            "yes" if row.configured else "default (demo)" if row.default else "no",
            "broken" if row.error else f"clash: {row.clash_text()}" if row.clashes else "ok",
        )
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    for row in rows:
        if row.error:
            click.echo(shown(f"{row.name}: {row.error}", one_line=True), err=True)
    said: set[str] = set()
    for row in rows:
        for capability, others in row.clashes:
            if capability not in said:
                said.add(capability)
                names = " and ".join(sorted([row.name, *others]))
                click.echo(
                    shown(
                        f"{names} both serve '{capability}', so neither does: choose one with "
                        "capabilities = [...] in their [connectors.*] tables",
                        one_line=True,
                    ),
                    err=True,
                )


@plugins.command("check")
@workspace_option
@click.argument("name")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=CHECK_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds to wait for the connector's check.",
)
@pass_context
def plugins_check(context: Context, name: str, timeout: float) -> None:
    """Check connector NAME: its config is valid and the system behind it answers."""
    registry = _registry(context)
    said = asyncio.run(_check(registry, name, timeout))
    click.echo(shown(f"ok: {name}: {said}"))  # what the connector's system answered


@plugins.command("new")
@click.argument("name")
@click.option(
    "--capability",
    "capabilities",
    type=click.Choice(list(CAPABILITIES)),
    multiple=True,
    required=True,
    help="A capability the connector serves; repeat for several.",
)
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to create the plugin's folder.",
)
def plugins_new(name: str, capabilities: tuple[str, ...], directory: Path) -> None:
    """Create plugin NAME: a package that installs and passes its contract tests as generated.

    NAME is the connector's name ([connectors.NAME] in config.toml); the folder is
    deskpilot-NAME, with the package, the entry point, a config model with its secret, a
    connector for each --capability, contract tests against a recorded local server and a
    README saying what to change.
    """
    from deskpilot.connectors.scaffold import scaffold_plugin  # only this command needs it

    root = scaffold_plugin(name, list(capabilities), directory)
    click.echo(shown(f"created {root}"))
    click.echo(shown(f'next: pip install -e "{root}[test]" && pytest {root}'))


async def _check(registry: ConnectorRegistry, name: str, timeout: float) -> str:
    try:
        return await registry.check(name, timeout)
    finally:
        await registry.aclose()


def _registry(context: Context) -> ConnectorRegistry:
    # Listing works before a workspace exists (only installed plugins then); nothing is created.
    workspace = Workspace(context.workspace_dir.expanduser().resolve())
    return ConnectorRegistry(workspace.settings(), workspace)
