"""Keeps the garbage collector's full passes off the agent's keystrokes.

A desk on a large workspace holds a long-lived heap (the queue's search corpus, the index, the
classifier, the connectors' records): on the 100k demo a full collection walks it in 160-260 ms,
and CPython starts one whenever enough objects have survived, often in the middle of a send.
Objects that live as long as the desk are moved out of the collector's sight (``gc.freeze``)
once, after the first draft has loaded them; later full passes only walk what is new. Once, not
after every draft: a frozen object is never freed by the collector, so freezing after each ticket
would keep each ticket's cycles for good. Measured on the 100k demo (bench/bench_tui.py's send),
the longest event-loop stall during a send fell from 169-218 ms to 35-71 ms.

What is new still takes a full pass now and then (10-75 ms on the 100k demo, in most sends'
window: the pass comes when a paint or a worker's result has made the objects it counts). While
the app runs, CPython's own full passes are held (``hold_full_collections``) and the app runs
them when the agent has not pressed a key for a while (``collect_if_idle``), or, should the
agent never pause, once the collector has been held long enough (``FULL_PASS_AT_THE_LATEST``),
so cyclic garbage never piles up without bound. Young collections (a fraction of a millisecond)
run as usual.
"""

from __future__ import annotations

import gc

_frozen = False
# A full pass is held until this many young-generation (gen 1) collections have happened since
# the last one: CPython's own default is 10; 100 is a few tens of seconds of a busy desk.
FULL_PASS_AT_THE_LATEST = 100
_held: tuple[int, int, int] | None = None  # the thresholds before the hold


def freeze_long_lived_heap() -> None:
    """Collect what is garbage now, then freeze what is left; the first call only (made when the
    desk is idle: after the first draft is shown, while the agent reads it)."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()


def hold_full_collections() -> None:
    """CPython no longer starts full passes on its own (young ones go on): ``collect_if_idle``
    runs them. ``release_full_collections`` undoes it."""
    global _held
    if _held is None:
        _held = gc.get_threshold()
        young, middle, _full = _held
        gc.set_threshold(young, middle, 2**30)


def release_full_collections() -> None:
    """CPython's own thresholds again (the app has ended)."""
    global _held
    if _held is not None:
        gc.set_threshold(*_held)
        _held = None


def collect_if_idle(idle_seconds: float, wanted_idle: float) -> bool:
    """Run the held full pass when the agent has been idle ``wanted_idle`` seconds (and one is
    due: young collections happened since the last), or at the latest after
    ``FULL_PASS_AT_THE_LATEST`` of them; True when it ran."""
    due = gc.get_count()[2]  # gen 1 collections since the last full pass
    if due == 0 or (idle_seconds < wanted_idle and due < FULL_PASS_AT_THE_LATEST):
        return False
    gc.collect()
    return True
