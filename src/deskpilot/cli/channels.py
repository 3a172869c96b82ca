"""``deskpilot reply``, ``show`` and ``outbox``: answer a ticket, read its thread with each
reply's delivery, and watch the replies on their way out, from a script or a shell.

``reply`` sends exactly as the TUI's send does (the claim, the audit trail, the draft's edit
event, the outbox), then tries to deliver the reply at once; ``deskpilot serve`` retries what
could not go yet. Everything a customer wrote passes through ``visible()`` on its way to the
terminal.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from deskpilot.cli.common import Context, pass_context, workspace_option
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.models import Author, EditEvent, Message, Ticket
from deskpilot.store.channels import DeliveryState, OutboxEntry
from deskpilot.terminal_text import visible


@click.command()
@workspace_option
@click.argument("ticket_id")
@click.option("--text", help="The reply's text.")
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Read the reply from FILE (UTF-8; - reads standard input).",
)
@click.option("--draft", is_flag=True, help="Send the co-pilot's draft as it is.")
@click.option(
    "--no-deliver",
    is_flag=True,
    help="Only queue the reply; deskpilot serve or sync delivers it.",
)
@pass_context
def reply(
    context: Context,
    ticket_id: str,
    text: str | None,
    file: Path | None,
    draft: bool,
    no_deliver: bool,
) -> None:
    """Send a reply on TICKET_ID as the configured agent, as the desk's send does."""
    given = [
        name for name, value in (("--text", text), ("--file", file), ("--draft", draft)) if value
    ]
    if len(given) != 1:
        raise DeskPilotError("give exactly one of --text, --file or --draft")
    with Desk.open(context.existing_workspace()) as desk:
        desk.ticket(ticket_id)  # a clear error for an unknown ticket before anything else
        if draft:
            event = _send_draft(desk, ticket_id)
        else:
            body = text if text is not None else _read_reply(file)
            unsent = desk.unsent_edit(ticket_id)  # the agent's edit left open in the TUI
            event = desk.send_reply(
                ticket_id, body, edit_id=unsent.id if unsent else None, keystrokes=None
            )
        message_id = desk.sent_reply_id(ticket_id) if desk.reply_channel(ticket_id) else None
        delivery = None
        if message_id is not None and not no_deliver:
            delivery = _deliver(desk, message_id)
        elif message_id is not None:
            delivery = desk.outbox_entry(message_id)
    outcome = f" ({event.outcome.value.replace('_', ' ')})" if event else ""
    if message_id is None:
        click.echo(
            f"{ticket_id}: reply saved{outcome}, not delivered: the ticket has no channel "
            "(no source, and no [connectors.email] to answer by email)",
            err=True,
        )
        return
    assert delivery is not None
    click.echo(f"{ticket_id}: reply {delivery.id}{outcome} {delivery.describe()}")


def _send_draft(desk: Desk, ticket_id: str) -> EditEvent | None:
    async def write() -> Any:
        try:
            return await desk.draft_reply(ticket_id)
        finally:
            await desk.aclose_connectors()

    outcome = asyncio.run(write())
    if outcome.draft.handoff_reason:
        click.echo(
            f"note: the co-pilot recommends a human ({visible(outcome.draft.handoff_reason)})",
            err=True,
        )
    edit_id = desk.draft_shown(
        outcome.draft, outcome.draft_id, intent=outcome.context.ticket.intent
    )
    return desk.send_reply(ticket_id, outcome.draft.text, edit_id=edit_id, keystrokes=0)


def _read_reply(file: Path | None) -> str:
    assert file is not None
    try:
        if str(file) == "-":
            return sys.stdin.read()
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DeskPilotError(f"{file}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise DeskPilotError(f"{file}: cannot read it ({error.strerror})") from None


def _deliver(desk: Desk, message_id: str) -> OutboxEntry:
    async def attempt() -> None:
        try:
            await desk.deliver_outbox(message_id=message_id)
        finally:
            await desk.aclose_connectors()

    asyncio.run(attempt())
    return desk.outbox_entry(message_id)


@click.command()
@workspace_option
@click.argument("ticket_id")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@pass_context
def show(context: Context, ticket_id: str, as_json: bool) -> None:
    """Print a ticket and its whole thread: who wrote what, when, through which channel, and
    for each reply whether it reached the customer."""
    with Desk.open(context.existing_workspace()) as desk:
        ticket = desk.ticket(ticket_id)
        deliveries = desk.deliveries(ticket_id)
        unread = desk.has_unread(ticket_id)
    if as_json:
        click.echo(
            json.dumps(ticket_json(ticket, deliveries, unread), indent=2, ensure_ascii=False)
        )
        return
    _print_ticket(ticket, deliveries, unread)


def ticket_json(ticket: Ticket, deliveries: dict[str, OutboxEntry], unread: bool) -> dict[str, Any]:
    customer = ticket.customer
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "channel": ticket.channel.value,
        "source": ticket.source,
        "external_id": ticket.external_id,
        "intent": ticket.intent,
        "unread": unread,
        "snoozed_until": ticket.snoozed_until.isoformat() if ticket.snoozed_until else None,
        "merged_into": ticket.merged_into,
        "customer": (
            {"id": customer.id, "email": customer.email, "name": customer.name}
            if customer
            else None
        ),
        "messages": [_message_json(ticket, m, deliveries) for m in ticket.messages],
    }


