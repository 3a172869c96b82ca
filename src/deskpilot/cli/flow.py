"""Who owns a ticket, from the command line: assign one, or be handed the next one.

Both go through the desk (its audit trail records who gave whom what), as the TUI's keys do.
"""

from __future__ import annotations

import click

from deskpilot.cli.common import Context, json_text, pass_context, shown, workspace_option
from deskpilot.desk import Desk
from deskpilot.models import Ticket


@click.command()
@workspace_option
@click.argument("ticket_id")
@click.argument("agent")
@pass_context
def assign(context: Context, ticket_id: str, agent: str) -> None:
    """Give TICKET_ID to AGENT ('me': you)."""
    with Desk.open(context.existing_workspace()) as desk:
        who = desk.assign(ticket_id, agent)
        mine = who == desk.agent
    click.echo(shown(f"{ticket_id} is assigned to {who}" + (" (you)" if mine else "")))


@click.command("next")
@workspace_option
@click.option(
    "--view", "view_name", help="A saved queue view ([views]); default: [tui] default_view."
)
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@pass_context
def next_ticket(context: Context, view_name: str | None, as_json: bool) -> None:
    """Take the next ticket: the most urgent, oldest one in the view that waits for an agent
    and nobody else owns or has open. It is assigned to you."""
    with Desk.open(context.existing_workspace()) as desk:
        view = desk.view(view_name or desk.settings.tui.default_view)
        ticket = desk.next_ticket(view)
    if ticket is None:
        if as_json:
            click.echo("null")
        else:
            click.echo(shown(f"no ticket in view '{view.name}' is waiting for an agent"))
        return
    if as_json:
        click.echo(json_text(_ticket_json(ticket), indent=2))
        return
    click.echo(
        shown(
            f"{ticket.id} · {ticket.priority.value} · {ticket.intent or '-'} · {ticket.subject}",
            one_line=True,
        )
    )
    click.echo(f"assigned to {ticket.assignee}; draft a reply: deskpilot draft {ticket.id}")


def _ticket_json(ticket: Ticket) -> dict[str, object]:
    customer = ticket.customer
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "intent": ticket.intent,
        "assignee": ticket.assignee,
        "channel": ticket.channel.value,
        "created_at": ticket.created_at.isoformat(),
        "customer": (
            {"id": customer.id, "name": customer.name, "email": customer.email}
            if customer is not None
            else None
        ),
    }
