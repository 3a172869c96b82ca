"""A Zendesk account in memory, served by the real local HTTP server, for the channel tests.

Recordings replay fixed answers; a sync over a thousand tickets, a search past its 1,000-result
limit, a rate limit enforced per minute and a reply whose answer is lost need an API that keeps
state. ``FakeZendesk`` answers the endpoints the connector uses the way Zendesk documents them
(search with its result limit, the cursor export for admins only, cursor-paginated comments and
audits with side-loaded users, ticket updates that add a comment and an audit with custom
metadata). Its objects start from the examples in Zendesk's published spec, and every request
and answer still goes through the spec check of the ``http_server`` fixture.

Time is a ``FakeClock`` shared with the connector: the rate limits count requests per minute
of that clock, and the connector's waits advance it, so nothing really sleeps.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deskpilot.testing import OpenApiSpec, ReceivedRequest, RecordedResponse, RecordedServer

EXPORT = "/api/v2/incremental/tickets/cursor"
SEARCH = "/api/v2/search"
SEARCH_LIMIT = 1000
# The account's first ticket update: ten days ago (within the connector's lookback), at midnight
# so a test's times are the same all day.
T0 = (int(time.time()) // 86_400 - 10) * 86_400


class FakeClock:
    """Seconds that pass only when the connector waits (its ``sleep``)."""

    def __init__(self, start: float = float(T0 + 86_400)) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def tick(self, seconds: float = 1.0) -> float:
        """Time passing on the server's side (an update takes a second)."""
        with self._lock:
            self.now += seconds
            return self.now

    async def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += max(0.0, seconds)