def _message_json(
    ticket: Ticket, message: Message, deliveries: dict[str, OutboxEntry]
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "author": message.author.value,
        "author_name": message.author_name,
        "body": message.body,
        "at": message.at.isoformat(),
        "channel": (message.channel or ticket.channel).value,
        "external_id": message.external_id,
        "attachments": [a.model_dump(mode="json") for a in message.attachments],
    }
    if message.author is Author.AGENT:
        entry = deliveries.get(message.external_id) if message.external_id else None
        data["delivery"] = (
            {
                "state": entry.state.value,
                "connector": entry.connector,
                "attempts": entry.attempts,
                "error": entry.last_error,
                "next_try": entry.next_try.isoformat() if entry.next_try else None,
                "sent_at": entry.sent_at.isoformat() if entry.sent_at else None,
                "outbox_id": entry.id,
            }
            if entry
            else None
        )
    return data


def _print_ticket(ticket: Ticket, deliveries: dict[str, OutboxEntry], unread: bool) -> None:
    customer = ticket.customer
    who = (
        f"{customer.name} <{customer.email}>"
        if customer and customer.name
        else (customer.email if customer else "no customer")
    )
    click.echo(f"{ticket.id} · {visible(ticket.subject, one_line=True)}")
    click.echo(
        f"{ticket.status.value} · {ticket.priority.value} · {ticket.channel.value}"
        + (f" via {ticket.source}" if ticket.source else "")
        + f" · {visible(who, one_line=True)}"
        + (" · unread" if unread else "")
        + (
            f" · snoozed until {ticket.snoozed_until:%Y-%m-%d %H:%M} UTC"
            if ticket.snoozed_until
            else ""
        )
        + (f" · merged into {ticket.merged_into}" if ticket.merged_into else "")
    )
    for message in ticket.messages:
        name = message.author_name or message.author.value
        channel = (message.channel or ticket.channel).value
        click.echo("")
        click.echo(
            f"── {message.author.value} {visible(name, one_line=True)} · "
            f"{message.at:%Y-%m-%d %H:%M} · {channel}"
        )
        click.echo(visible(message.body))
        for attachment in message.attachments:
            click.echo(
                f"  attachment: {visible(attachment.name, one_line=True)} "
                f"({visible(attachment.content_type, one_line=True)}, {attachment.size:,} bytes)"
            )
        if message.author is Author.AGENT and message.external_id in deliveries:
            click.echo(f"  {visible(deliveries[message.external_id].describe(), one_line=True)}")


STATE_CHOICES = [s.value for s in DeliveryState] + ["all"]


@click.command()
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--state", type=click.Choice(STATE_CHOICES), default="all", show_default=True)
@click.option(
    "--limit", type=click.IntRange(min=0), default=50, show_default=True, help="0 lists all."
)
@click.option("--retry", "retry_key", metavar="ID", help="Queue failed reply ID again first.")
@pass_context
def outbox(context: Context, as_json: bool, state: str, limit: int, retry_key: str | None) -> None:
    """List replies on their way to customers (newest first): queued, sending, sent or failed
    with the reason; --retry ID sends a failed one again."""
    states = None if state == "all" else frozenset({DeliveryState(state)})
    with Desk.open(context.existing_workspace()) as desk:
        if retry_key is not None:
            retried = desk.retry_reply(retry_key)
            click.echo(f"reply {retried.id} on {retried.ticket_id} queued again", err=True)
        entries = desk.outbox(states=states, limit=limit or None)
    if as_json:
        click.echo(json.dumps([e.to_json() for e in entries], indent=2, ensure_ascii=False))
        return
    if not entries:
        click.echo("the outbox is empty")
        return
    for entry in entries:
        when = entry.sent_at or entry.created_at
        click.echo(
            f"{entry.id:>5}  {entry.ticket_id:<16} {entry.connector:<10} "
            f"{when:%Y-%m-%d %H:%M}  {visible(entry.describe(), one_line=True)}"
        )
