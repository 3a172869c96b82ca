"""The draft context from real sources: Stripe, HubSpot, Salesforce and Slack answering from a
local HTTP server, and the desk's customer found in each by email, not by the desk's own id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskpilot.desk import Desk
from deskpilot.testing import RecordedServer
from deskpilot.testing.pytest_plugin import http_server
from deskpilot.workspace import Workspace

__all__ = ["http_server"]

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"
ANN = {"id": "C-77", "email": "Ann@Example.com", "name": "Ann Lee"}
# Environment settings make a connector configured: each test sets only its connectors' own.
SECRETS = {
    "stripe": {"API_KEY": "sk_test_not-a-real-key"},
    "hubspot": {"ACCESS_TOKEN": "pat-na1-not-a-real-token"},
    "salesforce": {"ACCESS_TOKEN": "00D-not-a-real-token"},
    "slack": {"BOT_TOKEN": "xoxb-not-a-real-token", "USER_TOKEN": "xoxp-not-a-real-token"},
}


@pytest.fixture
def server(http_server: RecordedServer) -> RecordedServer:
    for name in ("stripe", "hubspot", "salesforce", "slack"):
        http_server.load(RECORDED / name / "api.json")
    return http_server


def open_desk(
    tmp_path: Path,
    server: RecordedServer,
    monkeypatch: pytest.MonkeyPatch,
    crm: str,
    *,
    slack: bool = True,
) -> Desk:
    """A workspace whose tickets name Ann by the desk's own id C-77, with Stripe, ``crm`` and
    (optionally) Slack configured against the local server."""
    for connector in ["stripe", crm, *(["slack"] if slack else [])]:
        for field, value in SECRETS[connector].items():
            monkeypatch.setenv(f"DESKPILOT_CONNECTORS__{connector.upper()}__{field}", value)
    workspace = Workspace.create(tmp_path / "ws")
    tables = [
        f'[connectors.stripe]\nbase_url = "{server.url}"\nbackoff_seconds = 0\n',
        f'[connectors.{crm}]\nbase_url = "{server.url}"\n',
    ]
    if slack:
        tables.append(f'[connectors.slack]\nbase_url = "{server.url}/api"\nchannel = "#support"\n')
    with workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write("\n" + "\n".join(tables))
    tickets = tmp_path / "tickets.jsonl"
    rows = [
        {"id": "T-1", "subject": "Seats", "body": "Can I add seats?", "status": "solved"},
        {"id": "T-2", "subject": "Charged twice", "body": "Invoice 0012 twice", "status": "solved"},
    ]
    lines = [
        {**row, "customer": ANN, "created_at": f"2026-11-0{n}T09:00:00Z"}
        for n, row in enumerate(rows, start=1)
    ]
    tickets.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    desk = Desk.open(workspace)
    desk.import_tickets(tickets)
    return desk


async def test_stripe_hubspot_and_slack_find_the_customer_by_email(
    tmp_path: Path, server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_desk(tmp_path, server, monkeypatch, "hubspot") as desk:
        assert desk.ticket("T-2").customer.id == "C-77"  # type: ignore[union-attr]
        context = await desk.draft_context("T-2")
        await desk.aclose_connectors()
    assert context.crm is not None, context.problems
    assert (context.crm.customer_id, context.crm.company) == ("512", "Lee Analytics GmbH")
    assert context.crm.account_owner and context.crm.notes
    assert context.subscription is not None and context.subscription.seats == 7
    assert [i.number for i in context.invoices][:1] == ["F2A1C3D4-0012"]
    assert [m.author for m in context.team_messages] == ["ada", "ben", "ada"]
    assert context.team_messages[0].channel == "#support"
    assert [t.id for t in context.history] == ["T-1"]  # the desk's own past tickets stay
    # Each system was asked by email, never by the desk's id C-77.
    [lookup] = server.received("GET", "/v1/customers")
    assert lookup.query["email"] == "ann@example.com"
    assert server.received("GET", "/crm/v3/objects/contacts/ann@example.com")
    assert server.received("GET", "/crm/v3/objects/contacts/512")
    assert not [r for r in server.received() if "C-77" in r.path + json.dumps(r.query)]
    assert server.received("GET", "/api/search.messages")[0].query["query"] == ('"ann@example.com"')
    assert [p for p in context.problems if not p.startswith(("bug tracker", "knowledge"))] == []


async def test_salesforce_finds_the_contact_and_its_cases(
    tmp_path: Path, server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_desk(tmp_path, server, monkeypatch, "salesforce", slack=False) as desk:
        context = await desk.draft_context("T-2")
        await desk.aclose_connectors()
    assert context.crm is not None and context.crm.customer_id == "003Hn00001Z4kQAIAZ"
    cases = server.received("GET", "/services/data/v61.0/query")
    assert any("WHERE ContactId = '003Hn00001Z4kQAIAZ'" in r.query.get("q", "") for r in cases)
    assert [t.id for t in context.history] == ["T-1"]  # Cases are listed, but not in this store
    assert any(p.startswith("team chat: no connector serves 'notify'") for p in context.problems)


async def test_a_failing_team_chat_is_one_line_and_the_rest_still_loads(
    tmp_path: Path, server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    search = "/api/search.messages"
    server.routes = [route for route in server.routes if route.path != search]
    server.respond("GET", search, json={"ok": False, "error": "invalid_auth"})
    with open_desk(tmp_path, server, monkeypatch, "hubspot") as desk:
        context = await desk.draft_context("T-2")
        await desk.aclose_connectors()
    assert context.crm is not None and context.subscription is not None
    assert context.team_messages == []
    [problem] = [p for p in context.problems if p.startswith("team messages")]
    assert "invalid_auth" in problem and "DESKPILOT_CONNECTORS__SLACK__USER_TOKEN" in problem


def test_a_desk_customer_without_a_stripe_match_keeps_a_stripe_id(
    server: RecordedServer,
) -> None:
    from pydantic import SecretStr

    from deskpilot.connectors.base import ConnectorContext
    from deskpilot.connectors.builtin.stripe import StripeConfig, StripeConnector
    from deskpilot.models import Customer
    from deskpilot.testing import run

    config = StripeConfig(base_url=server.url, api_key=SecretStr("sk_test_x"), backoff_seconds=0)
    stripe = StripeConnector(config, ConnectorContext(name="stripe"))
    nobody = "nobody.contract@example.invalid"
    imported = Customer(id="cus_Imported123", email=nobody)
    assert run(stripe, lambda c: c.billing_customer_id(imported)) == "cus_Imported123"
    ours = Customer(id="C-77", email=nobody)
    assert run(stripe, lambda c: c.billing_customer_id(ours)) is None


async def test_two_crms_configured_show_the_clash_in_the_context(
    tmp_path: Path, server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for field, value in SECRETS["hubspot"].items():
        monkeypatch.setenv(f"DESKPILOT_CONNECTORS__HUBSPOT__{field}", value)
    with open_desk(tmp_path, server, monkeypatch, "salesforce", slack=False) as desk:
        with desk.workspace.config_file.open("a", encoding="utf-8") as handle:
            handle.write(f'\n[connectors.hubspot]\nbase_url = "{server.url}"\n')
        context = await desk.draft_context("T-2")
        await desk.aclose_connectors()
    assert context.crm is None
    assert any(
        "connectors hubspot and salesforce both serve 'crm'" in problem
        for problem in context.problems
    ), context.problems
