"""Snooze and merge from the command line: put a ticket out of the views until later, or fold
a customer's duplicate ticket into the one it repeats.

Both go through the desk (audited), as the ticket screen's keys do; a time that cannot be read
or a merge that cannot be made is one line and exit code 2, like every desk error.
"""

from __future__ import annotations

import click

from deskpilot.cli.common import Context, pass_context, shown, workspace_option
from deskpilot.desk import Desk


@click.command()
@workspace_option
@click.argument("ticket_id")
@click.option(
    "--until",
    "when",
    metavar="WHEN",
    help="When it comes back: an ISO time, 30m, 2h, 3d, 'tomorrow 9:00', 'monday'.",
)
@click.option("--wake", is_flag=True, help="Bring a snoozed ticket back now.")
@pass_context
def snooze(context: Context, ticket_id: str, when: str | None, wake: bool) -> None:
    """Take TICKET_ID out of the queue views until WHEN; it comes back marked then, or as soon
    as the customer writes."""
    if wake == (when is not None):
        raise click.UsageError("give either --until WHEN or --wake")
    with Desk.open(context.existing_workspace()) as desk:
        if wake:
            woke = desk.wake(ticket_id)
            click.echo(shown(f"{ticket_id} is back" if woke else f"{ticket_id} was not snoozed"))
            return
        assert when is not None
        until = desk.snooze(ticket_id, when)
    back = f"{until:%a %d %b %Y %H:%M} UTC"
    click.echo(shown(f"{ticket_id} snoozed until {back} (or until the customer writes)"))


@click.command()
@workspace_option
@click.argument("ticket_id")
@click.option("--into", "target", metavar="TICKET_ID", help="The ticket to merge it into.")
@pass_context
def merge(context: Context, ticket_id: str, target: str | None) -> None:
    """Merge TICKET_ID into another ticket of the same customer: its messages move there in
    time order, and TICKET_ID is closed with a note linking to it. Without --into: list the
    likely duplicates of TICKET_ID."""
    with Desk.open(context.existing_workspace()) as desk:
        if target is None:
            found = desk.duplicates(ticket_id)
            if not found:
                click.echo(shown(f"no likely duplicate of {ticket_id}"))
            for duplicate in found:
                click.echo(shown(f"{duplicate.describe()} · {duplicate.subject}", one_line=True))
            return
        result = desk.merge(ticket_id, target)
    plural = "" if result.moved == 1 else "s"
    click.echo(
        shown(
            f"Merged {result.source} into {result.target}: {result.moved} message{plural} "
            f"moved; {result.source} is closed"
        )
    )
