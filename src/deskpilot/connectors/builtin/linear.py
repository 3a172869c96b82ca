"""Linear: DeskPilot's ``issues`` capability over Linear's GraphQL API.

Known bugs are found with ``searchIssues`` (by the report's first console error, then by its
words), following ``pageInfo``'s cursor, and ranked locally against the whole report (words,
page, error) like every issues connector; bugs are filed with ``issueCreate``, with the page
and error written into the description where the ranking finds them again.

Linear answers GraphQL errors with HTTP 200 or 400 and ``{"errors": [...]}``; its rate limit is
an error code (``RATELIMITED``), not a 429. Both become DeskPilot's typed errors.

``searchIssues`` has its own limit, 30 requests a minute, and one bug search makes up to two
(the error, then the words), each possibly several pages: the connector paces its searches to
``search_requests_per_minute`` and waits (logging how long) rather than being refused. Every
query here is validated against Linear's published schema in the tests.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorConfig, ConnectorContext
from deskpilot.connectors.bugmatch import clean_error, rank_bugs
from deskpilot.connectors.capabilities import Issues
from deskpilot.connectors.errors import (
    ConnectorError,
    ConnectorRateLimitedError,
    RemoteApiError,
)
from deskpilot.connectors.http import (
    ApiClient,
    Clock,
    HttpConnectorConfig,
    RequestPacer,
    Sleep,
    paginate,
)
from deskpilot.connectors.models import BugCreated, BugMatch, BugQuery, NewBug
from deskpilot.models import Bug

from ._common import bug_description, day, described, hint, search_words, unreadable
from .base import HttpConnector

SERVICE = "Linear"
STATUS = {"completed": "fixed", "canceled": "closed", "started": "in_progress"}
AUTH_CODES = frozenset({"AUTHENTICATION_ERROR", "FORBIDDEN"})
ISSUE_FIELDS = """
    id identifier title description url createdAt
    state { name type }
