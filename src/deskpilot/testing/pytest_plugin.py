"""Fixtures for connector tests. Enable them in your plugin's ``conftest.py``::

    pytest_plugins = ["deskpilot.testing.pytest_plugin"]

``http_server`` is a started ``RecordedServer`` on 127.0.0.1 (a free port), stopped after the
test; add routes with ``http_server.respond(...)`` or ``http_server.load(recording)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deskpilot.testing.http import RecordedServer


@pytest.fixture
def http_server() -> Iterator[RecordedServer]:
    with RecordedServer() as server:
        yield server
