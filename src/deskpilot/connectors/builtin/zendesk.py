"""Zendesk Support: DeskPilot's ``tickets`` capability (a ticket source and sink).

New and changed tickets come from the cursor-based incremental ticket export, with requesters
sideloaded so each ticket arrives with its customer; replies go back as public comments and
statuses as ticket updates. Ticket ids are Zendesk's, prefixed (``ZD-1042``) so they cannot be
mistaken for tickets from another source; the prefix is removed when writing back.

Authentication is an API token (``email/token``, HTTP Basic) or an OAuth access token.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr, ValidationError, model_validator

from deskpilot.connectors.base import ConnectorConfig, ConnectorContext
from deskpilot.connectors.capabilities import TicketSource
from deskpilot.connectors.errors import ConnectorError
from deskpilot.connectors.http import ApiClient, HttpConnectorConfig, paginate
from deskpilot.connectors.models import ReplyPosted, StatusUpdated
from deskpilot.models import (
    Author,
    Channel,
    Customer,
    Message,
    Priority,
    Status,
    Ticket,
)

from ._common import from_iso, hint, unreadable
from .base import HttpConnector

SERVICE = "Zendesk"
EXPORT = "/api/v2/incremental/tickets/cursor.json"
STATUS_IN = {
    "new": Status.NEW,
    "open": Status.OPEN,
    "pending": Status.PENDING,
    "hold": Status.PENDING,  # on hold: waiting on a third party, not on the agent
    "solved": Status.SOLVED,
    "closed": Status.CLOSED,
}
# Zendesk has no "escalated" status (escalation is a group or tag there), and closes solved
# tickets itself: DeskPilot's statuses map to what an agent could set in Zendesk.
STATUS_OUT = {
    Status.NEW: "open",
    Status.OPEN: "open",
    Status.PENDING: "pending",
    Status.ESCALATED: "open",
    Status.SOLVED: "solved",
    Status.CLOSED: "solved",
}
CHANNELS = {
    "email": Channel.EMAIL,
    "web": Channel.WEB,
    "web_form": Channel.WEB,
    "chat": Channel.CHAT,
    "native_messaging": Channel.CHAT,
    "voice": Channel.PHONE,
    "api": Channel.API,
}


class ZendeskConfig(HttpConnectorConfig):
    # https://<subdomain>.zendesk.com, or your host-mapped address
    base_url: str = Field(pattern=r"^https?://")
    email: str = ""  # the agent the API token belongs to (with api_token)
    # From DESKPILOT_CONNECTORS__ZENDESK__API_TOKEN or __OAUTH_TOKEN only.
    api_token: SecretStr | None = None
    oauth_token: SecretStr | None = None
    id_prefix: str = "ZD-"
    # pull_new() without a "since": open tickets changed within this many days.
    lookback_days: int = Field(30, ge=1)
    page_size: int = Field(100, ge=1, le=1000)

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> ZendeskConfig:
        if self.oauth_token is None and self.api_token is None:
            raise ValueError("set api_token (with email) or oauth_token")
        if self.api_token is not None and not self.email.strip():
            raise ValueError("an api_token needs the email of the agent it belongs to")
        return self


class ZendeskConnector(HttpConnector[ZendeskConfig], TicketSource):
    config_model: ClassVar[type[ConnectorConfig]] = ZendeskConfig
    title: ClassVar[str] = "Zendesk Support: incremental ticket export, public replies, status"

    def __init__(self, config: ZendeskConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        if config.oauth_token is not None:
            secret = config.oauth_token.get_secret_value()
            authorization = f"Bearer {secret}"
            fields = ("oauth_token",)
        else:
            assert config.api_token is not None  # the validator saw to it
            secret = config.api_token.get_secret_value()
            pair = f"{config.email.strip()}/token:{secret}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode("ascii")
            fields = ("api_token",)
        self.api = ApiClient.from_config(
            SERVICE,
            config,
            headers={"Authorization": authorization},
            secrets=[secret],
            credential_hint=hint(context, *fields),
            error_detail=_error_detail,
        )

    async def check(self) -> str:
        me = (await self.api.get("/api/v2/users/me.json")).get("user") or {}
        if not me.get("id"):
            # Zendesk answers 200 with an anonymous user when it did not accept the credentials.
            raise self.api.auth_error("signed in as anonymous")
        who = f"{me.get('email')} ({me.get('role')})"
        return f"Zendesk at {self.api.endpoint} accepts the token of {who}"

    # --- reading -------------------------------------------------------------------------------

    async def pull_new(self, since: datetime | None = None) -> list[Ticket]:
        only_open = since is None
        start = since or datetime.now(UTC) - timedelta(days=self.config.lookback_days)
        first = {
            "start_time": int(start.timestamp()),
            "include": "users",
            "per_page": self.config.page_size,
        }

        async def fetch(cursor: str | None) -> Any:
            params = {"cursor": cursor, "per_page": self.config.page_size} if cursor else first
            return await self.api.get(EXPORT, params)

        tickets: dict[str, Ticket] = {}
        pages = paginate(fetch, _after_cursor, max_pages=self.config.max_pages)
        async for page in pages:
            users = {user.get("id"): user for user in page.get("users") or []}
            for row in page.get("tickets") or []:
                if row.get("status") == "deleted":
                    continue
                ticket = self._ticket(row, users)
                if not only_open or ticket.status.is_open:
                    tickets[ticket.id] = ticket  # a later page has the newer version
        return sorted(tickets.values(), key=lambda t: t.updated_at)

    # --- writing -------------------------------------------------------------------------------

    async def post_reply(self, ticket_id: str, body: str, author_name: str = "") -> ReplyPosted:
        if not body.strip():
            raise ConnectorError("Zendesk: a reply needs some text")
        # Zendesk writes the comment as the agent who owns the token; author_name is ours only.
        update = {"ticket": {"comment": {"body": body, "public": True}}}
        answer = await self._update(ticket_id, update)
        return ReplyPosted(ticket_id=ticket_id, reference=_audit_reference(answer, ticket_id))

    async def set_status(self, ticket_id: str, status: Status) -> StatusUpdated:
        answer = await self._update(ticket_id, {"ticket": {"status": STATUS_OUT[status]}})
        return StatusUpdated(
            ticket_id=ticket_id, status=status, reference=_audit_reference(answer, ticket_id)
        )

    async def _update(self, ticket_id: str, update: dict[str, Any]) -> Any:
        number = self._zendesk_id(ticket_id)
        # A comment appended twice is two comments: a failed update is not sent again.
        answer = await self.api.json(
            "PUT", f"/api/v2/tickets/{number}.json", json=update, repeatable=False
        )
        return answer or {}

    def _zendesk_id(self, ticket_id: str) -> str:
        prefix = self.config.id_prefix
        number = ticket_id[len(prefix) :] if prefix and ticket_id.startswith(prefix) else ticket_id
        if not number.isdigit():
            raise ConnectorError(
                f"Zendesk: '{ticket_id}' is not a Zendesk ticket id (expected {prefix}<number>)"
            )
        return number

    def _ticket(self, row: dict[str, Any], users: dict[Any, dict[str, Any]]) -> Ticket:
        try:
            requester = users.get(row.get("requester_id")) or {}
            customer = _customer(requester)
            created = from_iso(row["created_at"])
            description = str(row.get("description") or "")
            messages = []
            if description:
                name = str(requester.get("name") or "")
                messages.append(
                    Message(author=Author.CUSTOMER, body=description, at=created, author_name=name)
                )
            channel = str((row.get("via") or {}).get("channel") or "")
            return Ticket(
                id=f"{self.config.id_prefix}{row['id']}",
                subject=str(row.get("subject") or row.get("raw_subject") or "(no subject)"),
                messages=messages,
                customer=customer,
                channel=CHANNELS.get(channel, Channel.EMAIL),
                status=STATUS_IN.get(str(row.get("status")), Status.OPEN),
                priority=Priority(row.get("priority") or "normal"),
                created_at=created,
                updated_at=from_iso(row.get("updated_at") or row["created_at"]),
                tags=[str(tag) for tag in row.get("tags") or []],
            )
        except (KeyError, TypeError, ValueError, ValidationError) as error:
            raise unreadable(SERVICE, f"ticket {row.get('id')}", error) from None


def _after_cursor(page: Any) -> str | None:
    if page.get("end_of_stream"):
        return None
    return page.get("after_cursor") or None


def _customer(user: dict[str, Any]) -> Customer | None:
    email = str(user.get("email") or "").strip()
    if not email or user.get("id") is None:
        return None  # a caller or a messaging user without an email: no customer to look up
    try:
        return Customer(
            id=f"zendesk-user-{user['id']}",
            email=email,
            name=str(user.get("name") or ""),
            created_at=from_iso(user["created_at"])
            if user.get("created_at")
            else datetime.now(UTC),
        )
    except ValidationError:
        return None


def _audit_reference(answer: Any, ticket_id: str) -> str:
    audit = answer.get("audit") or {}
    return f"audit {audit['id']}" if audit.get("id") else f"ticket {ticket_id} updated"


def _error_detail(response: httpx.Response) -> str:
    """Zendesk: ``{"error": "RecordInvalid", "description": "...", "details": {...}}``."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):  # some endpoints: {"error": {"title", "message"}}
        return str(error.get("message") or error.get("title") or "")
    said = [str(body.get("description") or error or "")]
    for problems in (body.get("details") or {}).values():
        said += [str(p.get("description")) for p in problems if isinstance(p, dict)]
    return "; ".join(s for s in said if s)
