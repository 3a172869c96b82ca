"""``deskpilot serve``: the HTTP intake endpoint, in the foreground until Ctrl+C."""

from __future__ import annotations

import contextlib
import logging
import sys

import click

from deskpilot.cli.common import Context, pass_context, workspace_option
from deskpilot.desk import Desk


@click.command()
@workspace_option
@click.option("--host", help="Address to listen on (default: [intake] host, 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(min=1, max=65535),
    help="Port to listen on (default: [intake] port, 8765).",
)
@pass_context
def serve(context: Context, host: str | None, port: int | None) -> None:
    """Take new tickets over HTTP: POST /tickets (one ticket in the import's JSON format,
    page context included), GET /health. Tickets are stored and triaged as they arrive, and
    open desks show them within a second.

    Off 127.0.0.1 a secret is required: DESKPILOT_INTAKE__SECRET in the environment or the
    workspace's secrets.env. Callers send it as 'Authorization: Bearer <secret>', or sign the
    body: 'X-DeskPilot-Signature: sha256=<hex HMAC-SHA256 of the body>'. See docs/intake.md.

    Also serves the web widget (/widget.js, for pages on a [widget] site key's origins) and,
    on the demo workspace, a product page with it installed: /widget/demo.
    """
    from deskpilot.intake.server import IntakeServer

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr, force=True
    )
    with Desk.open(context.existing_workspace()) as desk:
        settings = desk.settings.intake
        server = IntakeServer(desk, settings, host=host, port=port)
        sock = server.bind()
        desk.triage()  # train or load the classifier now, not on the first ticket
        auth = "a secret" if settings.secret else "no secret (loopback only)"
        click.echo(
            f"taking tickets at {server.url}/tickets for {desk.workspace.root} with {auth}, "
            f"bodies up to {settings.max_bytes:,} bytes; Ctrl+C stops",
            err=True,
        )
        if server.app.widget_demo:
            click.echo(f"the widget's demo page: {server.url}/widget/demo", err=True)
        # uvicorn shuts down gracefully on Ctrl+C, then raises it again: it is the way out.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sock)
        click.echo("stopped", err=True)
