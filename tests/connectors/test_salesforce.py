"""Salesforce against a local server replaying the Salesforce REST API's documented responses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.builtin.salesforce import SalesforceConfig, SalesforceConnector
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorPermissionError,
    ConnectorRateLimitedError,
    RemoteApiError,
)
from deskpilot.models import Channel, Priority, Status, TicketSummary, Tier
from deskpilot.testing import ContractSamples, CrmContract, RecordedServer, run

from .conftest import RECORDED, assert_secret_kept

TOKEN = "00DHn0000000001!AQ4AQNotARealSessionToken"
CONTACT = "003Hn00001Z4kQAIAZ"
QUERY = "/services/data/v61.0/query"


def make_connector(
    server: RecordedServer, history: Any = None, **settings: Any
) -> SalesforceConnector:
    values: dict[str, Any] = {"backoff_seconds": 0.0, **settings}
    config = SalesforceConfig(base_url=server.url, access_token=SecretStr(TOKEN), **values)
    return SalesforceConnector(config, ConnectorContext(name="salesforce", ticket_history=history))


@pytest.fixture
def salesforce(http_server: RecordedServer) -> RecordedServer:
    http_server.load(RECORDED / "salesforce" / "api.json")
    return http_server


class TestSalesforceContract(CrmContract):
    @pytest.fixture
    def connector(self, salesforce: RecordedServer) -> SalesforceConnector:
        return make_connector(salesforce)

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(customer_email="ann@example.com")


def test_a_contact_is_found_by_email_with_the_value_escaped(salesforce: RecordedServer) -> None:
    customer = run(make_connector(salesforce), lambda c: c.customer_by_email("Ann@Example.com"))
    assert customer is not None
    assert (customer.id, customer.name, customer.company) == (
        CONTACT,
        "Ann Lee",
        "Lee Analytics GmbH",
    )
    assert customer.created_at == datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
    assert salesforce.received()[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert salesforce.received()[0].headers["sforce-query-options"] == "batchSize=200"
    salesforce.respond("GET", QUERY, json={"totalSize": 0, "done": True, "records": []})
    run(
        make_connector(salesforce), lambda c: c.customer_by_email("o'brien@example.com' OR Id != '")
    )
    assert "Email = 'o\\'brien@example.com\\' or id != \\''" in salesforce.received()[-1].query["q"]


def test_an_id_that_is_not_a_salesforce_id_is_never_sent(salesforce: RecordedServer) -> None:
    assert run(make_connector(salesforce), lambda c: c.customer_by_id("x' OR Name != '")) is None
    assert salesforce.received() == []


def test_the_record_has_account_owner_and_custom_fields(salesforce: RecordedServer) -> None:
    connector = make_connector(
        salesforce, tier_field="Tier__c", seats_field="Seats__c", value_field="ARR__c"
    )
    record = run(connector, lambda c: c.record(CONTACT))
    assert record is not None
    assert (record.company, record.account_owner, record.tier, record.seats) == (
        "Lee Analytics GmbH",
        "Olga Owner",
        Tier.ENTERPRISE,
        25,
    )
    assert record.lifetime_value == 14700.0 and str(record.signed_up) == "2025-03-01"


def test_notes_follow_next_records_url(salesforce: RecordedServer) -> None:
    notes = run(make_connector(salesforce), lambda c: c.notes(CONTACT))
    assert [(n.author, n.body) for n in notes] == [
        ("Ada Agent", "Prefers email: Over phone, always."),
        (
            "Olga Owner",
            "Renewal call: Wants annual billing from January; asked for a quote & the security "
            "review.\nSend the SOC 2 report.",
        ),
        ("Olga Owner", "Upgrade: Moved to Team, 7 seats; prorated invoice explained."),
        ("Ada Agent", "Double charge: Refund promised for November."),
        (
            "Ada Agent",
            "Outage follow-up: Promised a credit for the 19 November outage (two hours).",
        ),
    ]
    assert (
        len(salesforce.received("GET", "/services/data/v61.0/query/01gRO0000016PIAYA2-2000")) == 1
    )


def test_history_merges_the_desks_tickets_with_the_contacts_cases(
    salesforce: RecordedServer,
) -> None:
    own = TicketSummary(
        id="ZD-35436",
        subject="Charged twice",
        status=Status.NEW,
        priority=Priority.HIGH,
        channel=Channel.EMAIL,
        created_at=datetime(2026, 11, 20, 9, 12, tzinfo=UTC),
        updated_at=datetime(2026, 11, 20, 9, 12, tzinfo=UTC),
        customer_id=CONTACT,
    )
    connector = make_connector(salesforce, history=lambda _id, _limit: [own])
    history = run(connector, lambda c: c.history(CONTACT, limit=10))
    assert [(t.id, t.status, t.channel) for t in history.tickets] == [
        ("ZD-35436", Status.NEW, Channel.EMAIL),
        ("SF-00001027", Status.CLOSED, Channel.EMAIL),
        ("SF-00001001", Status.OPEN, Channel.WEB),
    ]
    quiet = make_connector(salesforce, include_cases=False)
    assert run(quiet, lambda c: c.history(CONTACT, limit=10)).tickets == []


def test_lightning_notes_are_found_through_their_document_links(
    salesforce: RecordedServer,
) -> None:
    run(make_connector(salesforce), lambda c: c.notes(CONTACT))
    queries = [r.query.get("q", "") for r in salesforce.received("GET", QUERY)]
    [links] = [q for q in queries if "FROM ContentDocumentLink" in q]
    assert "LinkedEntityId IN ('003Hn00001Z4kQAIAZ', '001Hn00001AbCdEIAV')" in links
    assert "ContentDocument.FileType = 'SNOTE'" in links
    assert any("FROM ContentNote WHERE Id IN ('069Hn00000NoTe4IAA'" in q for q in queries)


def test_a_lightning_note_without_its_body_shows_the_preview(salesforce: RecordedServer) -> None:
    salesforce.respond(
        "GET",
        "/services/data/v61.0/sobjects/ContentNote/069Hn00000NoTe5IAA/Content",
        status=404,
        json=[{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
    )
    notes = run(make_connector(salesforce), lambda c: c.notes(CONTACT))
    assert notes[-1].body == "Outage follow-up: Promised a credit for the 19 November outage"


def test_check_asks_only_what_a_least_privilege_user_may_ask(salesforce: RecordedServer) -> None:
    said = run(make_connector(salesforce), lambda c: c.check())
    assert "may read Contact, Account, Note, ContentNote, ContentDocumentLink, Case" in said
    assert [r.path for r in salesforce.received()] == ["/services/data/v61.0/sobjects"]
    assert salesforce.received("GET", "/services/data/v61.0/limits") == []


def test_check_names_the_objects_the_user_may_not_read(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET",
        "/services/data/v61.0/sobjects",
        json={
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [
                {"name": "Contact", "queryable": True},
                {"name": "Account", "queryable": True},
                {"name": "Note", "queryable": True},
                {"name": "ContentDocumentLink", "queryable": True},
                {"name": "Case", "queryable": False},
            ],
        },
    )
    with pytest.raises(ConnectorPermissionError, match=r"may not read ContentNote, Case;"):
        run(make_connector(http_server), lambda c: c.check())


def test_a_missing_permission_is_not_reported_as_bad_credentials(
    http_server: RecordedServer,
) -> None:
    http_server.respond(
        "GET",
        "/services/data/v61.0/sobjects",
        status=403,
        json=[
            {
                "message": "The REST API is not enabled for this Organization.",
                "errorCode": "API_DISABLED_FOR_ORG",
            }
        ],
    )
    with pytest.raises(ConnectorPermissionError, match="accepts our credentials") as raised:
        run(make_connector(http_server), lambda c: c.check())
    assert not isinstance(raised.value, ConnectorAuthError)
    assert "API_DISABLED_FOR_ORG" in str(raised.value)


def test_the_daily_limit_is_a_rate_limit_not_a_refused_token(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET",
        "/services/data/v61.0/sobjects",
        status=403,
        json=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )
    with pytest.raises(ConnectorRateLimitedError, match="over its request limit"):
        run(make_connector(http_server), lambda c: c.check())


def test_a_503_with_retry_after_is_retried(http_server: RecordedServer) -> None:
    every = ["Contact", "Account", "Note", "ContentNote", "ContentDocumentLink", "Case"]
    http_server.respond(
        "GET",
        "/services/data/v61.0/sobjects",
        status=503,
        headers={"Retry-After": "0"},
        then=[{"json": {"sobjects": [{"name": name, "queryable": True} for name in every]}}],
    )
    said = run(make_connector(http_server), lambda c: c.check())
    assert "accepts the access token" in said
    assert len(http_server.received()) == 2


def test_a_bad_query_says_what_salesforce_said(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET",
        QUERY,
        status=400,
        json=[
            {
                "message": "No such column 'Tier__c' on entity 'Account'",
                "errorCode": "INVALID_FIELD",
            }
        ],
    )
    connector = make_connector(http_server, tier_field="Tier__c")
    with pytest.raises(RemoteApiError, match="No such column 'Tier__c'") as raised:
        run(connector, lambda c: c.customer_by_email("ann@example.com"))
    assert raised.value.code == "INVALID_FIELD"


def test_an_expired_session_names_the_variable_never_the_token(
    http_server: RecordedServer, every_log: pytest.LogCaptureFixture
) -> None:
    http_server.respond(
        "GET",
        "/services/data/v61.0/sobjects",
        status=401,
        json=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )
    with pytest.raises(ConnectorAuthError, match="SALESFORCE__ACCESS_TOKEN") as raised:
        run(make_connector(http_server), lambda c: c.check())
    assert_secret_kept(TOKEN, raised.value, every_log)


def test_config_checks_field_names_and_needs_the_instance_url() -> None:
    with pytest.raises(ValidationError) as raised:
        SalesforceConfig.model_validate({})
    assert {str(e["loc"][0]) for e in raised.value.errors()} == {"base_url", "access_token"}
    with pytest.raises(ValidationError, match="tier_field"):
        SalesforceConfig(
            base_url="https://acme.my.salesforce.com",
            access_token=SecretStr("t"),
            tier_field="Tier__c FROM User --",
        )
