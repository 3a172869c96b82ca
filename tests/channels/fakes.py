"""A ticket source for the channel tests: scripted delivery outcomes, its own record of what
it accepted (what ``find_delivered`` reads, as a real channel's sent folder would be), and an
inbox the sync pulls from. Thread-safe: two desks deliver through one in the concurrency test."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import datetime
from typing import ClassVar

from deskpilot.connectors.base import Connector, ConnectorConfig, ConnectorContext
from deskpilot.connectors.capabilities import TicketSource
from deskpilot.connectors.errors import DeliveryError
from deskpilot.connectors.models import Delivered, InboundMessage, OutboundReply, Pulled
from deskpilot.models import Ticket


class FakeChannelConfig(ConnectorConfig):
    pass


class FakeChannel(Connector[FakeChannelConfig], TicketSource):
    """``script``: what each delivery attempt does, in order (then "ok"):

    "ok" accepts it; "transient" / "permanent" raise ``DeliveryError``; "refused" cannot
    connect; "accept-then-drop" accepts it and then loses the connection before answering
    (the outcome is unknown to the desk, but the channel has it); "drop" loses the connection
    without accepting it."""

    config_model: ClassVar[type[ConnectorConfig]] = FakeChannelConfig

    def __init__(self, script: list[str] | None = None, delay: float = 0.0) -> None:
        super().__init__(FakeChannelConfig(), ConnectorContext(name="fake"))
        self.script = list(script or [])
        self.delay = delay
        self.accepted: dict[str, Delivered] = {}
        self.sends: Counter[str] = Counter()  # accepted deliveries per Message-ID
        self.attempts: list[str] = []
        self.lookups: list[str] = []
        self.inbox: list[InboundMessage] = []
        self.replies: list[OutboundReply] = []
        self._lock = threading.Lock()

    async def pull_new(self, since: datetime | None = None) -> list[Ticket]:
        return []

    async def pull(self, cursor: str | None) -> Pulled:
        start = int(cursor) if cursor else 0
        return Pulled(messages=self.inbox[start:], cursor=str(len(self.inbox)))

    async def deliver(self, reply: OutboundReply) -> Delivered:
        with self._lock:
            step = self.script.pop(0) if self.script else "ok"
            self.attempts.append(reply.message_id)
        if self.delay:
            await asyncio.sleep(self.delay)
        if step == "transient":
            raise DeliveryError("the server said: try again later (421)", permanent=False)
        if step == "permanent":
            raise DeliveryError("the server refused the recipient (550)", permanent=True)
        if step == "refused":
            raise ConnectionRefusedError(111, "Connection refused")
        if step == "drop":
            raise ConnectionResetError(104, "Connection reset by peer")
        delivered = self._accept(reply)
        if step == "accept-then-drop":
            raise ConnectionResetError(104, "Connection reset by peer")
        return delivered

    async def find_delivered(self, reply: OutboundReply) -> Delivered | None:
        with self._lock:
            self.lookups.append(reply.message_id)
            return self.accepted.get(reply.message_id)

    def _accept(self, reply: OutboundReply) -> Delivered:
        with self._lock:
            self.sends[reply.message_id] += 1
            self.replies.append(reply)
            delivered = Delivered(
                message_id=reply.message_id, external_id=f"fake-{len(self.accepted) + 1}"
            )
            self.accepted.setdefault(reply.message_id, delivered)
            return delivered
