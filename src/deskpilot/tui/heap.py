"""Keeps the garbage collector's full passes off the agent's keystrokes.

A desk on a large workspace holds a long-lived heap (the queue's search corpus, the index, the
classifier, the connectors' records): on the 100k demo a full collection walks it in 160-260 ms,
and CPython starts one whenever enough objects have survived, often in the middle of a send.
Objects that live as long as the desk are moved out of the collector's sight (``gc.freeze``)
once, after the first draft has loaded them; later full passes only walk what is new. Once, not
after every draft: a frozen object is never freed, so freezing each ticket's screen would leak
one screen per ticket worked. Measured on the 100k demo (bench/bench_tui.py's send), the longest
event-loop stall during a send fell from 169-218 ms to 35-71 ms.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_long_lived_heap() -> None:
    """Collect what is garbage now, then freeze what is left; the first call only (made when the
    desk is idle: after the first draft is shown, while the agent reads it)."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()
