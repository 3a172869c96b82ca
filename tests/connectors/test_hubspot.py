"""HubSpot against a local server replaying the HubSpot CRM API's documented responses."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.builtin.hubspot import HubSpotConfig, HubSpotConnector
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorPermissionError,
    RemoteApiError,
)
from deskpilot.models import Tier
from deskpilot.testing import (
    ContractSamples,
    CrmContract,
    RecordedServer,
    run,
    use_openapi_spec,
)

from .conftest import RECORDED, assert_secret_kept

SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs" / "hubspot"
# Every test that uses http_server: requests and answers checked against HubSpot's specs.
openapi_spec = use_openapi_spec(*sorted(SPECS.glob("*.json")))

TOKEN = "pat-eu1-00000000-not-a-real-token-0000"


def make_connector(server: RecordedServer, **settings: Any) -> HubSpotConnector:
    values: dict[str, Any] = {"backoff_seconds": 0.0, **settings}
    config = HubSpotConfig(base_url=server.url, access_token=SecretStr(TOKEN), **values)
    return HubSpotConnector(config, ConnectorContext(name="hubspot"))


@pytest.fixture
def hubspot(http_server: RecordedServer) -> RecordedServer:
    http_server.load(RECORDED / "hubspot" / "api.json")
    return http_server


class TestHubSpotContract(CrmContract):
    @pytest.fixture
    def connector(self, hubspot: RecordedServer) -> HubSpotConnector:
        return make_connector(hubspot)

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(customer_email="ann@example.com")


def test_a_contact_is_found_by_email_in_any_case(hubspot: RecordedServer) -> None:
    customer = run(make_connector(hubspot), lambda c: c.customer_by_email(" Ann@Example.COM "))
    assert customer is not None
    assert (customer.id, customer.name, customer.company) == ("512", "Ann Lee", "Lee Analytics")
    [sent] = hubspot.received("GET")
    assert sent.path == "/crm/v3/objects/contacts/ann@example.com"
    assert sent.query["idProperty"] == "email"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"


def test_the_record_is_the_primary_company_with_owner_and_notes(hubspot: RecordedServer) -> None:
    connector = make_connector(hubspot, tier_property="deskpilot_tier", seats_property="seats")
    record = run(connector, lambda c: c.record("512"))
    assert record is not None
    assert (record.company, record.tier, record.seats, record.account_owner) == (
        "Lee Analytics GmbH",
        Tier.PRO,
        7,
        "Olga Owner",
    )
    assert (record.signed_up, record.lifetime_value) == (date(2025, 3, 1), 4116.0)
    company = hubspot.received("GET", "/crm/v3/objects/companies/9001")[0]
    assert company.query["properties"].endswith(",deskpilot_tier,seats")
    # 9002 comes first but only 9001 carries the primary association type (typeId 1).
    assert hubspot.received("GET", "/crm/v4/objects/contacts/512/associations/companies")
    assert hubspot.received("GET", "/crm/v3/objects/companies/9002") == []


def test_without_a_primary_association_the_first_company_is_the_account(
    hubspot: RecordedServer,
) -> None:
    hubspot.respond(
        "GET",
        "/crm/v4/objects/contacts/512/associations/companies",
        json={
            "results": [
                {
                    "toObjectId": "9001",
                    "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None}
                    ],
                }
            ]
        },
    )
    record = run(make_connector(hubspot), lambda c: c.record("512"))
    assert record is not None and record.company == "Lee Analytics GmbH"


def _missing_scopes(scope: str) -> dict[str, Any]:
    """HubSpot's 403 for a token without ``scope``."""
    return {
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call.",
        "correlationId": "2a3b4c5d-0000-4000-8000-000000000002",
        "errors": [
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": [scope]},
            }
        ],
        "links": {"scopes": "https://developers.hubspot.com/scopes"},
        "category": "MISSING_SCOPES",
    }


def test_check_names_a_missing_owners_scope_not_bad_credentials(hubspot: RecordedServer) -> None:
    hubspot.respond(
        "GET", "/crm/v3/owners", status=403, json=_missing_scopes("crm.objects.owners.read")
    )
    with pytest.raises(
        ConnectorPermissionError, match=r"missing the scope crm\.objects\.owners\.read"
    ):
        run(make_connector(hubspot), lambda c: c.check())


