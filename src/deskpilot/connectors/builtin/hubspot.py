"""HubSpot: DeskPilot's ``crm`` capability over the HubSpot CRM API (v3 objects, v4 associations).

A customer is a HubSpot contact (looked up by email with ``idProperty=email``); the account
record is the contact's primary company (the v4 association of HubSpot-defined type 1, "Primary",
else the first company) with its owner; notes are the note engagements associated with the
contact, paged with ``paging.next.after`` and read in batches. Past tickets stay the desk's own
(the default ``history``).

Scopes: ``crm.objects.contacts.read`` (contacts, notes, associations),
``crm.objects.companies.read`` and ``crm.objects.owners.read`` (the account owner and note
authors). HubSpot answers a missing scope with 403 ``MISSING_SCOPES``: ``check()`` names the
scope; ``record()`` without the owners scope shows the record without its owner and logs why.

The paths pinned here are HubSpot's v3 objects and v4 associations, the versions its published
specs describe. HubSpot ends support for v4 on 2027-03-30 and for v1-v3 and legacy private apps
in September 2027, in favour of date-versioned paths (``/crm/objects/2026-03/...``) and service
keys; ``base_url`` stays the same, the paths will move when the published specs do.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorConfig, ConnectorContext
from deskpilot.connectors.capabilities import Crm
from deskpilot.connectors.errors import ConnectorPermissionError
from deskpilot.connectors.http import (
    ApiClient,
    HttpConnectorConfig,
    cursor_pages,
    generic_error_detail,
)
from deskpilot.models import CrmNote, CrmRecord, Customer

from ._common import day, from_iso, hint, int_or, plain_text, tier_of, unreadable
from .base import HttpConnector

log = logging.getLogger(__name__)

SERVICE = "HubSpot"
# What each read needs (HubSpot's OAuth scopes, the same for a private app's token).
SCOPES = {
    "/crm/v3/objects/contacts": "crm.objects.contacts.read",
    "/crm/v3/objects/companies": "crm.objects.companies.read",
    "/crm/v3/owners": "crm.objects.owners.read",
}
# HubSpot's association type for a contact's primary company (HUBSPOT_DEFINED, typeId 1,
# label "Primary"); typeId 279 is the unlabelled contact_to_company association every linked
# company also has.
PRIMARY_COMPANY = ("HUBSPOT_DEFINED", 1)
CONTACT_PROPERTIES = ["email", "firstname", "lastname", "company", "createdate"]
COMPANY_PROPERTIES = ["name", "hubspot_owner_id", "createdate", "total_revenue"]
NOTE_PROPERTIES = ["hs_note_body", "hs_timestamp", "hubspot_owner_id"]
BATCH = 100  # HubSpot's batch read takes at most 100 ids


class HubSpotConfig(HttpConnectorConfig):
    base_url: str = Field("https://api.hubapi.com", pattern=r"^https?://")
    # From DESKPILOT_CONNECTORS__HUBSPOT__ACCESS_TOKEN only: a private app's (or a service
    # key's) token with the crm.objects.contacts.read, crm.objects.companies.read and
    # crm.objects.owners.read scopes.
    access_token: SecretStr
    # Company properties holding DeskPilot's tier and seat count, if your portal has them.
    tier_property: str = ""
    seats_property: str = ""
    page_size: int = Field(100, ge=1, le=500)


class HubSpotConnector(HttpConnector[HubSpotConfig], Crm):
    config_model: ClassVar[type[ConnectorConfig]] = HubSpotConfig
    title: ClassVar[str] = "HubSpot: contacts, companies and notes"

    def __init__(self, config: HubSpotConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        token = config.access_token.get_secret_value()
        self.api = ApiClient.from_config(
            SERVICE,
            config,
            headers={"Authorization": f"Bearer {token}"},
            secrets=[token],
            credential_hint=hint(context, "access_token"),
            error_detail=_error_detail,
            permission_codes={"MISSING_SCOPES"},
        )
        self._owners: dict[str, str] = {}
        self._owners_refused = False  # no crm.objects.owners.read: records without owners

    async def check(self) -> str:
        """The token works (a refused one fails on the first read) and has every scope the
        desk's reads need; a missing one is named as a missing scope."""
        missing: list[str] = []
        for path, scope in SCOPES.items():
            try:
                await self.api.get(path, {"limit": 1})
            except ConnectorPermissionError:
                missing.append(scope)
        if missing:
            raise ConnectorPermissionError(
                f"HubSpot accepts the access token, but it is missing the scope"
                f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} (403 MISSING_SCOPES); "
                f"add {'them' if len(missing) > 1 else 'it'} to the app's scopes and use its "
                "new token"
            )
        return (
            f"HubSpot at {self.api.endpoint} accepts the access token "
            f"(scopes {', '.join(SCOPES.values())})"
        )

    # --- customers -----------------------------------------------------------------------------

    async def customer_by_email(self, email: str) -> Customer | None:
        address = email.strip().lower()
        if not address:
            return None
        row = await self._contact(address, id_property="email")
        return _customer(row) if row else None

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        if not customer_id.isdigit():
            return None  # HubSpot record ids are numbers
        row = await self._contact(customer_id)
        return _customer(row) if row else None

    async def record(self, customer_id: str) -> CrmRecord | None:
        if not customer_id.isdigit():
            return None
        contact = await self._contact(customer_id)
        if contact is None:
            return None
        company = await self._primary_company(customer_id)
        return CrmRecord(
            customer_id=customer_id,
            company=str(company.get("name") or contact["properties"].get("company") or ""),
            tier=tier_of(
                company.get(self.config.tier_property) if self.config.tier_property else ""
            ),
            account_owner=await self._owner(company.get("hubspot_owner_id")),
            seats=int_or(company.get(self.config.seats_property), 1)
            if self.config.seats_property
            else 1,
            signed_up=day(company.get("createdate") or contact["properties"].get("createdate")),
            lifetime_value=float(company.get("total_revenue") or 0),
            notes=await self.notes(customer_id),
        )

    async def notes(self, customer_id: str) -> list[CrmNote]:
        if not customer_id.isdigit():
            return []
        pages = cursor_pages(
            self.api,
            f"/crm/v4/objects/contacts/{customer_id}/associations/notes",
            params={"limit": self.config.page_size},
            cursor_param="after",
            next_cursor=_next_after,
            max_pages=self.config.max_pages,
        )
        ids = [str(row["toObjectId"]) async for page in pages for row in page.get("results") or []]
        notes: list[CrmNote] = []
        for start in range(0, len(ids), BATCH):
            body = {
                "properties": NOTE_PROPERTIES,
                # Required by HubSpot's spec for a batch read, even when no history is wanted.
                "propertiesWithHistory": [],
                "inputs": [{"id": note_id} for note_id in ids[start : start + BATCH]],
            }
            # A batch read is a POST that changes nothing: safe to repeat after a 5xx.
            answer = await self.api.json(
                "POST", "/crm/v3/objects/notes/batch/read", json=body, repeatable=True
            )
            for row in answer.get("results") or []:
                notes.append(await self._note(row))
        notes.sort(key=lambda note: note.at)
        return notes

    # --- helpers -------------------------------------------------------------------------------

    async def _contact(self, key: str, *, id_property: str = "") -> dict[str, Any] | None:
        params = {"properties": ",".join(CONTACT_PROPERTIES), "idProperty": id_property or None}
        row = await self.api.get(f"/crm/v3/objects/contacts/{key}", params, not_found=True)
        if row is None or row.get("archived"):
            return None
        return dict(row)

    async def _primary_company(self, contact_id: str) -> dict[str, Any]:
        """The contact's primary company's properties ({} without a company)."""
        answer = await self.api.get(
            f"/crm/v4/objects/contacts/{contact_id}/associations/companies", {"limit": 500}
        )
        linked = list((answer or {}).get("results") or [])
        primary = next((row for row in linked if _is_primary(row)), linked[0] if linked else None)
        if primary is None:
            return {}
        properties = [*COMPANY_PROPERTIES, self.config.tier_property, self.config.seats_property]
        row = await self.api.get(
            f"/crm/v3/objects/companies/{primary['toObjectId']}",
            {"properties": ",".join(p for p in properties if p)},
            not_found=True,
        )
        return dict((row or {}).get("properties") or {})

    async def _owner(self, owner_id: Any) -> str:
        if not owner_id:
            return ""
        key = str(owner_id)
        if self._owners_refused:
            return ""
        if key not in self._owners:
            try:
                row = await self.api.get(f"/crm/v3/owners/{key}", not_found=True) or {}
            except ConnectorPermissionError as error:
                # The record is still worth showing; the owner is the one thing missing.
                self._owners_refused = True
                log.warning(
                    "HubSpot: showing records without their owner: the token lacks the "
                    "crm.objects.owners.read scope (%s)",
                    error,
                )
                return ""
            name = f"{row.get('firstName') or ''} {row.get('lastName') or ''}".strip()
            self._owners[key] = name or str(row.get("email") or "")
        return self._owners[key]

    async def _note(self, row: dict[str, Any]) -> CrmNote:
        try:
            properties = row.get("properties") or {}
            at = properties.get("hs_timestamp") or row["createdAt"]
            author = await self._owner(properties.get("hubspot_owner_id"))
            return CrmNote(
                at=from_iso(at),
                author=author or "HubSpot",
                body=plain_text(str(properties.get("hs_note_body") or "")),
            )
        except (KeyError, TypeError, ValueError, ValidationError) as error:
            raise unreadable(SERVICE, "a note", error) from None


