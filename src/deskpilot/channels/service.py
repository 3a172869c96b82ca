"""The channels at work: inbound sync and outbound delivery, once (``deskpilot sync --once``)
or until told to stop (``deskpilot serve``, ``deskpilot sync``), and how they stand (``GET
/health``).

Stopping is cooperative: ``stop`` is checked between replies and between syncs, so a reply in
hand is delivered and recorded, a pull in hand is stored with its cursor, and nothing is left
half-done.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deskpilot.channels.outbox import DeliveryOutcome
from deskpilot.channels.sync import SyncReport
from deskpilot.feedback.surveys import QueuedSurvey
from deskpilot.store.channels import DeliveryState
from deskpilot.terminal_text import visible

if TYPE_CHECKING:
    from deskpilot.desk import Desk

log = logging.getLogger("deskpilot.channels")


@dataclass
class RoundReport:
    syncs: list[SyncReport] = field(default_factory=list)
    deliveries: list[DeliveryOutcome] = field(default_factory=list)
    surveys: list[QueuedSurvey] = field(default_factory=list)  # CSAT surveys put in the outbox


class ChannelService:
    """Runs the sync and the delivery worker of one desk (its own: not the TUI's)."""

    def __init__(
        self,
        desk: Desk,
        *,
        inbound: bool = True,
        outbound: bool = True,
        logger: logging.Logger = log,
    ) -> None:
        self._desk = desk
        self._inbound = inbound
        self._outbound = outbound
        self._log = logger
        self._worker = desk.outbox_worker(logger)
        self._sync = desk.channel_sync(logger)

    async def run_once(self, stop: threading.Event | None = None) -> RoundReport:
        """One sync of every source, then every due reply delivered."""
        stopping = stop.is_set if stop is not None else (lambda: False)
        report = RoundReport()
        if self._inbound:
            for name, source in self._desk.ticket_sources().items():
                if stopping():
                    break
                report.syncs.append(await self._sync.sync(name, source))
        if self._outbound and not stopping():
            report.surveys = await asyncio.to_thread(self._desk.queue_due_surveys)
            report.deliveries = await self._worker.deliver_due(stop=stopping)
        return report

    async def run(self, stop: threading.Event) -> None:
        """Sync every ``sync_seconds`` and deliver every ``deliver_seconds`` until ``stop``."""
        settings = self._desk.settings.channels
        next_sync = 0.0
        try:
            while not stop.is_set():
                if self._inbound and time.monotonic() >= next_sync:
                    next_sync = time.monotonic() + settings.sync_seconds
                    await self._guarded("sync", self._sync_all(stop))
                if self._outbound:
                    await self._guarded("surveys", asyncio.to_thread(self._desk.queue_due_surveys))
                    await self._guarded("delivery", self._worker.deliver_due(stop=stop.is_set))
                await _sleep(stop, settings.deliver_seconds if self._outbound else 1.0)
        finally:
            await self._desk.aclose_connectors()

    async def _sync_all(self, stop: threading.Event) -> None:
        for name, source in self._desk.ticket_sources().items():
            if stop.is_set():
                break
            await self._sync.sync(name, source)

    async def _guarded(self, what: str, round_: Awaitable[object]) -> None:
        """One round; a failure (the database briefly away) is logged and the next round
        tries again, so the server keeps serving."""
        try:
            await round_
        except Exception as error:
            problem = visible(f"{type(error).__name__}: {error}", one_line=True)
            self._log.error("%s round failed: %s", what, problem)


async def _sleep(stop: threading.Event, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def channel_health(desk: Desk, sources: list[str], now: datetime) -> dict[str, Any]:
    """Per channel: its last sync, how far behind it is, its outbox depth and failures."""
    syncs = {state.connector: state for state in desk.sync_states()}
    counts = desk.outbox_counts()
    report: dict[str, Any] = {}
    for name in sorted(set(sources) | set(syncs) | set(counts)):
        state = syncs.get(name)
        outbox = counts.get(name, {})
        last_ok = state.last_ok_at if state else None
        report[name] = {
            "pulls": name in sources,
            "last_sync": state.last_sync_at.isoformat() if state and state.last_sync_at else None,
            "last_ok": last_ok.isoformat() if last_ok else None,
            "lag_seconds": round((now - last_ok).total_seconds(), 1) if last_ok else None,
            "last_error": state.last_error if state else "",
            "imported": state.imported if state else 0,
            "outbox_depth": sum(
                outbox.get(s, 0) for s in (DeliveryState.QUEUED, DeliveryState.SENDING)
            ),
            "failures": outbox.get(DeliveryState.FAILED, 0),
            "sent": outbox.get(DeliveryState.SENT, 0),
        }
    return report
