"""Slack against a local server replaying the Slack Web API's documented responses."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.builtin.slack import (
    MAX_BLOCKS,
    SECTION_CHARS,
    SlackConfig,
    SlackConnector,
)
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorPermissionError,
    ConnectorRateLimitedError,
    ConnectorUnavailableError,
    RemoteApiError,
)
from deskpilot.connectors.models import Handoff
from deskpilot.copilot.handoff import handoff_summary
from deskpilot.models import Author, Customer, Message, Ticket
from deskpilot.testing import (
    ContractSamples,
    NotifyContract,
    RecordedServer,
    run,
    use_openapi_spec,
)

from .conftest import RECORDED, assert_secret_kept

SPEC = Path(__file__).resolve().parents[3] / "shared" / "specs" / "slack"
# Every test that uses http_server: requests and answers checked against Slack's published
# spec (Swagger 2.0, served under /api). Its "token" parameter is the credential, which the
# connector sends as an Authorization header, as Slack now requires.
openapi_spec = use_openapi_spec(SPEC / "slack-web-api.openapi.json", auth_parameters=["token"])

BOT = "xoxb-1111-2222-not-a-real-bot-token"
USER = "xoxp-3333-4444-not-a-real-user-token"
# chat.postMessage's answer, in the shape of Slack's spec (channel and ts patterns, message).
POSTED = {
    "ok": True,
    "channel": "C0ESCAL01",
    "ts": "1795500000.000200",
    "message": {"type": "message", "text": "*Hand-off*", "ts": "1795500000.000200"},
}
HANDOFF = Handoff(
    ticket_id="ZD-35436",
    summary="Charged twice; wants a refund. <!channel> please look",
    reason="refund above the agent's limit",
    customer_email="ann@example.com",
    agent="ada",
)


def make_connector(server: RecordedServer, **settings: Any) -> SlackConnector:
    values: dict[str, Any] = {
        "bot_token": SecretStr(BOT),
        "user_token": SecretStr(USER),
        "channel": "#support-escalations",
        "backoff_seconds": 0.0,
        **settings,
    }
    config = SlackConfig(base_url=f"{server.url}/api", **values)
    return SlackConnector(config, ConnectorContext(name="slack"))


@pytest.fixture
def slack(http_server: RecordedServer) -> RecordedServer:
    http_server.load(RECORDED / "slack" / "api.json")
    return http_server


class TestSlackContract(NotifyContract):
    @pytest.fixture
    def connector(self, slack: RecordedServer) -> SlackConnector:
        return make_connector(slack)

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(customer_email="ann@example.com")


def test_a_handoff_is_posted_with_customer_text_escaped(slack: RecordedServer) -> None:
    posted = run(make_connector(slack), lambda c: c.post_handoff(HANDOFF))
    assert (posted.channel, posted.reference) == ("C0ESCAL01", "C0ESCAL01/1795500000.000200")
    [sent] = slack.received("POST", "/api/chat.postMessage")
    assert sent.headers["authorization"] == f"Bearer {BOT}"
    assert sent.headers["content-type"] == "application/json"
    body = sent.json()
    assert body["channel"] == "#support-escalations"
    assert body["text"].splitlines() == [
        "*Hand-off: ticket ZD-35436*",
        "*Why:* refund above the agent's limit",
        "customer ann@example.com, from ada",
        "Charged twice; wants a refund. &lt;!channel&gt; please look",
    ]
    assert body["blocks"][0]["text"]["text"] == body["text"]


def _long_conversation(messages: int) -> Handoff:
    """The hand-off of a ticket with ``messages`` long messages, as the desk writes it."""
    words = "the export still fails & the <dashboard> shows a blank chart after every retry "
    ticket = Ticket(
        id="ZD-40001",
        subject="Export keeps failing",
        customer=Customer(id="c1", email="ann@example.com", name="Ann Lee"),
        messages=[
            Message(author=Author.CUSTOMER if n % 2 == 0 else Author.AGENT, body=words * 6)
            for n in range(messages)
        ],
    )
    return Handoff(ticket_id=ticket.id, summary=handoff_summary(ticket, None), agent="ada")


def _texts(body: dict[str, Any]) -> list[str]:
    return [block["text"]["text"] for block in body["blocks"]]


def test_a_long_handoff_is_split_into_sections_within_slacks_limit(slack: RecordedServer) -> None:
    # Over one section's 3,000 characters, under the 4,000 of the fallback text (which is cut).
    handoff = _long_conversation(7)
    run(make_connector(slack), lambda c: c.post_handoff(handoff))
    body = slack.received("POST", "/api/chat.postMessage")[0].json()
    texts = _texts(body)
    assert sum(len(text) for text in texts) > SECTION_CHARS, "one section would be refused"
    assert len(texts) >= 2 and all(len(text) <= SECTION_CHARS for text in texts)
    # Nothing lost, nothing cut mid-line or mid-entity: the sections are the whole text.
    assert "\n".join(texts) == body["text"]
    assert not [text for text in texts if re.search(r"&[a-z]{0,3}$", text)]


def test_a_huge_handoff_keeps_to_the_block_and_fallback_limits(slack: RecordedServer) -> None:
    one_line = "word " * 2000  # a single 10,000-character line with no line breaks
    handoff = Handoff(ticket_id="ZD-40002", summary="\n".join([one_line] * 30))
    run(make_connector(slack), lambda c: c.post_handoff(handoff))
    body = slack.received("POST", "/api/chat.postMessage")[0].json()
    texts = _texts(body)
    assert len(texts) <= MAX_BLOCKS and all(len(text) <= SECTION_CHARS for text in texts)
    assert sum(len(text) for text in texts) <= 12000
    assert texts[-1].startswith("…") and "ticket ZD-40002 in DeskPilot" in texts[-1]
    assert len(body["text"]) <= 4000 and body["text"].endswith("…")


def test_a_handoff_may_name_its_channel(slack: RecordedServer) -> None:
    handoff = HANDOFF.model_copy(update={"channel": "C0BILLING2"})
    run(make_connector(slack), lambda c: c.post_handoff(handoff))
    assert slack.received("POST", "/api/chat.postMessage")[0].json()["channel"] == "C0BILLING2"


def test_ok_false_is_an_error_that_says_what_to_do(http_server: RecordedServer) -> None:
    http_server.respond(
        "POST", "/api/chat.postMessage", json={"ok": False, "error": "not_in_channel"}
    )
    with pytest.raises(RemoteApiError, match=r"not_in_channel; invite the Slack app") as raised:
        run(make_connector(http_server), lambda c: c.post_handoff(HANDOFF))
    assert raised.value.code == "not_in_channel"


def test_a_refused_token_names_the_variable_never_the_token(
    http_server: RecordedServer, every_log: pytest.LogCaptureFixture
) -> None:
    http_server.respond("GET", "/api/auth.test", json={"ok": False, "error": "invalid_auth"})
    with pytest.raises(ConnectorAuthError, match="SLACK__BOT_TOKEN") as raised:
        run(make_connector(http_server), lambda c: c.check())
    assert_secret_kept(BOT, raised.value, every_log)
    assert_secret_kept(USER, raised.value, every_log)


def test_a_missing_scope_is_named(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET",
        "/api/search.messages",
        json={"ok": False, "error": "missing_scope", "needed": "search:read", "provided": "x"},
    )
    with pytest.raises(ConnectorPermissionError, match=r"lacks the scope search:read.*USER_TOKEN"):
        run(make_connector(http_server), lambda c: c.search_messages("ann@example.com"))


def test_a_429_is_retried_after_retry_after(http_server: RecordedServer) -> None:
    http_server.respond(
        "POST",
        "/api/chat.postMessage",
        status=429,
        headers={"Retry-After": "0"},
        json={"ok": False, "error": "ratelimited"},
        then=[{"json": POSTED}],
    )
    posted = run(make_connector(http_server), lambda c: c.post_handoff(HANDOFF))
    assert posted.reference == "C0ESCAL01/1795500000.000200"
    assert len(http_server.received("POST", "/api/chat.postMessage")) == 2


def test_rate_limited_without_a_429_is_a_rate_limit(http_server: RecordedServer) -> None:
    # chat.postMessage's own limit (too many messages) comes as HTTP 200 "rate_limited".
    http_server.respond(
        "POST", "/api/chat.postMessage", json={"ok": False, "error": "rate_limited"}
    )
    with pytest.raises(ConnectorRateLimitedError):
        run(make_connector(http_server), lambda c: c.post_handoff(HANDOFF))


def test_a_handoff_is_not_posted_twice_after_a_server_error(http_server: RecordedServer) -> None:
    http_server.respond("POST", "/api/chat.postMessage", status=500, then=[{"json": POSTED}])
    with pytest.raises(ConnectorUnavailableError, match="HTTP 500"):
        run(make_connector(http_server), lambda c: c.post_handoff(HANDOFF))
    assert len(http_server.received()) == 1


def test_the_search_pages_through_newest_first_with_the_user_token(slack: RecordedServer) -> None:
    connector = make_connector(slack, page_size=2, search_channels=["#support", "billing"])
    found = run(connector, lambda c: c.search_messages("ann@example.com", limit=10))
    assert [(m.channel, m.author) for m in found] == [
        ("#support", "ada"),
        ("#billing", "ben"),
        ("#support", "ada"),
    ]
    assert found[0].at == datetime.fromtimestamp(1795300000, UTC)
    assert found[0].permalink == "https://acme.slack.com/archives/C0SUPPORT1/p1795300000000100"
    first, second = slack.received("GET", "/api/search.messages")
    assert first.query == {
        "query": '"ann@example.com" in:#support in:#billing',
        "sort": "timestamp",
        "sort_dir": "desc",
        "count": "2",
        "page": "1",
    }
    assert second.query["page"] == "2"
    assert first.headers["authorization"] == f"Bearer {USER}"


def test_the_search_stops_at_the_limit(slack: RecordedServer) -> None:
    found = run(
        make_connector(slack, page_size=2), lambda c: c.search_messages("ann@example.com", 2)
    )
    assert len(found) == 2 and len(slack.received("GET", "/api/search.messages")) == 1


def test_without_a_user_token_there_is_no_search(slack: RecordedServer) -> None:
    found = run(make_connector(slack, user_token=None), lambda c: c.search_messages("ann"))
    assert found == [] and slack.received("GET", "/api/search.messages") == []


def test_check_names_a_scope_the_bot_token_lacks(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET",
        "/api/auth.test",
        json={
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "deskpilot",
            "team_id": "T0ACME001",
            "user_id": "U0BOT0001",
        },
        headers={"x-oauth-scopes": "channels:read,users:read"},
    )
    with pytest.raises(
        ConnectorPermissionError, match=r"bot token, but it lacks the scope chat:write.*BOT_TOKEN"
    ):
        run(make_connector(http_server), lambda c: c.check())


def test_check_names_the_bot_and_the_searching_user(slack: RecordedServer) -> None:
    said = run(make_connector(slack), lambda c: c.check())
    assert said == "Slack accepts the bot token of deskpilot in Acme; searches as deskpilot"
    tokens = [r.headers["authorization"] for r in slack.received("GET", "/api/auth.test")]
    assert tokens == [f"Bearer {BOT}", f"Bearer {USER}"]


def test_config_needs_a_bot_token_and_a_channel() -> None:
    with pytest.raises(ValidationError, match="bot_token"):
        SlackConfig.model_validate({"channel": "#x"})
    with pytest.raises(ValidationError, match="channel"):
        SlackConfig.model_validate({"bot_token": "x"})
    assert SlackConfig(bot_token=SecretStr("x"), channel="#x").base_url == "https://slack.com/api"
