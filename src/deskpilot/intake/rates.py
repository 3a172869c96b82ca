"""Rate limits for the web widget's public endpoints: so many requests a minute per key
(a client address, a site key).

The widget lives on public pages: anyone can copy its site key and script new tickets. A
sliding one-minute window per key bounds what one address, and one site key, can add to the
queue; a request over the limit is answered 429 with when to try again. Memory is bounded:
at most ``max_keys`` keys are remembered, the least recently seen forgotten first.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimit:
    """At most ``limit`` requests per ``window`` seconds for each key. Not thread-safe: the
    server's event loop is its only user."""

    def __init__(
        self,
        limit: int,
        *,
        window: float = 60.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str) -> float:
        """Seconds before ``key`` may make another request; 0: now."""
        times = self._recent(key)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - self._clock())

    def take(self, key: str) -> float:
        """Count a request for ``key`` if it is within the limit; returns ``retry_after``
        (0 when the request was counted and may go ahead)."""
        wait = self.retry_after(key)
        if wait > 0:
            return wait
        self._seen.setdefault(key, deque()).append(self._clock())
        self._seen.move_to_end(key)
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)
        return 0.0

    def _recent(self, key: str) -> deque[float]:
        times = self._seen.get(key, deque())
        cutoff = self._clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        return times
