"""Zendesk Support: the ``tickets`` capability, a channel the desk syncs and replies through.

Inbound, ``pull(cursor)`` finds the tickets changed since the last sync and imports each one's
whole comment thread (every page, users side-loaded on every page), one ``InboundMessage`` per
comment. Which tickets changed comes from one of two places, named by the ``sync`` setting:

* ``"search"`` (the default): the search API (``type:ticket updated>…``, sorted by update),
  which an agent's token may use. It returns at most 1,000 results a query, so a longer backlog
  is read in windows, each starting where the last one ended; it also lags a few minutes behind
  writes, so each sync looks back ``search_overlap_seconds`` and skips what it already saw.
* ``"export"``: the cursor-based incremental ticket export, complete and exact but allowed for
  admins only and limited to 10 requests a minute (30 with the High Volume add-on), which the
  connector paces itself to (``export_requests_per_minute``).

Rate limits are waited out, never a failure: a 429's ``Retry-After`` is honoured up to
``sync_max_wait_seconds`` a time (logged with the wait), so a first sync of thousands of tickets
completes. The cursor given back to the desk is resumable JSON: the last update time seen, the
tickets seen near it, and the export's own cursor.

Outbound, ``deliver`` adds a public comment (a ticket update) that carries the reply's
``message_id`` in the update's custom audit metadata; ``find_delivered`` looks for that audit,
so a retry after an unknown outcome never comments twice.

The older ``pull_new``/``post_reply``/``set_status`` stay (``TicketSource`` requires
``pull_new``; the contract kit and the demo use the others). Ticket ids there are Zendesk's,
prefixed (``ZD-1042``); the channel contract uses Zendesk's own ids (``1042``) as
``ticket_external_id`` and comment ids as message ``external_id``.

Authentication is an API token (``email/token``, HTTP Basic) or an OAuth access token.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, SecretStr, ValidationError, model_validator

from deskpilot.connectors.base import ConnectorConfig, ConnectorContext
from deskpilot.connectors.capabilities import TicketSource
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorPermissionError,
    ConnectorRateLimitedError,
    DeliveryError,
    RemoteApiError,
)
from deskpilot.connectors.http import ApiClient, HttpConnectorConfig, RequestPacer
from deskpilot.connectors.models import (
    Delivered,
    InboundAttachment,
    InboundMessage,
    OutboundReply,
    Pulled,
    ReplyPosted,
    StatusUpdated,
)
from deskpilot.models import (
    Author,
    Channel,
    Customer,
    Message,
    Priority,
    Status,
    Ticket,
)
from deskpilot.terminal_text import visible

from ._common import from_iso, hint, unreadable
from .base import HttpConnector

log = logging.getLogger(__name__)

SERVICE = "Zendesk"
ME = "/api/v2/users/me"
SEARCH = "/api/v2/search"
EXPORT = "/api/v2/incremental/tickets/cursor"
SHOW_MANY_USERS = "/api/v2/users/show_many"
SEARCH_RESULTS_LIMIT = 1000  # "The Search API returns up to 1,000 results per query"
SEARCH_PAGE_SIZE = 100  # the most a search page holds
COMMENTS_PAGE_SIZE = 100  # the most a comments page holds
SHOW_MANY_LIMIT = 100  # "up to 100 user ids"
EXPORT_MIN_AGE = 60  # the export refuses a start_time less than a minute ago
MESSAGE_ID_KEY = "deskpilot_message_id"  # in a reply's custom audit metadata
STAFF_ROLES = frozenset({"agent", "admin"})
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
SYNC_NEEDS = {
    "search": "the search API, open to agents",
    "export": "the incremental export, for admins only",
}

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class ZendeskConfig(HttpConnectorConfig):
    # https://<subdomain>.zendesk.com, or your host-mapped address
    base_url: str = Field(pattern=r"^https?://")
    email: str = ""  # the agent the API token belongs to (with api_token)
    # From DESKPILOT_CONNECTORS__ZENDESK__API_TOKEN or __OAUTH_TOKEN only.
    api_token: SecretStr | None = None
    oauth_token: SecretStr | None = None
    id_prefix: str = "ZD-"
    # Where the sync learns which tickets changed: "search" works with an agent's token;
    # "export" (the incremental export) needs an admin's.
    sync: Literal["search", "export"] = "search"
    # The first sync (and pull_new() without a "since"): tickets changed within this many days.
    lookback_days: int = Field(30, ge=1)
    page_size: int = Field(100, ge=1, le=1000)  # tickets per export page
    # Zendesk allows the export 10 requests a minute (30 with the High Volume add-on).
    export_requests_per_minute: int = Field(10, ge=1, le=1000)
    # Search results appear a few minutes after a change: each sync looks back this far again.
    search_overlap_seconds: int = Field(300, ge=0)
    # The sync runs in the background, so it waits out rate limits an agent's panel would not:
    # a Retry-After up to this long, this many times for one request.
    sync_max_wait_seconds: float = Field(300.0, ge=0)
    sync_max_retries: int = Field(30, ge=0, le=1000)
    # The Zendesk user replies are written as (an agent's id); empty: the token's owner.
    reply_author_id: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> ZendeskConfig:
        if self.oauth_token is None and self.api_token is None:
            raise ValueError("set api_token (with email) or oauth_token")
        if self.api_token is not None and not self.email.strip():
            raise ValueError("an api_token needs the email of the agent it belongs to")
        return self


class ZendeskConnector(HttpConnector[ZendeskConfig], TicketSource):
    config_model: ClassVar[type[ConnectorConfig]] = ZendeskConfig
    title: ClassVar[str] = (
        "Zendesk Support: ticket sync by search or incremental export, comment threads, "
        "public replies, status"
    )

    def __init__(self, config: ZendeskConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        if config.oauth_token is not None:
            secret = config.oauth_token.get_secret_value()
            authorization = f"Bearer {secret}"
            fields: tuple[str, ...] = ("oauth_token",)
        else:
            assert config.api_token is not None  # the validator saw to it
            secret = config.api_token.get_secret_value()
            pair = f"{config.email.strip()}/token:{secret}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode("ascii")
            fields = ("api_token",)
        options: dict[str, Any] = {
            "headers": {"Authorization": authorization},
            "secrets": [secret],
            "credential_hint": hint(context, *fields),
            "error_detail": _error_detail,
        }
        self.api = ApiClient.from_config(SERVICE, config, **options)
        self.sleep: Sleep = asyncio.sleep
        self.export_pacer = RequestPacer(
            config.export_requests_per_minute,
            "the incremental export",
            time.monotonic,
            service=SERVICE,
        )

    def use_clock(self, clock: Clock, sleep: Sleep) -> None:
        """Measure and wait with these instead of the real ones (tests: a fake clock)."""
        self.api.sleep = self.sleep = self.export_pacer.sleep = sleep
        self.export_pacer.clock = clock

    async def _sync_get(self, path: str, params: dict[str, Any], *, not_found: bool = False) -> Any:
        """A GET for the sync, which runs in the background and so waits out rate limits an
        agent's panel would not: a Retry-After up to ``sync_max_wait_seconds``, up to
        ``sync_max_retries`` times, each wait logged. Other failures are the client's usual
        (a few quick retries of a 5xx, then an error)."""
        retries = self.config.sync_max_retries
        for attempt in range(1, retries + 2):
            try:
                return await self.api.get(path, params, not_found=not_found)
            except ConnectorRateLimitedError as error:
                asked = error.retry_after
                wait = asked if asked is not None else self.api.retry.backoff_wait(attempt)
                if attempt > retries or wait > self.config.sync_max_wait_seconds:
                    raise
                log.info(
                    "%s: rate limited on GET %s; waiting %.0f s as asked, then retry %d of %d",
                    SERVICE,
                    path,
                    wait,
                    attempt,
                    retries,
                )
                await self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def check(self) -> str:
        me = (await self.api.get(ME)).get("user") or {}
        if not me.get("id"):
            # Zendesk answers 200 with an anonymous user when it did not accept the credentials.
            raise self.api.auth_error("signed in as anonymous")
        role = str(me.get("role") or "")
        who = f"{me.get('email')} ({role})"
        if self.config.sync == "export" and role != "admin":
            raise ConnectorPermissionError(_export_needs_admin(who))
        sync = self.config.sync
        return (
            f"Zendesk at {self.api.endpoint} accepts the token of {who}; "
            f'sync = "{sync}" ({SYNC_NEEDS[sync]})'
        )

    # --- the channel: inbound ----------------------------------------------------------------

    async def pull(self, cursor: str | None) -> Pulled:
        """Every comment of every ticket changed since ``cursor``, ticket by ticket in the
        order of their last change; the cursor moves past each ticket once its whole thread is
        read. A failure part-way returns what was read (and a cursor after it) unless nothing
        was; rate limits are waited out."""
        state = SyncState.parse(cursor, self._lookback_start())
        start = state.copy()
        users = UserDirectory(self)
        messages: list[InboundMessage] = []
        try:
            async with contextlib.aclosing(self._changes(state, users)) as changes:
                async for row, export_cursor in changes:
                    if row is None:
                        state.export_cursor = export_cursor
                        continue
                    if state.saw(row):
                        continue
                    if row.get("status") != "deleted":
                        messages.extend(await self._thread(row, users))
                    state.advance(row, self.config.search_overlap_seconds)
        except ConnectorError as error:
            if state == start:
                raise
            log.warning(
                "%s: sync stopped after %d messages (%s); the next sync goes on from there",
                SERVICE,
                len(messages),
                visible(str(error), one_line=True),  # Zendesk's own words: outside text
            )
        return Pulled(messages=messages, cursor=state.dump())

    def _lookback_start(self) -> int:
        return int((datetime.now(UTC) - timedelta(days=self.config.lookback_days)).timestamp())

    def _changes(
        self, state: SyncState, users: UserDirectory
    ) -> AsyncGenerator[tuple[dict[str, Any] | None, str], None]:
        """Changed tickets in the order of change: ``(row, "")``; the export also yields
        ``(None, its cursor)`` after each page it finished."""
        if self.config.sync == "export":
            return self._export_changes(state, users)
        return self._search_changes(state)

    async def _search_changes(
        self, state: SyncState
    ) -> AsyncGenerator[tuple[dict[str, Any] | None, str], None]:
        window = state.since - self.config.search_overlap_seconds
        while True:
            last: dict[str, Any] | None = None
            read = 0
            for page in range(1, SEARCH_RESULTS_LIMIT // SEARCH_PAGE_SIZE + 1):
                params = {
                    "query": f"type:ticket updated>{_search_time(window)}",
                    "sort_by": "updated_at",
                    "sort_order": "asc",
                    "page": page,
                    "per_page": SEARCH_PAGE_SIZE,
                }
                body = await self._sync_get(SEARCH, params) or {}
                rows = [r for r in body.get("results") or [] if isinstance(r, dict)]
                for row in rows:
                    yield row, ""
                read += len(rows)
                last = rows[-1] if rows else last
                if not rows or not body.get("next_page"):
                    return
            # Past the 1,000 results one query may return: a new query from the last change
            # read (a second earlier, so tickets changed in that same second are not lost;
            # the ones already read are skipped).
            assert last is not None  # a full window had rows
            reached = _timestamp(last.get("updated_at"))
            following = reached - 1
            if following <= window:
                log.warning(
                    "%s: more than %d tickets changed at %s; some may be skipped",
                    SERVICE,
                    read,
                    _search_time(reached),
                )
                following = reached
            log.info(
                "%s: %d search results up to %s; searching on from there",
                SERVICE,
                read,
                _search_time(reached),
            )
            window = following

    async def _export_changes(
        self, state: SyncState, users: UserDirectory
    ) -> AsyncGenerator[tuple[dict[str, Any] | None, str], None]:
        # include=users on every page: the side-loaded users are those of that page's tickets.
        common = {"include": "users", "per_page": self.config.page_size}
        if state.export_cursor:
            params: dict[str, Any] = {**common, "cursor": state.export_cursor}
        else:
            latest = int(time.time()) - EXPORT_MIN_AGE
            params = {**common, "start_time": min(state.since, latest)}
        for _ in range(1_000_000):  # the stream ends; a bound in case it never says so
            await self.export_pacer.wait_turn()
            try:
                body = await self._sync_get(EXPORT, params) or {}
            except ConnectorAuthError as error:
                if "HTTP 403" not in str(error):
                    raise
                raise ConnectorPermissionError(_export_needs_admin("this token's user")) from None
            users.add(body.get("users") or [])
            for row in body.get("tickets") or []:
                if isinstance(row, dict):
                    yield row, ""
            after = str(body.get("after_cursor") or "")
            if after:
                yield None, after
            if body.get("end_of_stream") or not after:
                return
            params = {**common, "cursor": after}

    async def _thread(self, row: dict[str, Any], users: UserDirectory) -> list[InboundMessage]:
        """The ticket's whole comment thread, oldest first, public and private."""
        ticket_id = _ticket_number(row)
        path = f"/api/v2/tickets/{ticket_id}/comments"
        comments: list[dict[str, Any]] = []
        after = ""
        while True:
            params: dict[str, Any] = {"include": "users", "page[size]": COMMENTS_PAGE_SIZE}
            if after:
                params["page[after]"] = after
            body = await self._sync_get(path, params, not_found=True)
            if body is None:
                return []  # deleted since it was listed: nothing left to import
            users.add(body.get("users") or [])
            comments.extend(c for c in body.get("comments") or [] if isinstance(c, dict))
            meta = body.get("meta") or {}
            after = str(meta.get("after_cursor") or "")
            if not meta.get("has_more") or not after:
                break
        await users.fetch(c.get("author_id") for c in comments)
        return [self._inbound(row, comment, users) for comment in comments]

    def _inbound(
        self, row: dict[str, Any], comment: dict[str, Any], users: UserDirectory
    ) -> InboundMessage:
        try:
            author = users.get(comment.get("author_id"))
            return InboundMessage(
                external_id=str(comment["id"]),
                ticket_external_id=str(row["id"]),
                subject=str(row.get("subject") or row.get("raw_subject") or ""),
                from_email=str(author.get("email") or ""),
                from_name=str(author.get("name") or ""),
                body=str(comment.get("body") or comment.get("plain_body") or ""),
                at=from_iso(comment["created_at"]),
                author=_author(comment, author),
                attachments=[_attachment(a) for a in comment.get("attachments") or []],
            )
        except (KeyError, TypeError, ValueError, ValidationError) as error:
            what = f"comment {comment.get('id')} of ticket {row.get('id')}"
            raise unreadable(SERVICE, what, error) from None

    # --- the channel: outbound ---------------------------------------------------------------

    async def deliver(self, reply: OutboundReply) -> Delivered:
        """One public comment on the reply's ticket, marked with its ``message_id``."""
        number = self._reply_ticket(reply)
        # The agent's Markdown as it is: Zendesk renders Markdown in "body" (not in html_body).
        comment: dict[str, Any] = {"body": reply.body, "public": True}
        if self.config.reply_author_id is not None:
            comment["author_id"] = self.config.reply_author_id
        # Custom metadata lands on the update's audit (Zendesk's "Setting Metadata"): how
        # find_delivered recognises this reply after an attempt with an unknown outcome.
        update = {"ticket": {"comment": comment, "metadata": {MESSAGE_ID_KEY: reply.message_id}}}
        try:
            answer = await self.api.json(
                "PUT", f"/api/v2/tickets/{number}", json=update, repeatable=False
            )
        except ConnectorRateLimitedError as error:
            raise DeliveryError(str(error), permanent=False) from None  # not processed
        except ConnectorAuthError as error:
            raise DeliveryError(str(error), permanent=True) from None
        except RemoteApiError as error:
            # 409: someone else updated the ticket at that moment; Zendesk did not apply ours.
            raise DeliveryError(_refusal(error, number), permanent=error.status != 409) from None
        # Anything else (a timeout, a 5xx) leaves the outcome unknown: the outbox asks
        # find_delivered before trying again.
        comment_id = _comment_id(answer or {})
        if comment_id:
            return Delivered(message_id=reply.message_id, external_id=comment_id)
        found = await self.find_delivered(reply)
        if found is None:
            raise ConnectorError(
                f"Zendesk accepted the reply on ticket {number} but named no comment"
            )
        return found

    async def find_delivered(self, reply: OutboundReply) -> Delivered | None:
        """The comment an earlier attempt made for this reply, found by the ``message_id`` in
        its audit's custom metadata; None when no audit of the ticket carries it."""
        number = self._reply_ticket(reply)
        path = f"/api/v2/tickets/{number}/audits"
        after = ""
        for _ in range(self.config.max_pages):
            params: dict[str, Any] = {"page[size]": 100}
            if after:
                params["page[after]"] = after
            body = await self.api.get(path, params, not_found=True)
            if body is None:
                return None  # the ticket is gone: nothing was delivered to it
            for audit in body.get("audits") or []:
                custom = (audit.get("metadata") or {}).get("custom") or {}
                if custom.get(MESSAGE_ID_KEY) == reply.message_id:
                    comment_id = _comment_id({"audit": audit})
                    if comment_id:
                        at = from_iso(audit["created_at"]) if audit.get("created_at") else None
                        found = Delivered(message_id=reply.message_id, external_id=comment_id)
                        return found.model_copy(update={"at": at}) if at else found
            meta = body.get("meta") or {}
            after = str(meta.get("after_cursor") or "")
            if not meta.get("has_more") or not after:
                return None
        return None

    def _reply_ticket(self, reply: OutboundReply) -> str:
        if not reply.ticket_external_id:
            raise DeliveryError(
                f"ticket {reply.ticket_id} did not come from Zendesk (no Zendesk ticket id)",
                permanent=True,
            )
        try:
            return self._zendesk_id(reply.ticket_external_id)
        except ConnectorError as error:
            raise DeliveryError(str(error), permanent=True) from None

    # --- tickets (the older interface) ---------------------------------------------------------

    async def pull_new(self, since: datetime | None = None) -> list[Ticket]:
        """Tickets changed since ``since`` (open ones changed within ``lookback_days`` when
        None), with their first message, through the configured ``sync``."""
        only_open = since is None
        start = int(since.timestamp()) if since else self._lookback_start()
        state = SyncState(since=start)
        users = UserDirectory(self)
        rows: dict[Any, dict[str, Any]] = {}
        async for row, _cursor in self._changes(state, users):
            if row is not None and row.get("status") != "deleted":
                rows[row.get("id")] = row  # a later page has the newer version
            elif row is not None:
                rows.pop(row.get("id"), None)
        await users.fetch(row.get("requester_id") for row in rows.values())
        tickets = [self._ticket(row, users) for row in rows.values()]
        if only_open:
            tickets = [t for t in tickets if t.status.is_open]
        return sorted(tickets, key=lambda t: t.updated_at)

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
            "PUT", f"/api/v2/tickets/{number}", json=update, repeatable=False
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

    def _ticket(self, row: dict[str, Any], users: UserDirectory) -> Ticket:
        try:
            requester = users.get(row.get("requester_id"))
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


