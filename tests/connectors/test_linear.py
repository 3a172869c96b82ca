"""Linear against a local GraphQL endpoint replaying Linear's documented responses."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.builtin.linear import LinearConfig, LinearConnector
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorRateLimitedError,
    ConnectorUnavailableError,
    RemoteApiError,
)
from deskpilot.connectors.models import BugQuery, NewBug
from deskpilot.testing import (
    ContractSamples,
    GraphQLEndpoint,
    GraphQLSchemaCheck,
    IssuesContract,
    RecordedResponse,
    RecordedServer,
    run,
    use_graphql_schema,
)

from .conftest import RECORDED, assert_secret_kept
from .fake_zendesk import FakeClock

SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "specs" / "linear" / "schema.graphql"
# Every test that uses http_server: each query the connector sends is validated, its variables
# coerced, and each recorded answer executed against Linear's published schema.
graphql_schema = use_graphql_schema(SCHEMA)

API_KEY = "lin_api_not-a-real-key-0123456789abcdef"
ERROR = "TypeError: Cannot read properties of undefined (reading 'map')"
REPORT = BugQuery(
    text="Export to CSV crashes\nWhen I export the empty report nothing happens",
    page_url="https://app.example.com/reports/export?range=30d",
    errors=[f"Uncaught {ERROR}"],
)


def make_connector(server: RecordedServer, **settings: Any) -> LinearConnector:
    values: dict[str, Any] = {"team_id": "team-eng", "backoff_seconds": 0.0, **settings}
    config = LinearConfig(base_url=server.url, api_key=SecretStr(API_KEY), **values)
    return LinearConnector(config, ConnectorContext(name="linear"))


@pytest.fixture
def linear(http_server: RecordedServer) -> RecordedServer:
    http_server.handle("POST", "/graphql", GraphQLEndpoint.load(RECORDED / "linear/graphql.json"))
    return http_server


def operations(server: RecordedServer) -> list[tuple[str, dict[str, Any]]]:
    return [(r.json()["operationName"], r.json()["variables"]) for r in server.received()]


class TestLinearContract(IssuesContract):
    @pytest.fixture
    def connector(self, linear: RecordedServer) -> LinearConnector:
        return make_connector(linear)

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(bug_query=REPORT)


def test_search_pages_through_candidates_and_ranks_them(linear: RecordedServer) -> None:
    matches = run(make_connector(linear, page_size=2), lambda c: c.search_bugs(REPORT, limit=3))
    assert [m.bug.id for m in matches][:1] == ["ENG-101"]
    best = matches[0]
    assert set(best.matched_on) >= {"error", "page"}
    assert (best.bug.status, best.bug.page_url) == ("in_progress", "/reports/export")
    assert best.bug.workaround == "add a date filter so the report has rows"
    sent = operations(linear)
    assert sent[0] == (
        "SearchIssues",
        {"term": ERROR, "first": 2, "filter": {"team": {"id": {"eq": "team-eng"}}}},
    )
    assert sent[1][1]["after"] == "Y3Vyc29yOjI="  # the second page
    assert sent[2][1]["term"] == "export csv crashes empty"  # then the report's words
    assert linear.received()[0].headers["authorization"] == API_KEY


def test_an_empty_report_asks_nothing(linear: RecordedServer) -> None:
    assert run(make_connector(linear), lambda c: c.search_bugs(BugQuery())) == []
    assert linear.received() == []


def test_a_filed_bug_carries_page_error_and_tickets(linear: RecordedServer) -> None:
    new = NewBug(
        title="Export crashes",
        description="Customer cannot export.",
        page_url="/reports/export",
        error_signature=ERROR,
        ticket_ids=["ZD-35436"],
    )
    created = run(make_connector(linear, label_ids=["lbl-bug"]), lambda c: c.create_bug(new))
    assert created.url == "https://linear.app/acme/issue/eng-200"
    [(operation, variables)] = operations(linear)
    assert operation == "CreateIssue"
    assert variables["input"] == {
        "teamId": "team-eng",
        "title": "Export crashes",
        "description": (
            "Customer cannot export.\n\n---\nPage: /reports/export\nError: "
            f"{ERROR}\nTickets: ZD-35436\n\nFiled from DeskPilot."
        ),
        "labelIds": ["lbl-bug"],
    }


def test_filing_needs_a_team(linear: RecordedServer) -> None:
    with pytest.raises(ConnectorError, match=r"set team_id in \[connectors.linear\]"):
        run(make_connector(linear, team_id=""), lambda c: c.create_bug(NewBug(title="x")))


def test_a_create_is_not_repeated_after_a_server_error(http_server: RecordedServer) -> None:
    http_server.respond("POST", "/graphql", status=502, then=[{"json": {"data": {}}}])
    with pytest.raises(ConnectorUnavailableError, match="HTTP 502"):
        run(make_connector(http_server), lambda c: c.create_bug(NewBug(title="x")))
    assert len(http_server.received()) == 1


def test_a_429_is_retried_after_retry_after(http_server: RecordedServer) -> None:
    endpoint = GraphQLEndpoint()
    endpoint.add(
        "Viewer",
        [
            RecordedResponse(429, {"errors": [{"message": "slow"}]}, headers={"Retry-After": "0"}),
            RecordedResponse(
                200,
                {"data": {"viewer": {"id": "u-1", "name": "Ada", "email": "ada@acme.example"}}},
            ),
        ],
    )
    http_server.handle("POST", "/graphql", endpoint)
    assert run(make_connector(http_server), lambda c: c.check()).endswith("API key of Ada")
    assert len(http_server.received()) == 2


def test_linears_ratelimited_code_is_a_rate_limit(http_server: RecordedServer) -> None:
    body = {"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]}
    http_server.respond("POST", "/graphql", status=400, json=body)
    with pytest.raises(ConnectorRateLimitedError, match="Rate limit exceeded"):
        run(make_connector(http_server), lambda c: c.bug("ENG-1"))


def test_a_refused_key_names_the_variable_never_the_key(
    http_server: RecordedServer, every_log: pytest.LogCaptureFixture
) -> None:
    body = {
        "errors": [
            {
                "message": "Authentication required, not authenticated",
                "extensions": {
                    "code": "AUTHENTICATION_ERROR",
                    "userPresentableMessage": f"Invalid key {API_KEY}",
                },
            }
        ]
    }
    http_server.respond("POST", "/graphql", status=400, json=body)
    with pytest.raises(ConnectorAuthError, match="LINEAR__API_KEY") as raised:
        run(make_connector(http_server), lambda c: c.check())
    assert_secret_kept(API_KEY, raised.value, every_log)


def test_a_graphql_error_says_what_linear_said(http_server: RecordedServer) -> None:
    body = {"data": None, "errors": [{"message": "Argument Validation Error"}]}
    http_server.respond("POST", "/graphql", json=body)
    with pytest.raises(RemoteApiError, match="Linear refused Issue: Argument Validation Error"):
        run(make_connector(http_server), lambda c: c.bug("ENG-1"))


def test_oauth_tokens_are_sent_as_bearer(linear: RecordedServer) -> None:
    config = LinearConfig(base_url=linear.url, api_key=SecretStr("oauth-token-xyz"))
    run(LinearConnector(config, ConnectorContext(name="linear")), lambda c: c.check())
    assert linear.received()[0].headers["authorization"] == "Bearer oauth-token-xyz"


def test_config_needs_a_key() -> None:
    with pytest.raises(ValidationError, match="api_key"):
        LinearConfig.model_validate({})
    assert LinearConfig(api_key=SecretStr("k")).base_url == "https://api.linear.app"


def test_searches_are_paced_to_linears_30_a_minute_and_the_wait_is_shown(
    linear: RecordedServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    connector = make_connector(linear)
    connector.use_clock(clock, clock.sleep)

    async def searches(c: LinearConnector) -> None:
        for _ in range(16):  # each report: the error, then the words (two searchIssues calls)
            await c.search_bugs(BugQuery(text="export csv crashes", errors=["Boom"]))

    with caplog.at_level(logging.INFO, logger="deskpilot.connectors.http"):
        run(connector, searches)
    searched = [op for op, _ in operations(linear) if op == "SearchIssues"]
    assert len(searched) == 32, "every search made, none refused"
    # The clock stands still while searching: the 31st waits out the minute, the 32nd fits in.
    assert clock.slept == [60.0]
    assert "searchIssues allows 30 requests a minute; waiting 60 s" in caplog.text


def test_every_query_the_connector_can_send_validates_against_linears_schema() -> None:
    from graphql import parse, validate

    from deskpilot.connectors.builtin import linear

    schema = GraphQLSchemaCheck.load(SCHEMA).schema  # the schema the fixture built, cached
    documents = {"SEARCH": linear.SEARCH, "ISSUE": linear.ISSUE, "CREATE": linear.CREATE}
    documents["VIEWER"] = linear.VIEWER
    problems = {
        name: [error.message for error in validate(schema, parse(document))]
        for name, document in documents.items()
    }
    assert problems == {name: [] for name in documents}