def _is_primary(row: dict[str, Any]) -> bool:
    """A v4 association row naming the primary company among its association types."""
    return any(
        (kind.get("category"), kind.get("typeId")) == PRIMARY_COMPANY
        for kind in row.get("associationTypes") or []
        if isinstance(kind, dict)
    )


def _error_detail(response: httpx.Response) -> str:
    """HubSpot's message, with the scopes a 403 MISSING_SCOPES says are required."""
    said = generic_error_detail(response)
    try:
        body = response.json()
    except ValueError:
        return said
    if not isinstance(body, dict):
        return said
    details = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    contexts = [body.get("context"), *(detail.get("context") for detail in details)]
    scopes: list[str] = []
    for context in contexts:
        if not isinstance(context, dict):
            continue
        for key in ("requiredGranularScopes", "requiredScopes", "missingScopes"):
            scopes += [str(s) for s in context.get(key) or [] if str(s) not in scopes]
    return f"{said} (needs {', '.join(scopes)})" if scopes else said


def _next_after(page: Any) -> str | None:
    after = ((page.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after else None


def _customer(row: dict[str, Any]) -> Customer | None:
    try:
        properties = row.get("properties") or {}
        email = str(properties.get("email") or "").strip()
        if not email:
            return None
        name = f"{properties.get('firstname') or ''} {properties.get('lastname') or ''}".strip()
        return Customer(
            id=str(row["id"]),
            email=email,
            name=name,
            company=str(properties.get("company") or ""),
            created_at=from_iso(row.get("createdAt") or properties["createdate"]),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise unreadable(SERVICE, "a contact", error) from None
