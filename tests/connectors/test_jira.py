"""Jira against a local server replaying the Jira Cloud REST API's documented responses."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.builtin.jira import JiraConfig, JiraConnector
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorPermissionError,
    RemoteApiError,
)
from deskpilot.connectors.models import BugQuery, NewBug
from deskpilot.testing import (
    ContractSamples,
    IssuesContract,
    RecordedServer,
    run,
    use_openapi_spec,
)

from .conftest import RECORDED, assert_secret_kept

SPEC = Path(__file__).resolve().parents[3] / "shared" / "specs" / "jira"
# Every test that uses http_server: requests and answers checked against Atlassian's spec.
openapi_spec = use_openapi_spec(SPEC / "jira-cloud-platform-v3.openapi.json")

TOKEN = "ATATT3xFfGF0-not-a-real-jira-token"
ERROR = "TypeError: Cannot read properties of undefined (reading 'map')"
REPORT = BugQuery(
    text="Export to CSV crashes\nWhen I export the empty report nothing happens",
    page_url="https://app.example.com/reports/export?range=30d",
    errors=[f"Uncaught {ERROR}"],
)


def make_connector(server: RecordedServer, **settings: Any) -> JiraConnector:
    values: dict[str, Any] = {
        "email": "ada@acme.example",
        "api_token": SecretStr(TOKEN),
        "project_key": "ENG",
        "backoff_seconds": 0.0,
        **settings,
    }
    config = JiraConfig(base_url=server.url, **values)
    return JiraConnector(config, ConnectorContext(name="jira"))


def make_config(**settings: Any) -> JiraConfig:
    return JiraConfig(
        base_url="https://acme.atlassian.net",
        email="ada@acme.example",
        api_token=SecretStr(TOKEN),
        project_key="ENG",
        **settings,
    )


@pytest.fixture
def jira(http_server: RecordedServer) -> RecordedServer:
    http_server.load(RECORDED / "jira" / "api.json")
    return http_server


class TestJiraContract(IssuesContract):
    @pytest.fixture
    def connector(self, jira: RecordedServer) -> JiraConnector:
        return make_connector(jira)

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(bug_query=REPORT)


def test_jql_search_follows_the_next_page_token_and_ranks(jira: RecordedServer) -> None:
    matches = run(make_connector(jira, page_size=2), lambda c: c.search_bugs(REPORT, limit=3))
    assert matches[0].bug.id == "ENG-101" and matches[0].bug.status == "in_progress"
    assert matches[0].bug.page_url == "/reports/export"
    first, second = jira.received("GET", "/rest/api/3/search/jql")
    assert first.query["jql"] == (
        'project = "ENG" AND issuetype = "Bug" AND (text ~ "typeerror" OR text ~ "read" OR '
        'text ~ "properties" OR text ~ "undefined" OR text ~ "reading" OR text ~ "map" OR '
        'text ~ "export" OR text ~ "csv") ORDER BY updated DESC'
    )
    assert (first.query["maxResults"], first.query["fields"]) == (
        "2",
        "summary,status,resolution,created,description",
    )
    assert second.query["nextPageToken"] == "CAEaAggD"
    basic = base64.b64encode(f"ada@acme.example:{TOKEN}".encode()).decode()
    assert first.headers["authorization"] == f"Basic {basic}"


def test_data_center_search_pages_with_start_at_until_the_total() -> None:
    # Data Center's REST v2 is not in the Cloud v3 spec: this one server goes unchecked.
    with RecordedServer() as server:
        server.load(RECORDED / "jira" / "api.json")
        connector = make_connector(server, page_size=2, search="datacenter", api_version="2")
        matches = run(connector, lambda c: c.search_bugs(REPORT, limit=5))
    assert "ENG-101" in [m.bug.id for m in matches]
    pages = server.received("GET", "/rest/api/2/search")
    assert [(p.query["startAt"], p.query["maxResults"]) for p in pages] == [("0", "2"), ("2", "2")]


def test_the_classic_search_is_never_sent_to_cloud() -> None:
    with pytest.raises(ValidationError, match=r"410 Gone.*search = \"datacenter\""):
        make_config(search="classic")
    with pytest.raises(ValidationError, match=r"set api_version = \"2\""):
        make_config(search="datacenter")
    assert make_config(search="classic", api_version="2").search == "datacenter"


def test_a_410_gone_search_says_what_to_change(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET",
        "/rest/api/3/search/jql",
        status=410,
        json={"errorMessages": ["The requested API has been removed."], "errors": {}},
    )
    with pytest.raises(ConnectorError, match=r"no longer offers this search \(410 Gone\)"):
        run(make_connector(http_server), lambda c: c.search_bugs(REPORT))


def test_statuses_follow_the_status_category_and_resolution(jira: RecordedServer) -> None:
    connector = make_connector(jira)
    wont_fix = run(connector, lambda c: c.bug("ENG-45"))
    assert wont_fix is not None and wont_fix.status == "closed"
    bug = run(connector, lambda c: c.bug("ENG-101"))
    assert bug is not None and bug.workaround == "add a date filter so the report has rows"
    assert str(bug.created) == "2026-11-03"


def test_a_filed_bug_has_an_adf_description_labels_and_a_browse_url(jira: RecordedServer) -> None:
    new = NewBug(title="Export crashes", page_url="/reports/export", error_signature=ERROR)
    created = run(make_connector(jira, labels=["from-support"]), lambda c: c.create_bug(new))
    assert created.url == f"{jira.url}/browse/ENG-200" and created.bug.id == "ENG-200"
    [sent] = jira.received("POST", "/rest/api/3/issue")
    fields = sent.json()["fields"]
    assert fields["project"] == {"key": "ENG"} and fields["issuetype"] == {"name": "Bug"}
    assert fields["labels"] == ["from-support"]
    texts = [p["content"][0]["text"] for p in fields["description"]["content"] if p["content"]]
    assert texts == ["---", "Page: /reports/export", f"Error: {ERROR}", "Filed from DeskPilot."]


def test_jira_field_errors_reach_the_agent(http_server: RecordedServer) -> None:
    http_server.respond(
        "POST",
        "/rest/api/3/issue",
        status=400,
        json={"errorMessages": [], "errors": {"issuetype": "The issue type selected is invalid."}},
    )
    with pytest.raises(RemoteApiError, match=r"HTTP 400: issuetype: The issue type selected"):
        run(make_connector(http_server), lambda c: c.create_bug(NewBug(title="x")))


def test_a_429_is_retried_after_retry_after(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET",
        "/rest/api/3/myself",
        status=429,
        headers={"Retry-After": "0"},
        then=[{"json": {"displayName": "Ada Agent"}}],
    )
    http_server.respond("GET", "/rest/api/3/mypermissions", json=_permissions(browse=True))
    said = run(make_connector(http_server), lambda c: c.check())
    assert "API token of Ada Agent" in said
    assert len(http_server.received("GET", "/rest/api/3/myself")) == 2


def _permissions(*, browse: bool, create: bool = True) -> dict[str, Any]:
    def permission(key: str, number: str, have: bool) -> dict[str, Any]:
        return {"id": number, "key": key, "type": "PROJECT", "havePermission": have}

    return {
        "permissions": {
            "BROWSE_PROJECTS": permission("BROWSE_PROJECTS", "10", browse),
            "CREATE_ISSUES": permission("CREATE_ISSUES", "11", create),
        }
    }


def test_check_asks_what_the_account_may_do_in_the_project(jira: RecordedServer) -> None:
    said = run(make_connector(jira), lambda c: c.check())
    assert said.endswith("accepts the API token of Ada Agent; it may search project ENG")
    [asked] = jira.received("GET", "/rest/api/3/mypermissions")
    assert asked.query == {"projectKey": "ENG", "permissions": "BROWSE_PROJECTS,CREATE_ISSUES"}


def test_check_names_a_missing_project_permission_not_a_bad_token(jira: RecordedServer) -> None:
    mine = {"projectKey": "ENG"}
    jira.respond("GET", "/rest/api/3/mypermissions", query=mine, json=_permissions(browse=False))
    with pytest.raises(ConnectorPermissionError, match="may not browse project ENG"):
        run(make_connector(jira), lambda c: c.check())
    jira.respond(
        "GET", "/rest/api/3/mypermissions", query=mine, json=_permissions(browse=True, create=False)
    )
    said = run(make_connector(jira), lambda c: c.check())
    assert said.endswith("it may not create issues there")


def test_a_refused_token_names_the_variable_never_the_token(
    http_server: RecordedServer, every_log: pytest.LogCaptureFixture
) -> None:
    http_server.respond("GET", "/rest/api/3/myself", status=401, text="Unauthorized")
    with pytest.raises(ConnectorAuthError, match="JIRA__API_TOKEN") as raised:
        run(make_connector(http_server), lambda c: c.check())
    assert_secret_kept(TOKEN, raised.value, every_log)


def test_data_center_uses_rest_v2_with_plain_text_descriptions() -> None:
    # Data Center's REST v2 is not in the Cloud v3 spec: this one server goes unchecked.
    with RecordedServer() as server:
        server.respond("POST", "/rest/api/2/issue", status=201, json={"key": "OPS-7"})
        connector = make_connector(server, api_version="2", search="datacenter")
        run(connector, lambda c: c.create_bug(NewBug(title="x", page_url="/a")))
    sent = server.received("POST", "/rest/api/2/issue")[0].json()["fields"]
    assert sent["description"] == "---\nPage: /a\n\nFiled from DeskPilot."


def test_config_needs_site_account_token_and_project() -> None:
    with pytest.raises(ValidationError) as raised:
        JiraConfig.model_validate({})
    missing = {str(error["loc"][0]) for error in raised.value.errors()}
    assert missing == {"base_url", "email", "api_token", "project_key"}
