"""Slowing down secret guessing at the intake endpoint, per client address.

A few wrong secrets are mistakes; from the fifth on, each failure locks the address out for
twice as long as the last (1 s, 2 s, 4 s... up to five minutes), and a locked-out address is
answered 429 at once, its credentials not even checked, so guessing gets no answer to learn
from. Nothing sleeps: the server answers every client straight away, locked out or not.

Memory is bounded: at most ``max_clients`` addresses are remembered (the least recently failed
are forgotten first), and an address is forgotten after ``forget_after`` seconds without a
failure.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Failures:
    count: int
    last: float
    locked_until: float = 0.0


class AuthThrottle:
    """Failed authentications per client address. Not thread-safe: the server's event loop
    is its only user."""

    def __init__(
        self,
        *,
        free_failures: int = 5,
        first_lockout: float = 1.0,
        longest_lockout: float = 300.0,
        forget_after: float = 900.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.first_lockout = first_lockout
        self.longest_lockout = longest_lockout
        self.forget_after = forget_after
        self.max_clients = max_clients
        self._clock = clock
        self._clients: OrderedDict[str, _Failures] = OrderedDict()

    def retry_after(self, client: str) -> float:
        """Seconds ``client`` must wait before its credentials are checked again; 0: now."""
        failures = self._current(client)
        if failures is None:
            return 0.0
        return max(0.0, failures.locked_until - self._clock())

    def failed(self, client: str) -> None:
        now = self._clock()
        failures = self._current(client) or _Failures(0, now)
        failures.count += 1
        failures.last = now
        over = failures.count - self.free_failures + 1  # the last free failure locks first
        if over > 0:
            lockout = min(self.first_lockout * 2 ** min(over - 1, 32), self.longest_lockout)
            failures.locked_until = now + lockout
        self._clients[client] = failures
        self._clients.move_to_end(client)
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)

    def __len__(self) -> int:
        return len(self._clients)

    def _current(self, client: str) -> _Failures | None:
        failures = self._clients.get(client)
        if failures is not None and self._clock() - failures.last > self.forget_after:
            del self._clients[client]
            return None
        return failures
