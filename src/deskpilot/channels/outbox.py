"""The delivery worker: takes due replies from the outbox and hands them to their channel.

Each reply is claimed with a lease (see ``store/channels.py``), so several workers (desks,
``serve`` processes) never deliver one twice. What happens after an attempt:

* the channel accepted it: ``sent``, with the channel's id for it;
* ``DeliveryError(permanent=True)`` (a refused recipient, a deleted ticket), or a channel that
  cannot deliver at all: ``failed`` with the reason, until an agent retries it;
* ``DeliveryError(permanent=False)`` or a connection that could not even be made: queued again
  with exponential backoff, up to ``[channels] max_attempts``;
* anything else (a timeout, a dropped connection, a bug): the outcome is unknown. The reply is
  queued again marked ``check_first``, and the next attempt asks the channel
  (``find_delivered``, by the reply's fixed Message-ID) before sending, so it never goes twice.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from deskpilot.config import ChannelSettings
from deskpilot.connectors.capabilities import TicketSource
from deskpilot.connectors.errors import DeliveryError, NotSupportedError
from deskpilot.connectors.models import Delivered
from deskpilot.errors import DeskPilotError
from deskpilot.store.channels import ChannelStore, DeliveryState, OutboxEntry
from deskpilot.terminal_text import visible

ConnectorLookup = Callable[[str], TicketSource]

log = logging.getLogger("deskpilot.channels")

# Errors that mean the connection was never made, so the reply certainly did not go.
NOT_SENT = (ConnectionRefusedError, socket.gaierror)


@dataclass(frozen=True)
class DeliveryOutcome:
    entry: OutboxEntry  # as claimed
    state: DeliveryState  # what it is now
    detail: str  # the channel's id when sent, else the reason


class OutboxWorker:
    def __init__(
        self,
        channels: ChannelStore,
        connector_for: ConnectorLookup,
        settings: ChannelSettings,
        clock: Callable[[], datetime],
        logger: logging.Logger = log,
    ) -> None:
        self._channels = channels
        self._connector_for = connector_for
        self._settings = settings
        self._clock = clock
        self._log = logger

    async def deliver_due(
        self,
        *,
        limit: int | None = None,
        stop: Callable[[], bool] = lambda: False,
        message_id: str | None = None,
    ) -> list[DeliveryOutcome]:
        """Deliver every reply that is due (or only ``message_id``), one at a time, until none
        is left, ``limit`` were tried, or ``stop()`` says so (the reply in hand is finished
        first)."""
        outcomes: list[DeliveryOutcome] = []
        while not stop() and (limit is None or len(outcomes) < limit):
            claimed = await asyncio.to_thread(
                self._channels.claim_due,
                self._clock(),
                self._settings.lease,
                1,
                message_id=message_id,
            )
            if not claimed:
                break
            outcomes.append(await self.deliver(claimed[0]))
        return outcomes

    async def deliver(self, entry: OutboxEntry) -> DeliveryOutcome:
        """One attempt at a claimed entry, its outcome written before this returns."""
        try:
            source = self._connector_for(entry.connector)
        except DeskPilotError as error:
            return await self._retry(entry, f"channel unavailable: {error}", unknown=False)
        reply = entry.reply
        timeout = self._settings.lease_seconds * 0.8  # always finish inside the lease
        try:
            if entry.check_first:
                found = await asyncio.wait_for(source.find_delivered(reply), timeout)
                if found is not None:
                    return await self._sent(entry, found, reconciled=True)
            delivered = await asyncio.wait_for(source.deliver(reply), timeout)
        except DeliveryError as error:
            if error.permanent:
                return await self._failed(entry, str(error))
            return await self._retry(entry, str(error), unknown=False)
        except NotSupportedError as error:
            return await self._failed(entry, str(error))
        except NOT_SENT as error:
            return await self._retry(entry, f"cannot connect: {error}", unknown=False)
        except Exception as error:  # the outcome is unknown: ask the channel before resending
            reason = f"outcome unknown ({type(error).__name__}: {error})"
            return await self._retry(entry, reason, unknown=True)
        return await self._sent(entry, delivered, reconciled=False)

    async def _sent(
        self, entry: OutboxEntry, delivered: Delivered, *, reconciled: bool
    ) -> DeliveryOutcome:
        held = await asyncio.to_thread(self._channels.mark_sent, entry, delivered, self._clock())
        how = "found already delivered at" if reconciled else "delivered via"
        self._log.info(
            "sent: reply %d on %s %s %s (%s)%s",
            entry.id,
            entry.ticket_id,
            how,
            entry.connector,
            visible(delivered.external_id, one_line=True),
            "" if held else "; another worker had taken it over",
        )
        return DeliveryOutcome(entry, DeliveryState.SENT, delivered.external_id)

    async def _failed(self, entry: OutboxEntry, reason: str) -> DeliveryOutcome:
        reason = visible(reason, one_line=True)
        await asyncio.to_thread(self._channels.mark_failed, entry, reason, self._clock())
        self._log.warning(
            "failed: reply %d on %s via %s: %s", entry.id, entry.ticket_id, entry.connector, reason
        )
        return DeliveryOutcome(entry, DeliveryState.FAILED, reason)

    async def _retry(self, entry: OutboxEntry, reason: str, *, unknown: bool) -> DeliveryOutcome:
        reason = visible(reason, one_line=True)
        if entry.attempts >= self._settings.max_attempts:
            return await self._failed(entry, f"gave up after {entry.attempts} attempts: {reason}")
        now = self._clock()
        next_try = now + self.backoff(entry.attempts)
        await asyncio.to_thread(
            self._channels.mark_retry, entry, reason, next_try, now, unknown=unknown
        )
        self._log.warning(
            "retry: reply %d on %s via %s, attempt %d, next at %s: %s",
            entry.id,
            entry.ticket_id,
            entry.connector,
            entry.attempts,
            f"{next_try:%H:%M:%S}",
            reason,
        )
        return DeliveryOutcome(entry, DeliveryState.QUEUED, reason)

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th attempt: doubling, capped."""
        settings = self._settings
        seconds = settings.retry_base_seconds * 2 ** max(0, attempts - 1)
        return timedelta(seconds=min(seconds, settings.retry_max_seconds))
