"""Salesforce: DeskPilot's ``crm`` capability over the Salesforce REST API (SOQL queries).

A customer is a Contact; the account record is its Account with the owner; notes are those on
the contact and the account, both kinds: classic ``Note`` records and the notes taken in
Lightning (``ContentNote``, linked to their records by ``ContentDocumentLink``); history adds
the contact's Cases to the desk's own past tickets. Queries follow ``nextRecordsUrl`` until
``done``. ``base_url`` is the org's instance URL (``https://acme.my.salesforce.com``), the one
the OAuth token answer names.

Values are escaped into SOQL and ids checked for Salesforce's id shape, so nothing a customer
types becomes part of a query. Salesforce's daily request limit is a 403
``REQUEST_LIMIT_EXCEEDED``: reported as a rate limit, not as refused credentials.

A least-privilege integration user is enough: API Enabled and Read on Contact, Account, Note,
ContentNote (notes in Lightning) and Case. ``check()`` asks for the objects this user may query
(the describe-global resource, which needs no admin permission; ``/limits`` would need "View
Setup and Configuration") and names any it lacks; a missing permission is reported as such, never
as bad credentials (those are 401 ``INVALID_SESSION_ID``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorConfig, ConnectorContext
from deskpilot.connectors.capabilities import Crm
from deskpilot.connectors.errors import ConnectorPermissionError
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

from ._common import day, from_iso, hint, int_or, plain_text, tier_of, unreadable
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
# The objects the desk reads; Case only with include_cases.
READ_OBJECTS = ("Contact", "Account", "Note", "ContentNote", "ContentDocumentLink")
# Salesforce's codes for "your credentials are fine, your permissions are not".
PERMISSION_CODES = frozenset(
    {"INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY", "API_DISABLED_FOR_ORG"}
    | {"API_CURRENTLY_DISABLED", "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY"}
    | {"FUNCTIONALITY_NOT_ENABLED", "INVALID_TYPE"}
)
IN_CHUNK = 100  # ids per IN (...) list, well within SOQL's query length


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
            permission_codes=PERMISSION_CODES,
        )
        self.data = f"/services/data/{config.api_version}"

    async def check(self) -> str:
        """The token works and its user may query every object the desk reads. Describe-global
        lists the objects this user can see, with no admin permission needed."""
        described = await self.api.get(f"{self.data}/sobjects")
        queryable = {
            str(row.get("name"))
            for row in (described or {}).get("sobjects") or []
            if isinstance(row, dict) and row.get("queryable")
        }
        wanted = [*READ_OBJECTS, *(["Case"] if self.config.include_cases else [])]
        missing = [name for name in wanted if name not in queryable]
        if missing:
            raise ConnectorPermissionError(
                f"Salesforce accepts the access token, but its user may not read "
                f"{', '.join(missing)}; give the integration user Read on "
                f"{', '.join(wanted)} (a permission set is enough)"
                + ("; or set include_cases = false" if missing == ["Case"] else "")
            )
        return (
            f"Salesforce at {self.api.endpoint} accepts the access token; its user may read "
            f"{', '.join(wanted)}"
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
        """Classic Notes and Lightning notes on the contact and its account, oldest first."""
        parents = [str(contact["Id"])]
        if contact.get("AccountId") and SALESFORCE_ID.match(str(contact["AccountId"])):
            parents.append(str(contact["AccountId"]))
        listed = _id_list(parents)
        soql = (
            "SELECT Id, Title, Body, CreatedDate, CreatedBy.Name FROM Note "
            f"WHERE ParentId IN ({listed}) ORDER BY CreatedDate ASC"
        )
        notes = [_note(row) async for row in self._query(soql)]
        notes += await self._lightning_notes(listed)
        notes.sort(key=lambda note: note.at)
        return notes

    async def _lightning_notes(self, parents: str) -> list[CrmNote]:
        """ContentNotes linked to the parents: the links name the documents (a note is a
        document of type SNOTE), then the notes are read with their bodies."""
        links = (
            "SELECT ContentDocumentId FROM ContentDocumentLink "
            f"WHERE LinkedEntityId IN ({parents}) AND ContentDocument.FileType = 'SNOTE'"
        )
        ids: list[str] = []
        async for row in self._query(links):
            document = str(row.get("ContentDocumentId") or "")
            if SALESFORCE_ID.match(document) and document not in ids:
                ids.append(document)
        notes: list[CrmNote] = []
        for start in range(0, len(ids), IN_CHUNK):
            soql = (
                "SELECT Id, Title, TextPreview, Content, CreatedDate, CreatedBy.Name "
                f"FROM ContentNote WHERE Id IN ({_id_list(ids[start : start + IN_CHUNK])}) "
                "ORDER BY CreatedDate ASC"
            )
            async for row in self._query(soql):
                notes.append(_note(row, body=await self._note_body(row)))
        return notes

    async def _note_body(self, row: dict[str, Any]) -> str:
        """A Lightning note's whole text: its Content (HTML, fetched from the URL the query
        gives), else the preview the query carries."""
        content = row.get("Content")
        preview = str(row.get("TextPreview") or "")
        if not isinstance(content, str) or not content.startswith(f"{self.data}/sobjects/"):
            return preview
        response = await self.api.request("GET", content, not_found=True)
        if response is None:
            return preview
        return plain_text(response.text) or preview


def _next_records(_response: httpx.Response, page: Any) -> str | None:
    if page.get("done", True):
        return None
    url = page.get("nextRecordsUrl")
    return str(url) if url else None


def _id_list(ids: list[str]) -> str:
    """Checked Salesforce ids as a SOQL IN list."""
    return ", ".join(f"'{value}'" for value in ids if SALESFORCE_ID.match(value))


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


def _note(row: dict[str, Any], body: str | None = None) -> CrmNote:
    try:
        title = str(row.get("Title") or "")
        body = str(row.get("Body") or "") if body is None else body
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