def test_check_lists_the_scopes_it_verified(hubspot: RecordedServer) -> None:
    said = run(make_connector(hubspot), lambda c: c.check())
    assert "crm.objects.owners.read" in said and "crm.objects.companies.read" in said
    assert [r.path for r in hubspot.received()] == [
        "/crm/v3/objects/contacts",
        "/crm/v3/objects/companies",
        "/crm/v3/owners",
    ]


def test_a_record_without_the_owners_scope_comes_without_its_owner(
    hubspot: RecordedServer, caplog: pytest.LogCaptureFixture
) -> None:
    hubspot.respond(
        "GET",
        "/crm/v3/owners/41629779",
        status=403,
        json=_missing_scopes("crm.objects.owners.read"),
    )
    record = run(make_connector(hubspot), lambda c: c.record("512"))
    assert record is not None
    assert (record.company, record.account_owner) == ("Lee Analytics GmbH", "")
    assert [note.author for note in record.notes] == ["HubSpot"] * 3
    assert len(hubspot.received("GET", "/crm/v3/owners/41629779")) == 1, "asked once, not per note"
    assert "crm.objects.owners.read" in caplog.text


def test_notes_follow_paging_next_after_and_come_oldest_first(hubspot: RecordedServer) -> None:
    notes = run(make_connector(hubspot, page_size=2), lambda c: c.notes("512"))
    assert [(n.at.date(), n.author) for n in notes] == [
        (date(2026, 6, 1), "HubSpot"),
        (date(2026, 10, 12), "Olga Owner"),
        (date(2026, 11, 20), "Olga Owner"),
    ]
    assert notes[1].body == "Upgraded to Team, 7 seats.\nProrated invoice & credit explained."
    pages = hubspot.received("GET", "/crm/v4/objects/contacts/512/associations/notes")
    assert [p.query.get("after") for p in pages] == [None, "MjAy"]
    [batch] = hubspot.received("POST", "/crm/v3/objects/notes/batch/read")
    assert batch.json()["inputs"] == [{"id": "7001"}, {"id": "7002"}, {"id": "7003"}]
    assert batch.json()["propertiesWithHistory"] == []
    assert len(hubspot.received("GET", "/crm/v3/owners/41629779")) == 1, "owners are cached"


def test_a_429_is_retried_with_backoff(http_server: RecordedServer) -> None:
    # HubSpot's 429s carry X-HubSpot-RateLimit-* headers, not always Retry-After.
    http_server.respond(
        "GET",
        "/crm/v3/objects/contacts",
        status=429,
        json={"status": "error", "message": "You have reached your ten_secondly_rolling limit."},
        headers={"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"},
        then=[{"json": {"results": []}}],
    )
    http_server.respond("GET", "/crm/v3/objects/companies", json={"results": []})
    http_server.respond("GET", "/crm/v3/owners", json={"results": []})
    assert "accepts" in run(make_connector(http_server), lambda c: c.check())
    assert len(http_server.received("GET", "/crm/v3/objects/contacts")) == 2


def test_hubspots_error_message_reaches_the_agent(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET",
        "/crm/v3/objects/contacts/512",
        status=400,
        json={
            "status": "error",
            "message": "Property values were not valid",
            "category": "VALIDATION_ERROR",
        },
    )
    with pytest.raises(RemoteApiError, match="Property values were not valid") as raised:
        run(make_connector(http_server), lambda c: c.customer_by_id("512"))
    assert raised.value.code == "VALIDATION_ERROR"


def test_a_refused_token_names_the_variable_never_the_token(
    http_server: RecordedServer, every_log: pytest.LogCaptureFixture
) -> None:
    http_server.respond(
        "GET",
        "/crm/v3/objects/contacts",
        status=401,
        json={
            "status": "error",
            "message": "Authentication credentials not found.",
            "category": "INVALID_AUTHENTICATION",
        },
    )
    with pytest.raises(ConnectorAuthError, match="HUBSPOT__ACCESS_TOKEN") as raised:
        run(make_connector(http_server), lambda c: c.check())
    assert_secret_kept(TOKEN, raised.value, every_log)


def test_config_needs_a_token() -> None:
    with pytest.raises(ValidationError, match="access_token"):
        HubSpotConfig.model_validate({})
    assert HubSpotConfig(access_token=SecretStr("t")).base_url == "https://api.hubapi.com"
