"""Fixtures of the channel tests (helpers in ``kit.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.desk import Desk

# The real mail servers' fixtures (Dovecot's account, its mailbox, a local SMTP server), once
# for every email test of this folder.
from deskpilot.testing.mail import imap_account, mailbox, smtp_server  # noqa: F401

from .kit import Clock, open_desk


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def channel_desk(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Desk]:
    with open_desk(database_url, tmp_path / "ws", clock) as desk:
        yield desk