@dataclass
class RateLimit:
    """At most ``per_minute`` requests in any minute of the fake clock; beyond: 429 with the
    Retry-After Zendesk would send (seconds until a slot frees)."""

    per_minute: int
    clock: FakeClock
    sent: list[float] = field(default_factory=list)
    refused: int = 0

    def admit(self) -> RecordedResponse | None:
        now = self.clock()
        self.sent = [t for t in self.sent if t > now - 60]
        if len(self.sent) >= self.per_minute:
            self.refused += 1
            wait = int(self.sent[0] + 60 - now) + 1
            return RecordedResponse(
                429,
                text="Rate limit for incremental exports exceeded.",
                headers={"Retry-After": str(wait)},
            )
        self.sent.append(now)
        return None


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeZendesk:
    def __init__(self, spec: OpenApiSpec, clock: FakeClock, role: str = "agent") -> None:
        self.clock = clock
        self.role = role
        self.ticket_example = spec.example("GET", EXPORT)["tickets"][0]
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.audits: dict[int, list[dict[str, Any]]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.export_limit: RateLimit | None = None
        self.search_limit: RateLimit | None = None
        self.lose_next_update_answer = False  # apply the update, then answer 503
        self._ids = iter(range(9_000_000_001, 10_000_000_000))
        self.agent = self.add_user("Ada Agent", "ada@acme.example", role=role)

    # --- the account ---------------------------------------------------------------------------

    def add_user(self, name: str, email: str | None, role: str = "end-user") -> int:
        user_id = next(self._ids)
        self.users[user_id] = {
            "id": user_id,
            "url": f"https://acme.zendesk.com/api/v2/users/{user_id}.json",
            "name": name,
            "email": email,
            "role": role,
            "active": True,
            "created_at": iso(T0 - 86_400),
            "updated_at": iso(T0 - 86_400),
        }
        return user_id

    def add_ticket(
        self,
        subject: str,
        requester: int,
        thread: Iterable[tuple[int, str, bool]],
        updated: int,
        *,
        number: int | None = None,
        status: str = "open",
        attachments: list[dict[str, Any]] | None = None,
    ) -> int:
        """A ticket whose comments are ``(author, body, public)``, the first one its
        description; ``attachments`` go on the first comment."""
        number = number or len(self.tickets) + 1000
        ticket = copy.deepcopy(self.ticket_example)
        said = list(thread)
        ticket.update(
            id=number,
            url=f"https://acme.zendesk.com/api/v2/tickets/{number}.json",
            subject=subject,
            raw_subject=subject,
            description=said[0][1] if said else "",
            status=status,
            requester_id=requester,
            submitter_id=requester,
            assignee_id=self.agent,
            collaborator_ids=[],
            follower_ids=[],
            sharing_agreement_ids=[],
            organization_id=None,
            problem_id=None,
            group_id=None,
            created_at=iso(updated - 3600),
            updated_at=iso(updated),
            generated_timestamp=updated,
            via={"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
        )
        self.tickets[number] = ticket
        self.comments[number] = []
        self.audits[number] = []
        for position, (author, body, public) in enumerate(said):
            files = attachments if position == 0 else None
            self.add_comment(number, author, body, public, updated - 3600 + position, files)
        return number

    def add_comment(
        self,
        number: int,
        author: int,
        body: str,
        public: bool,
        at: int,
        attachments: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        comment_id = next(self._ids)
        audit_id = next(self._ids)
        comment = {
            "id": comment_id,
            "type": "Comment",
            "author_id": author,
            "body": body,
            "html_body": f'<div class="zd-comment"><p>{body}</p></div>',
            "plain_body": body,
            "public": public,
            "attachments": attachments or [],
            "audit_id": audit_id,
            "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso(at),
            "metadata": {"system": {}, "custom": {}},
        }
        self.comments[number].append(comment)
        event = {
            "id": comment_id,
            "type": "Comment",
            "author_id": author,
            "body": body,
            "public": public,
            "attachments": [],
        }
        audit = {
            "id": audit_id,
            "ticket_id": number,
            "author_id": author,
            "created_at": iso(at),
            "metadata": {"system": {}, "custom": metadata or {}},
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "events": [event],
        }
        self.audits[number].append(audit)
        return audit

    # --- serving -------------------------------------------------------------------------------

    def install(self, server: RecordedServer) -> RecordedServer:
        server.handle("GET", "/api/v2/users/me", self.me)
        server.handle("GET", SEARCH, self.search)
        server.handle("GET", EXPORT, self.export)
        server.handle("GET", "/api/v2/users/show_many", self.show_many)
        server.handle("GET", "/api/v2/tickets/{ticket_id}/comments", self.list_comments)
        server.handle("GET", "/api/v2/tickets/{ticket_id}/audits", self.list_audits)
        server.handle("PUT", "/api/v2/tickets/{ticket_id}", self.update)
        return server

    def me(self, request: ReceivedRequest) -> RecordedResponse:
        return RecordedResponse(200, {"user": self.users[self.agent]})

    def search(self, request: ReceivedRequest) -> RecordedResponse:
        if self.search_limit and (refused := self.search_limit.admit()):
            return refused
        match = re.fullmatch(r"type:ticket updated>(\S+)", request.query.get("query", ""))
        if match is None:
            return RecordedResponse(400, {"error": "unavailable", "description": "bad query"})
        after = int(datetime.fromisoformat(match[1].replace("Z", "+00:00")).timestamp())
        found = sorted(
            (t for t in self.tickets.values() if t["generated_timestamp"] > after),
            key=lambda t: (t["generated_timestamp"], t["id"]),
        )
        page = int(request.query.get("page", "1"))
        size = int(request.query.get("per_page", "100"))
        if page * size > SEARCH_LIMIT:
            return RecordedResponse(
                422, {"error": "InsufficientResourceError", "description": "page out of range"}
            )
        rows = found[(page - 1) * size : page * size]
        more = len(found) > page * size
        return RecordedResponse(
            200,
            {
                "results": [{**t, "result_type": "ticket"} for t in rows],
                "facets": None,
                "next_page": f"https://acme.zendesk.com/api/v2/search.json?page={page + 1}"
                if more
                else None,
                "previous_page": None,
                "count": len(found),
            },
        )

    def export(self, request: ReceivedRequest) -> RecordedResponse:
        if self.role != "admin":
            return RecordedResponse(
                403,
                {"error": "Forbidden", "description": "You do not have access to this page."},
            )
        if self.export_limit and (refused := self.export_limit.admit()):
            return refused
        ordered = sorted(self.tickets.values(), key=lambda t: (t["generated_timestamp"], t["id"]))
        if "cursor" in request.query:
            offset = int(base64.b64decode(request.query["cursor"]).decode())
        else:
            start = int(request.query["start_time"])
            offset = next(
                (i for i, t in enumerate(ordered) if t["generated_timestamp"] >= start),
                len(ordered),
            )
        size = int(request.query.get("per_page", "1000"))
        rows = ordered[offset : offset + size]
        after = base64.b64encode(str(offset + len(rows)).encode()).decode()
        body: dict[str, Any] = {
            "tickets": rows,
            "after_cursor": after,
            "after_url": f"https://acme.zendesk.com{EXPORT}.json?cursor={after}",
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": offset + len(rows) >= len(ordered),
        }
        if request.query.get("include") == "users":
            body["users"] = self._users_of(t["requester_id"] for t in rows)
        return RecordedResponse(200, body)

    def show_many(self, request: ReceivedRequest) -> RecordedResponse:
        ids = [int(i) for i in request.query.get("ids", "").split(",") if i]
        return RecordedResponse(200, {"users": self._users_of(ids)})

    def list_comments(self, request: ReceivedRequest) -> RecordedResponse:
        number = int(request.path.split("/")[4])
        if number not in self.tickets:
            return RecordedResponse(404, {"error": "RecordNotFound", "description": "Not found"})
        rows, meta = self._page(self.comments[number], request)
        body: dict[str, Any] = {"comments": rows, "meta": meta, "links": {"prev": None}}
        if request.query.get("include") == "users":
            body["users"] = self._users_of(c["author_id"] for c in rows)
        return RecordedResponse(200, body)

    def list_audits(self, request: ReceivedRequest) -> RecordedResponse:
        number = int(request.path.split("/")[4])
        if number not in self.tickets:
            return RecordedResponse(404, {"error": "RecordNotFound", "description": "Not found"})
        rows, meta = self._page(self.audits[number], request)
        return RecordedResponse(200, {"audits": rows, "meta": meta})

    def update(self, request: ReceivedRequest) -> RecordedResponse:
        number = int(request.path.split("/")[4])
        if number not in self.tickets:
            return RecordedResponse(404, {"error": "RecordNotFound", "description": "Not found"})
        change = (request.json() or {}).get("ticket") or {}
        ticket = self.tickets[number]
        audit: dict[str, Any] | None = None
        now = int(self.clock.tick())
        if "comment" in change:
            comment = change["comment"]
            author = comment.get("author_id") or self.agent
            audit = self.add_comment(
                number,
                author,
                comment["body"],
                comment.get("public", True),
                now,
                metadata=change.get("metadata"),
            )
        if "status" in change:
            ticket["status"] = change["status"]
        ticket["updated_at"] = iso(now)
        ticket["generated_timestamp"] = now
        if self.lose_next_update_answer:
            self.lose_next_update_answer = False
            return RecordedResponse(503, text="upstream connect error")
        return RecordedResponse(200, {"ticket": ticket, "audit": audit or {}})

    # --- helpers -------------------------------------------------------------------------------

    def _page(
        self, items: list[dict[str, Any]], request: ReceivedRequest
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        size = int(request.query.get("page[size]", "100"))
        offset = int(request.query.get("page[after]", "0") or 0)
        rows = items[offset : offset + size]
        more = offset + size < len(items)
        meta = {
            "has_more": more,
            "after_cursor": str(offset + size) if more else None,
            "before_cursor": None,
        }
        return rows, meta

    def _users_of(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        wanted = dict.fromkeys(ids)
        return [self.users[i] for i in wanted if i in self.users]

    def received_json(self, server: RecordedServer, method: str, path: str) -> list[Any]:
        return [json.loads(r.body) for r in server.received(method, path)]
