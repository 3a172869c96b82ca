"""``deskpilot serve`` and ``deskpilot sync``: the long-running process that takes tickets over
HTTP, pulls customers' messages from every channel and delivers replies, until SIGTERM/Ctrl+C.

The intake endpoint and the channels run in threads of their own, each on its own desk (a desk
is not thread-safe); the main thread only waits for a signal. Stopping lets the reply or pull
in hand finish and be recorded, so nothing is left half-done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import click

from deskpilot.cli.common import Context, pass_context, shown, workspace_option
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.models import utcnow
from deskpilot.workspace import Workspace

log = logging.getLogger("deskpilot.serve")


@click.command()
@workspace_option
@click.option("--host", help="Address to listen on (default: [intake] host, 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    help="Port to listen on (default: [intake] port, 8765; 0 picks a free one).",
)
@click.option("--intake/--no-intake", default=True, help="Take tickets at POST /tickets.")
@click.option(
    "--sync/--no-sync", "inbound", default=True, help="Pull customers' messages from channels."
)
@click.option(
    "--deliver/--no-deliver", "outbound", default=True, help="Deliver replies from the outbox."
)
@pass_context
def serve(
    context: Context,
    host: str | None,
    port: int | None,
    intake: bool,
    inbound: bool,
    outbound: bool,
) -> None:
    """Run the desk's server side until SIGTERM or Ctrl+C: the intake endpoint (POST /tickets,
    GET /health with each channel's last sync, lag, outbox depth and failures), the channel
    sync (customers' messages into their tickets) and the delivery worker (replies out).

    Off 127.0.0.1 a secret is required: DESKPILOT_INTAKE__SECRET in the environment or the
    workspace's secrets.env. Callers send it as 'Authorization: Bearer <secret>', or sign the
    body: 'X-DeskPilot-Signature: sha256=<hex HMAC-SHA256 of the body>'. See docs/intake.md.

    Also serves the web widget (/widget.js, for pages on a [widget] site key's origins) and,
    on the demo workspace, a product page with it installed: /widget/demo.
    """
    if not (intake or inbound or outbound):
        raise DeskPilotError("nothing to run: --no-intake, --no-sync and --no-deliver together")
    run_service(
        context.existing_workspace(),
        intake=intake,
        inbound=inbound,
        outbound=outbound,
        host=host,
        port=port,
    )


@click.command()
@workspace_option
@click.option("--once", is_flag=True, help="One round (pull every channel, deliver what is due).")
@click.option("--no-inbound", is_flag=True, help="Deliver replies only.")
@click.option("--no-outbound", is_flag=True, help="Pull messages only.")
@pass_context
def sync(context: Context, once: bool, no_inbound: bool, no_outbound: bool) -> None:
    """Pull customers' messages from every channel and deliver queued replies: one round with
    --once (for cron, and tests), else until SIGTERM or Ctrl+C (serve without the intake)."""
    if no_inbound and no_outbound:
        raise DeskPilotError("nothing to run: --no-inbound and --no-outbound together")
    workspace = context.existing_workspace()
    if not once:
        run_service(workspace, intake=False, inbound=not no_inbound, outbound=not no_outbound)
        return
    from deskpilot.channels.service import ChannelService  # start-up time: serve's loops

    _log_to_stderr()
    with Desk.open(workspace) as desk:
        service = ChannelService(desk, inbound=not no_inbound, outbound=not no_outbound)

        async def one_round() -> Any:
            try:
                return await service.run_once()
            finally:
                await desk.aclose_connectors()

        report = asyncio.run(one_round())
    for synced in report.syncs:
        click.echo(shown(synced.describe()))
    states = [outcome.state.value for outcome in report.deliveries]
    if not no_outbound:
        counted = ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states)) or "none due"
        click.echo(f"deliveries: {counted}")
    failed = [synced.connector for synced in report.syncs if synced.error]
    if failed:  # cron must see it: what was pulled is kept, the next round tries again
        raise DeskPilotError(f"the sync of {', '.join(failed)} failed (see above)")


def run_service(
    workspace: Workspace,
    *,
    intake: bool,
    inbound: bool,
    outbound: bool,
    host: str | None = None,
    port: int | None = None,
) -> None:
    """Run the chosen parts until SIGTERM/Ctrl+C, then stop them cleanly."""
    from deskpilot.intake.server import IntakeServer  # start-up time: uvicorn, starlette

    _log_to_stderr()
    stop = threading.Event()
    failures: list[str] = []
    with _stop_on_signals(stop), Desk.open(workspace) as desk:
        channels = None
        if inbound or outbound:
            if inbound:
                desk.ticket_sources()  # a channel's broken config fails here, as one line
            channels = threading.Thread(
                target=_run_channels,
                args=(workspace, inbound, outbound, stop, failures),
                name="deskpilot-channels",
            )
        server = None
        if intake:
            server = IntakeServer(
                desk, desk.settings.intake, host=host, port=port, health=_health_of(desk)
            )
            desk.triage()  # train or load the classifier now, not on the first ticket
        with server.running() if server else contextlib.nullcontext("") as url:
            if channels is not None:
                channels.start()
            click.echo(_banner(desk, url, inbound, outbound), err=True)
            if server is not None and server.app.widget_demo:
                click.echo(f"the widget's demo page: {url}/widget/demo", err=True)
            while not stop.wait(0.2):
                pass
            click.echo("stopping: finishing what is in hand…", err=True)
        if channels is not None:
            channels.join()
    click.echo("stopped", err=True)
    if failures:
        raise DeskPilotError(f"the channels stopped: {failures[0]}")


def _run_channels(
    workspace: Workspace,
    inbound: bool,
    outbound: bool,
    stop: threading.Event,
    failures: list[str],
) -> None:
    from deskpilot.channels.service import ChannelService  # start-up time: serve's loops

    try:
        with Desk.open(workspace) as desk:
            service = ChannelService(desk, inbound=inbound, outbound=outbound)
            asyncio.run(service.run(stop))
    except Exception as error:  # reported by the main thread, which then stops everything
        log.exception("the channels stopped")
        failures.append(f"{type(error).__name__}: {error}")
        stop.set()


def _health_of(desk: Desk) -> Any:
    from deskpilot.channels.service import channel_health  # start-up time: serve's loops

    lock = threading.Lock()

    def report() -> dict[str, Any]:
        with lock:
            sources = desk.connectors.all_for_capability("tickets")
            return {"channels": channel_health(desk, sources, utcnow())}

    return report


def _banner(desk: Desk, url: str, inbound: bool, outbound: bool) -> str:
    parts = []
    if url:
        settings = desk.settings.intake
        auth = "a secret" if settings.secret else "no secret (loopback only)"
        parts.append(
            f"taking tickets at {url}/tickets with {auth}, "
            f"bodies up to {settings.max_bytes:,} bytes"
        )
    sources = desk.connectors.all_for_capability("tickets") if inbound else []
    if inbound:
        parts.append(f"pulling {', '.join(sources) or 'no channel (none configured)'}")
    if outbound:
        parts.append("delivering replies")
    return f"{desk.workspace.root}: " + "; ".join(parts) + "; Ctrl+C stops"


def _log_to_stderr() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr, force=True
    )


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and Ctrl+C set ``stop`` (a second Ctrl+C while stopping changes nothing)."""

    def handle(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
