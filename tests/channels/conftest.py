"""Fixtures of the channel tests (helpers in ``kit.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.desk import Desk

from .kit import Clock, open_desk


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def channel_desk(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Desk]:
    with open_desk(database_url, tmp_path / "ws", clock) as desk:
        yield desk