# --- the sync's state ------------------------------------------------------------------------


@dataclass
class SyncState:
    """Where the sync stands, given to the desk as an opaque cursor (JSON).

    ``since``: the last ticket update read (Unix seconds); ``seen``: the tickets read with an
    update within the overlap before it (id -> update), so looking back skips them; and the
    export's own cursor, when the export is the sync."""

    since: int
    seen: dict[str, int] = field(default_factory=dict)
    export_cursor: str = ""

    @classmethod
    def parse(cls, cursor: str | None, default_since: int) -> SyncState:
        if not cursor:
            return cls(since=default_since)
        try:
            data = json.loads(cursor)
            return cls(
                since=int(data["since"]),
                seen={str(k): int(v) for k, v in (data.get("seen") or {}).items()},
                export_cursor=str(data.get("export_cursor") or ""),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            raise ConnectorError(
                "Zendesk: the saved sync cursor is not one this connector wrote; "
                "reset the channel's cursor to sync again from the lookback"
            ) from None

    def dump(self) -> str:
        data: dict[str, Any] = {"since": self.since, "seen": self.seen}
        if self.export_cursor:
            data["export_cursor"] = self.export_cursor
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    def copy(self) -> SyncState:
        return SyncState(self.since, dict(self.seen), self.export_cursor)

    def saw(self, row: dict[str, Any]) -> bool:
        """This version of the ticket was read already (an overlapping window, a re-read page)."""
        return self.seen.get(str(row.get("id"))) == _timestamp(row.get("updated_at"))

    def advance(self, row: dict[str, Any], overlap: int) -> None:
        updated = _timestamp(row.get("updated_at"))
        self.seen[str(row.get("id"))] = updated
        self.since = max(self.since, updated)
        horizon = self.since - max(overlap, 1)
        self.seen = {k: v for k, v in self.seen.items() if v >= horizon}


class UserDirectory:
    """The Zendesk users a sync has met: side-loaded with tickets and comments, the rest
    fetched a hundred at a time (``users/show_many``)."""

    def __init__(self, connector: ZendeskConnector) -> None:
        self.connector = connector
        self.users: dict[int, dict[str, Any]] = {}

    def add(self, users: Iterable[Any]) -> None:
        for user in users:
            if isinstance(user, dict) and isinstance(user.get("id"), int):
                self.users[user["id"]] = user

    def get(self, user_id: Any) -> dict[str, Any]:
        return (self.users.get(user_id) or {}) if isinstance(user_id, int) else {}

    async def fetch(self, user_ids: Iterable[Any]) -> None:
        missing = sorted({i for i in user_ids if isinstance(i, int) and i not in self.users})
        for start in range(0, len(missing), SHOW_MANY_LIMIT):
            batch = missing[start : start + SHOW_MANY_LIMIT]
            params = {"ids": ",".join(str(i) for i in batch)}
            body = await self.connector._sync_get(SHOW_MANY_USERS, params) or {}
            self.add(body.get("users") or [])


# --- translations ----------------------------------------------------------------------------


def _export_needs_admin(who: str) -> str:
    return (
        'sync = "export" reads Zendesk\'s incremental export, which Zendesk allows for admins '
        f'only, and {who} is not an admin: set sync = "search" (works with an agent\'s token) '
        "or use an admin's token"
    )


def _author(comment: dict[str, Any], user: dict[str, Any]) -> Author:
    """Private comments are the team's internal notes: kept in the thread as notes (the agent
    sees what colleagues noted in Zendesk), never shown to the customer. Public ones are the
    customer's or an agent's by the author's role."""
    if comment.get("public") is False:
        return Author.NOTE
    return Author.AGENT if user.get("role") in STAFF_ROLES else Author.CUSTOMER


def _attachment(item: Any) -> InboundAttachment:
    """Name, type and size only. The bytes live behind ``content_url`` on Zendesk's file host,
    which must not be sent our credentials; the thread lists the file and links to Zendesk."""
    data = item if isinstance(item, dict) else {}
    return InboundAttachment(
        name=str(data.get("file_name") or "attachment"),
        content_type=str(data.get("content_type") or "application/octet-stream"),
        size=max(0, int(data.get("size") or 0)),
    )


def _comment_id(answer: dict[str, Any]) -> str:
    """The id of the comment a ticket update added: its audit's Comment event."""
    audit = answer.get("audit") or {}
    for event in audit.get("events") or []:
        if isinstance(event, dict) and event.get("type") == "Comment" and event.get("id"):
            return str(event["id"])
    return ""


def _refusal(error: RemoteApiError, number: str) -> str:
    if error.status == 404:
        return f"Zendesk ticket {number} no longer exists ({error})"
    return str(error)


def _ticket_number(row: dict[str, Any]) -> int:
    number = row.get("id")
    if not isinstance(number, int):
        raise ConnectorError(f"Zendesk sent a ticket without a numeric id: {number!r}")
    return number


def _timestamp(value: Any) -> int:
    try:
        return int(from_iso(value).timestamp())
    except (TypeError, ValueError):
        return 0


def _search_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
