"""Zendesk against a local server replaying Zendesk's documented responses."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.builtin.zendesk import ZendeskConfig, ZendeskConnector
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorUnavailableError,
    RemoteApiError,
)
from deskpilot.models import Author, Channel, Priority, Status
from deskpilot.testing import ConnectorContract, ContractSamples, RecordedServer, run

from .conftest import RECORDED, assert_secret_kept

TOKEN = "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)


def make_connector(server: RecordedServer, **settings: Any) -> ZendeskConnector:
    values: dict[str, Any] = {
        "email": "ada@acme.example",
        "api_token": SecretStr(TOKEN),
        "backoff_seconds": 0.0,
        **settings,
    }
    config = ZendeskConfig(base_url=server.url, **values)
    return ZendeskConnector(config, ConnectorContext(name="zendesk"))


@pytest.fixture
def zendesk(http_server: RecordedServer) -> RecordedServer:
    http_server.load(RECORDED / "zendesk" / "api.json")
    return http_server


class TestZendeskContract(ConnectorContract):
    @pytest.fixture
    def connector(self, zendesk: RecordedServer) -> ZendeskConnector:
        return make_connector(zendesk)

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(ticket_id="ZD-35436")


def test_the_export_follows_the_cursor_to_the_end_of_the_stream(zendesk: RecordedServer) -> None:
    tickets = run(make_connector(zendesk, page_size=2), lambda c: c.pull_new(SINCE))
    assert [t.id for t in tickets] == ["ZD-35437", "ZD-35436", "ZD-35401"]  # oldest change first
    first, second = zendesk.received("GET", "/api/v2/incremental/tickets/cursor.json")
    assert first.query == {
        "start_time": str(int(SINCE.timestamp())),
        "include": "users",
        "per_page": "2",
    }
    assert second.query == {"cursor": "MTU3NjYxMzUzOS4wfHw0Njd8", "per_page": "2"}


def test_a_ticket_arrives_as_deskpilots_model(zendesk: RecordedServer) -> None:
    tickets = {t.id: t for t in run(make_connector(zendesk), lambda c: c.pull_new(SINCE))}
    charged = tickets["ZD-35436"]
    assert charged.status is Status.PENDING, "the newer version from the second page wins"
    assert (charged.priority, charged.channel, charged.tags) == (
        Priority.HIGH,
        Channel.EMAIL,
        ["billing", "refund"],
    )
    assert charged.customer is not None
    assert (charged.customer.email, charged.customer.name) == ("ann@example.com", "Ann Lee")
    [message] = charged.messages
    assert message.author is Author.CUSTOMER and "charged twice" in message.body
    call = tickets["ZD-35437"]
    assert call.customer is None and call.channel is Channel.PHONE  # a caller without an email
    assert call.priority is Priority.NORMAL
    assert "ZD-35399" not in tickets  # deleted


def test_without_since_only_open_tickets_come(zendesk: RecordedServer) -> None:
    tickets = run(make_connector(zendesk), lambda c: c.pull_new())
    assert [t.id for t in tickets] == ["ZD-35437", "ZD-35436"]


def test_a_reply_is_a_public_comment_and_a_status_an_update(zendesk: RecordedServer) -> None:
    connector = make_connector(zendesk)
    reply = run(connector, lambda c: c.post_reply("ZD-35436", "Refunded, sorry!"))
    status = run(connector, lambda c: c.set_status("ZD-35436", Status.SOLVED))
    assert reply.reference == "audit 7040012345" and status.status is Status.SOLVED
    comment, solved = zendesk.received("PUT", "/api/v2/tickets/35436.json")
    assert comment.json() == {"ticket": {"comment": {"body": "Refunded, sorry!", "public": True}}}
    assert solved.json() == {"ticket": {"status": "solved"}}
    basic = base64.b64encode(f"ada@acme.example/token:{TOKEN}".encode()).decode()
    assert comment.headers["authorization"] == f"Basic {basic}"


def test_a_reply_is_never_sent_twice_after_a_server_error(http_server: RecordedServer) -> None:
    http_server.respond(
        "PUT", "/api/v2/tickets/1.json", status=503, then=[{"status": 200, "json": {}}]
    )
    with pytest.raises(ConnectorUnavailableError, match="HTTP 503"):
        run(make_connector(http_server), lambda c: c.post_reply("ZD-1", "Hello"))
    assert len(http_server.received()) == 1


def test_a_429_is_retried_after_retry_after(http_server: RecordedServer) -> None:
    http_server.respond(
        "PUT",
        "/api/v2/tickets/1.json",
        status=429,
        headers={"Retry-After": "0"},
        text="Rate limited",
        then=[{"status": 200, "json": {"audit": {"id": 5}}}],
    )
    reply = run(make_connector(http_server), lambda c: c.post_reply("ZD-1", "Hello"))
    assert reply.reference == "audit 5" and len(http_server.received()) == 2


def test_zendesks_errors_reach_the_agent(zendesk: RecordedServer) -> None:
    with pytest.raises(RemoteApiError, match="Status: closed prevents ticket update"):
        run(make_connector(zendesk), lambda c: c.set_status("ZD-35401", Status.OPEN))
    with pytest.raises(RemoteApiError, match=r"HTTP 404: Not found"):
        run(make_connector(zendesk), lambda c: c.post_reply("ZD-99999", "Hello"))
    with pytest.raises(ConnectorError, match="'T-1' is not a Zendesk ticket id"):
        run(make_connector(zendesk), lambda c: c.post_reply("T-1", "Hello"))


def test_check_names_the_agent_and_spots_an_anonymous_answer(
    zendesk: RecordedServer, every_log: pytest.LogCaptureFixture
) -> None:
    said = run(make_connector(zendesk), lambda c: c.check())
    assert said.endswith("accepts the token of ada@acme.example (agent)")
    zendesk.routes.clear()
    zendesk.respond("GET", "/api/v2/users/me.json", json={"user": {"id": None, "role": "end-user"}})
    with pytest.raises(ConnectorAuthError, match="ZENDESK__API_TOKEN") as raised:
        run(make_connector(zendesk), lambda c: c.check())
    assert_secret_kept(TOKEN, raised.value, every_log)


def test_a_refused_oauth_token_names_its_variable(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET", "/api/v2/users/me.json", status=401, json={"error": "Couldn't authenticate you"}
    )
    connector = make_connector(http_server, api_token=None, oauth_token=SecretStr("oauth-secret"))
    with pytest.raises(ConnectorAuthError, match="Couldn't authenticate you") as raised:
        run(connector, lambda c: c.check())
    assert "ZENDESK__OAUTH_TOKEN" in str(raised.value) and "oauth-secret" not in str(raised.value)
    assert http_server.received()[0].headers["authorization"] == "Bearer oauth-secret"


def test_config_needs_one_way_to_authenticate() -> None:
    url = "https://acme.zendesk.com"
    with pytest.raises(ValidationError, match="set api_token"):
        ZendeskConfig(base_url=url)
    with pytest.raises(ValidationError, match="needs the email"):
        ZendeskConfig(base_url=url, api_token=SecretStr("t"))
    assert ZendeskConfig(base_url=url, oauth_token=SecretStr("t")).id_prefix == "ZD-"