"""
SEARCH = f"""
query SearchIssues($term: String!, $first: Int!, $after: String, $filter: IssueFilter) {{
  searchIssues(term: $term, first: $first, after: $after, filter: $filter) {{
    nodes {{ {ISSUE_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
ISSUE = f"""
query Issue($id: String!) {{
  issue(id: $id) {{ {ISSUE_FIELDS} }}
}}"""
CREATE = f"""
mutation CreateIssue($input: IssueCreateInput!) {{
  issueCreate(input: $input) {{
    success
    issue {{ {ISSUE_FIELDS} }}
  }}
}}"""
VIEWER = """
query Viewer {
  viewer { id name email }
}"""


class LinearConfig(HttpConnectorConfig):
    base_url: str = Field("https://api.linear.app", pattern=r"^https?://")
    # From DESKPILOT_CONNECTORS__LINEAR__API_KEY only: a personal API key (lin_api_...) or an
    # OAuth access token.
    api_key: SecretStr
    team_id: str = ""  # the team bugs are filed in (and searched, when set); needed to file
    label_ids: list[str] = Field(default_factory=list)  # labels for filed bugs, e.g. "Bug"
    candidates: int = Field(50, ge=1, le=250)  # issues fetched per search, ranked locally
    page_size: int = Field(50, ge=1, le=250)
    # Linear allows searchIssues 30 requests a minute (per user); searches wait for their turn.
    search_requests_per_minute: int = Field(30, ge=1, le=1000)


class LinearConnector(HttpConnector[LinearConfig], Issues):
    config_model: ClassVar[type[ConnectorConfig]] = LinearConfig
    title: ClassVar[str] = "Linear: search known bugs, file bugs, bug status (GraphQL)"

    def __init__(self, config: LinearConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        key = config.api_key.get_secret_value()
        # Personal API keys go as they are; OAuth tokens as Bearer tokens.
        authorization = key if key.startswith("lin_api_") else f"Bearer {key}"
        self.api = ApiClient.from_config(
            SERVICE,
            config,
            headers={"Authorization": authorization},
            secrets=[key],
            credential_hint=hint(context, "api_key"),
            error_detail=_error_detail,
            error_code=_error_code,
        )
        self.search_pacer = RequestPacer(
            config.search_requests_per_minute, "searchIssues", service=SERVICE
        )

    def use_clock(self, clock: Clock, sleep: Sleep) -> None:
        """Measure and wait with these instead of the real ones (tests: a fake clock)."""
        self.search_pacer.clock = clock
        self.search_pacer.sleep = sleep

    async def check(self) -> str:
        viewer = (await self._graphql("Viewer", VIEWER)).get("viewer") or {}
        return f"Linear at {self.api.endpoint} accepts the API key of {viewer.get('name')}"

    async def search_bugs(self, query: BugQuery, limit: int = 5) -> list[BugMatch]:
        if query.is_empty() or limit <= 0:
            return []
        terms = [clean_error(e) for e in query.errors[:1] if e.strip()]
        words = search_words(query, limit=4, errors=False)
        if words:
            terms.append(" ".join(words))
        found: dict[str, Bug] = {}
        for term in terms:
            async for node in self._search(term):
                found.setdefault(node.id, node)
        return rank_bugs(found.values(), query, limit)

    async def bug(self, bug_id: str) -> Bug | None:
        try:
            data = await self._graphql("Issue", ISSUE, {"id": bug_id})
        except RemoteApiError as error:
            said = str(error).lower()
            if "not found" in said or "could not find" in said:
                return None
            raise
        node = data.get("issue")
        return _bug(node) if node else None

    async def create_bug(self, new: NewBug) -> BugCreated:
        if not self.config.team_id:
            raise ConnectorError(
                f"Linear: set team_id in [connectors.{self.context.name}] to file bugs"
            )
        issue_input: dict[str, Any] = {
            "teamId": self.config.team_id,
            "title": new.title,
            "description": bug_description(new),
        }
        if self.config.label_ids:
            issue_input["labelIds"] = self.config.label_ids
        # A create is not repeated after a 5xx (it would file the bug twice).
        data = await self._graphql("CreateIssue", CREATE, {"input": issue_input}, repeat=False)
        created = data.get("issueCreate") or {}
        if not created.get("success") or not created.get("issue"):
            raise RemoteApiError("Linear did not create the issue (success: false)")
        bug = _bug(created["issue"])
        return BugCreated(bug=bug, url=str(created["issue"].get("url") or ""))

    # --- GraphQL -------------------------------------------------------------------------------

    async def _search(self, term: str) -> Any:
        variables: dict[str, Any] = {"term": term, "first": self.config.page_size}
        if self.config.team_id:
            variables["filter"] = {"team": {"id": {"eq": self.config.team_id}}}
        wanted = self.config.candidates

        async def fetch(after: str | None) -> Any:
            page_variables = {**variables, "after": after} if after else variables
            await self.search_pacer.wait_turn()
            data = await self._graphql("SearchIssues", SEARCH, page_variables)
            return data.get("searchIssues") or {}

        count = 0
        async for page in paginate(fetch, _end_cursor, max_pages=self.config.max_pages):
            for node in page.get("nodes") or []:
                yield _bug(node)
                count += 1
                if count >= wanted:
                    return

    async def _graphql(
        self,
        operation: str,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        repeat: bool = True,
    ) -> dict[str, Any]:
        body = {"operationName": operation, "query": document, "variables": variables or {}}
        try:
            answer = await self.api.json("POST", "/graphql", json=body, repeatable=repeat)
        except RemoteApiError as error:
            raise self._translated(error) from None
        errors = (answer or {}).get("errors") or []
        if errors:
            raise self._translated(
                RemoteApiError(
                    self.api.redact(f"Linear refused {operation}: {_messages(errors)}"),
                    code=_code(errors),
                )
            )
        data = (answer or {}).get("data")
        if not isinstance(data, dict):
            raise ConnectorError(f"Linear: {operation} answered without data")
        return data

    def _translated(self, error: RemoteApiError) -> ConnectorError:
        if error.code in AUTH_CODES:
            return self.api.auth_error(str(error))
        if error.code == "RATELIMITED":
            return ConnectorRateLimitedError(f"{error}; try again later")
        return error


def _end_cursor(page: Any) -> str | None:
    info = page.get("pageInfo") or {}
    return info.get("endCursor") if info.get("hasNextPage") else None


def _bug(node: dict[str, Any]) -> Bug:
    try:
        lines = described(str(node.get("description") or ""))
        state = node.get("state") or {}
        return Bug(
            id=str(node.get("identifier") or node["id"]),
            title=str(node["title"]),
            status=STATUS.get(str(state.get("type")), "open"),
            page_url=lines.get("page", ""),
            error_signature=lines.get("error", ""),
            workaround=lines.get("workaround", ""),
            created=day(node.get("createdAt")),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise unreadable(SERVICE, "an issue", error) from None


def _messages(errors: list[Any]) -> str:
    said = []
    for error in errors[:3]:
        if isinstance(error, dict):
            extensions = error.get("extensions") or {}
            said.append(str(extensions.get("userPresentableMessage") or error.get("message")))
    return "; ".join(said) or "unknown error"


def _code(errors: list[Any]) -> str:
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    return str((first.get("extensions") or {}).get("code") or "")


def _error_detail(response: httpx.Response) -> str:
    try:
        return _messages(response.json().get("errors") or [])
    except (ValueError, AttributeError):
        return response.text[:200]


def _error_code(response: httpx.Response) -> str:
    try:
        return _code(response.json().get("errors") or [])
    except (ValueError, AttributeError):
        return ""
