"""The garbage collector's full passes wait for the agent to pause (``tui/heap.py``): held while
the app runs, run when the desk is idle or at the latest after enough young collections, and
CPython's own thresholds back once the app ends."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest

from deskpilot.tui import heap
from deskpilot.tui.app import DeskPilotApp


@pytest.fixture
def held() -> Iterator[None]:
    before = gc.get_threshold()
    heap.hold_full_collections()
    yield
    heap.release_full_collections()
    assert gc.get_threshold() == before


def young_collections(count: int) -> None:
    """``count`` gen 1 collections: what makes a full pass due."""
    for _ in range(count):
        gc.collect(1)


def test_holding_keeps_the_young_thresholds_and_lifts_the_full_one(held: None) -> None:
    young, middle, full = gc.get_threshold()
    assert full >= 2**30
    heap.release_full_collections()
    assert gc.get_threshold()[:2] == (young, middle)
    assert gc.get_threshold()[2] < 2**30
    heap.hold_full_collections()  # the fixture releases it again


def test_a_full_pass_runs_when_idle_and_one_is_due(held: None) -> None:
    gc.collect()
    assert not heap.collect_if_idle(60.0, 2.0)  # idle, but nothing is due
    young_collections(3)
    assert not heap.collect_if_idle(0.5, 2.0)  # due, but the agent is at work
    assert gc.get_count()[2] == 3
    assert heap.collect_if_idle(2.5, 2.0)
    assert gc.get_count()[2] == 0


def test_a_full_pass_runs_at_the_latest_however_busy(held: None) -> None:
    gc.collect()
    young_collections(heap.FULL_PASS_AT_THE_LATEST - 1)
    assert not heap.collect_if_idle(0.0, 2.0)
    young_collections(1)
    assert heap.collect_if_idle(0.0, 2.0)


async def test_the_app_holds_full_passes_while_it_runs(
    make_app: Callable[..., DeskPilotApp],
) -> None:
    before = gc.get_threshold()
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert gc.get_threshold()[2] >= 2**30
    assert gc.get_threshold() == before
