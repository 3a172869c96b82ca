"""``deskpilot serve`` runs the intake, the channel sync and the delivery worker in one process,
reports them on GET /health, logs one line per delivery and per imported message, and stops
cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import Cli
from deskpilot.desk import Desk
from deskpilot.models import Status
from deskpilot.store.channels import DeliveryState
from deskpilot.workspace import Workspace


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_serve(workspace: Path, *args: str, **channels: object) -> subprocess.Popen[str]:
    """``deskpilot serve ARGS`` on ``workspace`` in its own process, with ``[channels]``
    settings from the environment (``sync_seconds=0.2`` sets DESKPILOT_CHANNELS__SYNC_SECONDS)."""
    env = {**os.environ, "DESKPILOT_WORKSPACE": str(workspace)}
    env |= {f"DESKPILOT_CHANNELS__{name.upper()}": str(value) for name, value in channels.items()}
    return subprocess.Popen(
        [sys.executable, "-m", "deskpilot.cli.app", "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(check: Any, server: subprocess.Popen[str], seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = check()
        except httpx.TransportError:
            found = None
        if found:
            return found
        assert server.poll() is None, "serve exited early"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_serve_delivers_imports_reports_health_and_stops_on_sigterm(
    frozen_demo: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "ws"
    shutil.copytree(frozen_demo, folder)
    cli = Cli(folder)
    open_id = json.loads(cli("queue", "--json", "--status", "open").output)[0]["id"]
    assert cli("reply", open_id, "--text", "On its way.", "--no-deliver").exit_code == 0
    follow_up = json.loads((folder / "records" / "inbox.jsonl").read_text())

    port = free_port()
    server = start_serve(folder, "--port", str(port), sync_seconds=0.2, deliver_seconds=0.2)
    base = f"http://127.0.0.1:{port}"
    try:

        def settled() -> dict[str, Any] | None:
            demo = httpx.get(f"{base}/health").json()["channels"]["demo"]
            return demo if demo["sent"] == 1 and demo["imported"] == 1 else None

        health = wait_for(settled, server)
    finally:
        server.send_signal(signal.SIGTERM)
        _out, log = server.communicate(timeout=60)
    assert server.returncode == 0, log
    assert health["pulls"] and health["outbox_depth"] == 0 and health["failures"] == 0
    assert health["last_error"] == "" and health["lag_seconds"] is not None
    assert health["last_sync"] is not None
    lines = log.splitlines()
    assert any(f"sent: reply 1 on {open_id} delivered via demo" in line for line in lines)
    ticket_id = follow_up["ticket_external_id"]
    assert any(
        f"imported {follow_up['external_id']} from demo: follow-up on {ticket_id}" in line
        for line in lines
    )
    assert "stopping: finishing what is in hand" in log and lines[-1] == "stopped"

    with Desk.open(Workspace.existing(folder)) as desk:
        assert desk.ticket(ticket_id).status is Status.OPEN
        (entry,) = desk.outbox()
        assert entry.state is DeliveryState.SENT and entry.ticket_id == open_id


def test_serve_with_everything_switched_off_is_refused(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    result = cli("serve", "--no-intake", "--no-sync", "--no-deliver")
    assert result.exit_code == 2 and "nothing to run" in result.output


SLOW_CHANNEL = '''
"""A channel that records each reply it accepts in a file, then (optionally) takes its time
to answer: serve is killed in that pause, after the channel accepted the reply."""

import asyncio
import json
import os
from pathlib import Path
from typing import ClassVar

from deskpilot.connectors.base import Connector, ConnectorConfig
from deskpilot.connectors.capabilities import TicketSource
from deskpilot.connectors.models import Delivered


class SlowConfig(ConnectorConfig):
    sent_file: Path
    pause_after_accepting: float = 0.0


class SlowChannel(Connector[SlowConfig], TicketSource):
    config_model: ClassVar[type[ConnectorConfig]] = SlowConfig

    async def pull_new(self, since=None):
        return []

    async def deliver(self, reply):
        with self.config.sent_file.open("a") as handle:
            handle.write(json.dumps({"message_id": reply.message_id}) + "\\n")
            handle.flush()
            os.fsync(handle.fileno())
        await asyncio.sleep(self.config.pause_after_accepting)
        return Delivered(message_id=reply.message_id, external_id="slow-1")

    async def find_delivered(self, reply):
        if not self.config.sent_file.exists():
            return None
        for line in self.config.sent_file.read_text().splitlines():
            if json.loads(line)["message_id"] == reply.message_id:
                return Delivered(message_id=reply.message_id, external_id="slow-1")
        return None
'''


@pytest.mark.usefixtures("third_party_plugins")  # the channel is a workspace plugin
def test_serve_killed_after_the_channel_accepted_a_reply_never_sends_it_twice(
    tmp_path: Path,
) -> None:
    from .kit import fake_ticket

    folder = tmp_path / "ws"
    cli = Cli(folder)
    assert cli("init").exit_code == 0
    (folder / "plugins").mkdir()
    (folder / "plugins" / "slow.py").write_text(SLOW_CHANNEL)
    sent_file = tmp_path / "accepted.jsonl"

    def configure(pause: float) -> None:
        (folder / "config.toml").write_text(
            f'[connectors.slow]\nplugin = "plugins/slow.py:SlowChannel"\n'
            f'sent_file = "{sent_file}"\npause_after_accepting = {pause}\n'
        )

    configure(pause=60)
    with Desk.open(Workspace.existing(folder)) as desk:
        desk.store.add_tickets([fake_ticket(1, source="slow")])
    assert cli("reply", "T-000001", "--text", "Sent once.", "--no-deliver").exit_code == 0

    lease = timedelta(seconds=4)  # the killed worker answers within 0.8 of it: kill before
    server = start_serve(folder, "--no-intake", "--no-sync", lease_seconds=lease.seconds)
    try:
        wait_for(lambda: sent_file.exists() and sent_file.read_text(), server)
    finally:
        server.kill()  # kill -9: no chance to record the outcome
        server.communicate(timeout=30)
    with Desk.open(Workspace.existing(folder)) as desk:
        (entry,) = desk.outbox()
        assert entry.state is DeliveryState.SENDING  # the outcome was never written
        lease_ends = entry.updated_at + lease  # claimed then, by the worker that was killed
    while datetime.now(UTC) <= lease_ends + timedelta(seconds=1):
        time.sleep(0.2)

    configure(pause=0)
    result = cli("sync", "--once", "--no-inbound")
    assert result.exit_code == 0, result.output
    assert "deliveries: 1 sent" in result.output
    assert len(sent_file.read_text().splitlines()) == 1  # found at the channel, not resent
    with Desk.open(Workspace.existing(folder)) as desk:
        (entry,) = desk.outbox()
        assert entry.state is DeliveryState.SENT and entry.external_id == "slow-1"
        assert entry.attempts == 2
