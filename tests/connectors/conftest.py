"""Built-in connectors against a real local HTTP server replaying each API's documented shapes.

Recordings live in ``tests/data/recorded/<connector>/``; each test module loads its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.testing.pytest_plugin import http_server

__all__ = ["RECORDED", "assert_secret_kept", "http_server"]

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at any level, httpx's and httpcore's included."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


def assert_secret_kept(secret: str, error: BaseException, logs: pytest.LogCaptureFixture) -> None:
    """Neither the error (its message, its chain) nor any log line shows the secret."""
    seen: list[str] = []
    current: BaseException | None = error
    while current is not None:
        seen += [str(current), repr(current), *map(str, current.args)]
        current = current.__cause__ or current.__context__
    seen += [record.getMessage() for record in logs.records]
    assert not [text for text in seen if secret in text], "a secret leaked"
