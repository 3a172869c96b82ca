"""Salesforce: DeskPilot's ``crm`` capability over the Salesforce REST API (SOQL queries).

A customer is a Contact; the account record is its Account with the owner; notes are the
Notes on the contact and the account; history adds the contact's Cases to the desk's own past
tickets. Queries follow ``nextRecordsUrl`` until ``done``. ``base_url`` is the org's instance URL
(``https://acme.my.salesforce.com``), the one the OAuth token answer names.

Values are escaped into SOQL and ids checked for Salesforce's id shape, so nothing a customer
types becomes part of a query. Salesforce's daily request limit is a 403
``REQUEST_LIMIT_EXCEEDED``: reported as a rate limit, not as refused credentials.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorConfig, ConnectorContext
from deskpilot.connectors.capabilities import Crm
from deskpilot.connectors.http import ApiClient, HttpConnectorConfig, link_pages
from deskpilot.connectors.models import CustomerHistory
from deskpilot.models import (
    Channel,
    CrmNote,
    CrmRecord,
    Customer,
    Priority,
    Status,
    TicketSummary,
)

from ._common import day, from_iso, hint, int_or, tier_of, unreadable
from .base import HttpConnector

SERVICE = "Salesforce"
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
FIELD_NAME = r"^([A-Za-z][A-Za-z0-9_]*)?$"  # an API field name (Tier__c), or empty
CONTACT_FIELDS = "Id, Email, FirstName, LastName, Name, CreatedDate, AccountId, Account.Name"
CASE_STATUS = {
    "new": Status.NEW,
    "working": Status.OPEN,
    "escalated": Status.ESCALATED,
    "on hold": Status.PENDING,
    "closed": Status.CLOSED,
}
CASE_PRIORITY = {"high": Priority.HIGH, "medium": Priority.NORMAL, "low": Priority.LOW}
CASE_ORIGIN = {"email": Channel.EMAIL, "web": Channel.WEB, "phone": Channel.PHONE}


class SalesforceConfig(HttpConnectorConfig):
    base_url: str = Field(pattern=r"^https?://")  # the instance URL
    # From DESKPILOT_CONNECTORS__SALESFORCE__ACCESS_TOKEN only (an OAuth access token).
    access_token: SecretStr
    api_version: str = Field("v61.0", pattern=r"^v\d+\.\d$")
    # Account fields for DeskPilot's tier, seat count and account value, if your org has them.
    tier_field: str = Field("", pattern=FIELD_NAME)
    seats_field: str = Field("", pattern=FIELD_NAME)
    value_field: str = Field("", pattern=FIELD_NAME)
    include_cases: bool = True  # the contact's Cases in the customer's history
    page_size: int = Field(200, ge=200, le=2000)  # records per query batch (Salesforce's range)


class SalesforceConnector(HttpConnector[SalesforceConfig], Crm):
    config_model: ClassVar[type[ConnectorConfig]] = SalesforceConfig
    title: ClassVar[str] = "Salesforce: contacts, accounts, notes and cases"

    def __init__(self, config: SalesforceConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        token = config.access_token.get_secret_value()
        self.api = ApiClient.from_config(
            SERVICE,
            config,
            headers={
                "Authorization": f"Bearer {token}",
                "Sforce-Query-Options": f"batchSize={config.page_size}",
            },
            secrets=[token],
            credential_hint=hint(context, "access_token"),
            rate_limit_codes={"REQUEST_LIMIT_EXCEEDED"},
        )
        self.data = f"/services/data/{config.api_version}"

    async def check(self) -> str:
        limits = await self.api.get(f"{self.data}/limits")
        daily = limits.get("DailyApiRequests") or {}
        left = f" ({daily.get('Remaining')} of {daily.get('Max')} API requests left today)"
        return f"Salesforce at {self.api.endpoint} accepts the access token" + (
            left if daily else ""
        )

    # --- customers -----------------------------------------------------------------------------

    async def customer_by_email(self, email: str) -> Customer | None:
        address = email.strip().lower()
        if not address:
            return None
        soql = (
            f"SELECT {CONTACT_FIELDS} FROM Contact WHERE Email = '{_soql(address)}' "
            "ORDER BY CreatedDate LIMIT 1"
        )
        return await self._one_customer(soql)

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        if not SALESFORCE_ID.match(customer_id):
            return None
        return await self._one_customer(
            f"SELECT {CONTACT_FIELDS} FROM Contact WHERE Id = '{customer_id}'"
        )

    async def record(self, customer_id: str) -> CrmRecord | None:
        contact = await self._contact(customer_id)
        if contact is None:
            return None
        account = await self._account(contact.get("AccountId"))
        fields = self.config
        return CrmRecord(
            customer_id=customer_id,
            company=str(account.get("Name") or (contact.get("Account") or {}).get("Name") or ""),
            tier=tier_of(account.get(fields.tier_field) if fields.tier_field else None),
            account_owner=str((account.get("Owner") or {}).get("Name") or ""),
            seats=int_or(account.get(fields.seats_field), 1) if fields.seats_field else 1,
            signed_up=day(account.get("CreatedDate")),
            lifetime_value=float(account.get(fields.value_field) or 0) if fields.value_field else 0,
            notes=await self._notes(contact),
        )

    async def notes(self, customer_id: str) -> list[CrmNote]:
        contact = await self._contact(customer_id)
        return [] if contact is None else await self._notes(contact)

    async def history(self, customer_id: str, limit: int = 20) -> CustomerHistory:
        """The desk's own past tickets and the contact's Cases, newest first."""
        own = await super().history(customer_id, limit)
        if not self.config.include_cases or not SALESFORCE_ID.match(customer_id) or limit <= 0:
            return own
        soql = (
            "SELECT Id, CaseNumber, Subject, Status, Priority, Origin, IsClosed, CreatedDate, "
            f"LastModifiedDate FROM Case WHERE ContactId = '{customer_id}' "
            f"ORDER BY CreatedDate DESC LIMIT {limit}"
        )
        cases = [_case(row, customer_id) async for row in self._query(soql)]
        tickets = sorted([*own.tickets, *cases], key=lambda t: t.created_at, reverse=True)
        return CustomerHistory(customer_id=customer_id, tickets=tickets[:limit])

    # --- queries -------------------------------------------------------------------------------

    def _query(self, soql: str) -> AsyncIterator[dict[str, Any]]:
        pages = link_pages(
            self.api,
            f"{self.data}/query",
            params={"q": soql},
            next_url=_next_records,
            max_pages=self.config.max_pages,
        )

        async def records() -> AsyncIterator[dict[str, Any]]:
            async for page in pages:
                for row in page.get("records") or []:
                    yield row

        return records()

    async def _first(self, soql: str) -> dict[str, Any] | None:
        async for row in self._query(soql):
            return row
        return None

    async def _one_customer(self, soql: str) -> Customer | None:
        row = await self._first(soql)
        return _customer(row) if row else None

    async def _contact(self, customer_id: str) -> dict[str, Any] | None:
        if not SALESFORCE_ID.match(customer_id):
            return None
        return await self._first(f"SELECT {CONTACT_FIELDS} FROM Contact WHERE Id = '{customer_id}'")

    async def _account(self, account_id: Any) -> dict[str, Any]:
        if not account_id or not SALESFORCE_ID.match(str(account_id)):
            return {}
        extra = [self.config.tier_field, self.config.seats_field, self.config.value_field]
        fields = ", ".join(["Id", "Name", "Owner.Name", "CreatedDate", *(f for f in extra if f)])
        return await self._first(f"SELECT {fields} FROM Account WHERE Id = '{account_id}'") or {}

    async def _notes(self, contact: dict[str, Any]) -> list[CrmNote]:
        parents = [str(contact["Id"])]
        if contact.get("AccountId") and SALESFORCE_ID.match(str(contact["AccountId"])):
            parents.append(str(contact["AccountId"]))
        listed = ", ".join(f"'{parent}'" for parent in parents)
        soql = (
            "SELECT Id, Title, Body, CreatedDate, CreatedBy.Name FROM Note "
            f"WHERE ParentId IN ({listed}) ORDER BY CreatedDate ASC"
        )
        return [_note(row) async for row in self._query(soql)]


def _next_records(_response: httpx.Response, page: Any) -> str | None:
    if page.get("done", True):
        return None
    url = page.get("nextRecordsUrl")
    return str(url) if url else None


def _soql(value: str) -> str:
    """A value inside single quotes in SOQL."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _customer(row: dict[str, Any]) -> Customer | None:
    try:
        email = str(row.get("Email") or "").strip()
        if not email:
            return None
        name = row.get("Name") or f"{row.get('FirstName') or ''} {row.get('LastName') or ''}"
        return Customer(
            id=str(row["Id"]),
            email=email,
            name=str(name).strip(),
            company=str((row.get("Account") or {}).get("Name") or ""),
            created_at=from_iso(row["CreatedDate"]),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise unreadable(SERVICE, "a contact", error) from None


def _note(row: dict[str, Any]) -> CrmNote:
    try:
        title, body = str(row.get("Title") or ""), str(row.get("Body") or "")
        return CrmNote(
            at=from_iso(row["CreatedDate"]),
            author=str((row.get("CreatedBy") or {}).get("Name") or "Salesforce"),
            body=f"{title}: {body}" if title and body else title or body,
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise unreadable(SERVICE, "a note", error) from None


def _case(row: dict[str, Any], customer_id: str) -> TicketSummary:
    try:
        status = CASE_STATUS.get(str(row.get("Status") or "").lower())
        if status is None:
            status = Status.CLOSED if row.get("IsClosed") else Status.OPEN
        return TicketSummary(
            id=f"SF-{row['CaseNumber']}",
            subject=str(row.get("Subject") or "(no subject)"),
            status=status,
            priority=CASE_PRIORITY.get(str(row.get("Priority") or "").lower(), Priority.NORMAL),
            channel=CASE_ORIGIN.get(str(row.get("Origin") or "").lower(), Channel.EMAIL),
            created_at=from_iso(row["CreatedDate"]),
            updated_at=from_iso(row.get("LastModifiedDate") or row["CreatedDate"]),
            customer_id=customer_id,
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise unreadable(SERVICE, "a case", error) from None
