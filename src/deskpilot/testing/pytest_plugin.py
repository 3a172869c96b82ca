"""Fixtures for connector tests. Enable them in your plugin's ``conftest.py``::

    pytest_plugins = ["deskpilot.testing.pytest_plugin"]

``http_server`` is a started ``RecordedServer`` on 127.0.0.1 (a free port), stopped after the
test; add routes with ``http_server.respond(...)`` or ``http_server.load(recording)``.

Spec-checked tests: define an ``openapi_spec`` fixture in the test module (or a conftest), in
one line, and every request the connector sends to ``http_server`` and every answer it gets is
checked against the vendor's published API spec; the test fails with the spec's path and the
reason when either is not allowed::

    openapi_spec = use_openapi_spec(SPECS / "vendor.openapi.yml")

For a GraphQL API, a ``graphql_schema`` fixture does the same with the vendor's schema
(``deskpilot.testing.graphql_spec``)::

    graphql_schema = use_graphql_schema(SPECS / "vendor" / "schema.graphql")
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deskpilot.testing.http import ExchangeCheck, RecordedServer
from deskpilot.testing.spec import violations_report


@pytest.fixture
def http_server(request: pytest.FixtureRequest) -> Iterator[RecordedServer]:
    check = _spec_check(request)
    with RecordedServer(check=check) as server:
        yield server
    if server.violations:
        pytest.fail(violations_report(server.violations), pytrace=False)


def _spec_check(request: pytest.FixtureRequest) -> ExchangeCheck | None:
    """The module's ``openapi_spec`` (or ``graphql_schema``) fixture, when it defines one."""
    for name in ("openapi_spec", "graphql_schema"):
        try:
            check: ExchangeCheck | None = request.getfixturevalue(name)
        except pytest.FixtureLookupError:
            continue
        return check
    return None
