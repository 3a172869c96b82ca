"""Jira: DeskPilot's ``issues`` capability over the Jira REST API (Cloud v3; Data Center too).

Known bugs are found with a JQL text search in the configured project, ranked locally against
the whole report like every issues connector; bugs are filed with the page and error in the
description (Atlassian Document Format on v3), where the ranking finds them again.

Two searches, one setting: Jira Cloud's enhanced search ``/rest/api/3/search/jql`` pages with
``nextPageToken`` (the default, ``search = "jql"``); the older ``/rest/api/3/search`` answers 410
Gone on Cloud (Atlassian's spec marks it "currently being removed"), so it is never sent there.
``search = "datacenter"`` (with ``api_version = "2"``) is for Jira Data Center and Server, which
still search ``/rest/api/2/search`` with ``startAt``/``maxResults``. The old name ``"classic"``
is read as ``"datacenter"`` on REST v2 and refused on v3 with what to write instead.

Permissions: the account needs Browse projects on ``project_key`` (search, read) and Create
issues there (filing bugs).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, SecretStr, ValidationError, model_validator

from deskpilot.connectors.base import ConnectorConfig, ConnectorContext
from deskpilot.connectors.bugmatch import rank_bugs
from deskpilot.connectors.capabilities import Issues
from deskpilot.connectors.errors import ConnectorError, ConnectorPermissionError, RemoteApiError
from deskpilot.connectors.http import ApiClient, HttpConnectorConfig, cursor_pages, offset_pages
from deskpilot.connectors.models import BugCreated, BugMatch, BugQuery, NewBug
from deskpilot.models import Bug

from ._common import bug_description, day, described, hint, search_words, unreadable
from .base import HttpConnector

SERVICE = "Jira"
FIELDS = "summary,status,resolution,created,description"
# statusCategory.key: "new" (To Do), "indeterminate" (In Progress), "done".
STATUS = {"indeterminate": "in_progress", "done": "fixed"}
PERMISSIONS = "BROWSE_PROJECTS,CREATE_ISSUES"  # what check() asks the account may do
NOT_FIXED = frozenset({"won't fix", "won't do", "duplicate", "cannot reproduce", "declined"})


class JiraConfig(HttpConnectorConfig):
    base_url: str = Field(pattern=r"^https?://")  # https://your-site.atlassian.net
    email: str = Field(min_length=3)  # the Atlassian account the API token belongs to
    # From DESKPILOT_CONNECTORS__JIRA__API_TOKEN only.
    api_token: SecretStr
    project_key: str = Field(min_length=1)  # searched for known bugs, and where bugs are filed
    issue_type: str = "Bug"
    labels: list[str] = Field(default_factory=list)  # on filed bugs, e.g. ["from-support"]
    # "jql": Jira Cloud's enhanced search; "datacenter": /rest/api/2/search on Data Center/Server.
    search: Literal["jql", "datacenter"] = "jql"
    api_version: Literal["2", "3"] = "3"
    candidates: int = Field(50, ge=1, le=500)  # issues fetched per search, ranked locally
    page_size: int = Field(50, ge=1, le=100)

    @model_validator(mode="before")
    @classmethod
    def _classic_search_renamed(cls, values: Any) -> Any:
        """``search = "classic"`` was /rest/api/<version>/search: still right on Data Center
        (REST v2), gone (410) on Cloud's v3."""
        if not isinstance(values, dict) or values.get("search") != "classic":
            return values
        if str(values.get("api_version", "3")) == "2":
            return {**values, "search": "datacenter"}
        raise ValueError(
            'search = "classic" used /rest/api/3/search, which Jira Cloud answers with 410 Gone; '
            'remove it (the default "jql" is Cloud\'s enhanced search), or for Jira Data Center '
            'or Server write search = "datacenter" with api_version = "2"'
        )

    @model_validator(mode="after")
    def _datacenter_speaks_v2(self) -> JiraConfig:
        if self.search == "datacenter" and self.api_version != "2":
            raise ValueError(
                'search = "datacenter" is for Jira Data Center and Server: set api_version = '
                '"2" (on Jira Cloud, leave search at its default, "jql")'
            )
        return self


class JiraConnector(HttpConnector[JiraConfig], Issues):
    config_model: ClassVar[type[ConnectorConfig]] = JiraConfig
    title: ClassVar[str] = "Jira: search known bugs (JQL), file bugs, bug status"

    def __init__(self, config: JiraConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        token = config.api_token.get_secret_value()
        pair = f"{config.email.strip()}:{token}".encode()
        self.api = ApiClient.from_config(
            SERVICE,
            config,
            headers={"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")},
            secrets=[token],
            credential_hint=hint(context, "api_token"),
            error_detail=_error_detail,
        )
        self.rest = f"/rest/api/{config.api_version}"

    async def check(self) -> str:
        """The token works and its account may browse the project (and create issues in it):
        a missing project permission is named as such, not as a bad token."""
        me = await self.api.get(f"{self.rest}/myself")
        who = f"the API token of {me.get('displayName')}"
        key = self.config.project_key
        answer = await self.api.get(
            f"{self.rest}/mypermissions", {"projectKey": key, "permissions": PERMISSIONS}
        )
        granted = {
            name
            for name, row in ((answer or {}).get("permissions") or {}).items()
            if isinstance(row, dict) and row.get("havePermission")
        }
        if "BROWSE_PROJECTS" not in granted:
            raise ConnectorPermissionError(
                f"Jira accepts {who}, but that account may not browse project {key}: give it "
                "the Browse projects permission there (and Create issues, to file bugs)"
            )
        filing = "" if "CREATE_ISSUES" in granted else "; it may not create issues there"
        return f"Jira at {self.api.endpoint} accepts {who}; it may search project {key}{filing}"

    async def search_bugs(self, query: BugQuery, limit: int = 5) -> list[BugMatch]:
        words = search_words(query)
        if query.is_empty() or limit <= 0 or not words:
            return []
        found = [bug async for bug in self._search(self._jql(words))]
        return rank_bugs(found, query, limit)

    async def bug(self, bug_id: str) -> Bug | None:
        if not bug_id.strip() or "/" in bug_id:
            return None
        row = await self.api.get(f"{self.rest}/issue/{bug_id}", {"fields": FIELDS}, not_found=True)
        return None if row is None else self._bug(row)

    async def create_bug(self, new: NewBug) -> BugCreated:
        text = bug_description(new)
        fields: dict[str, Any] = {
            "project": {"key": self.config.project_key},
            "issuetype": {"name": self.config.issue_type},
            "summary": new.title,
            "description": _adf(text) if self.config.api_version == "3" else text,
        }
        if self.config.labels:
            fields["labels"] = self.config.labels
        # POST is not repeated after a 5xx: it could file the bug twice.
        created = await self.api.json("POST", f"{self.rest}/issue", json={"fields": fields})
        key = str(created["key"])
        bug = Bug(
            id=key,
            title=new.title,
            status="open",
            page_url=new.page_url,
            error_signature=new.error_signature,
        )
        return BugCreated(bug=bug, url=f"{self.config.base_url.rstrip('/')}/browse/{key}")

    # --- searching -----------------------------------------------------------------------------

    def _jql(self, words: list[str]) -> str:
        text = " OR ".join(f'text ~ "{_quoted(word)}"' for word in words)
        return (
            f'project = "{_quoted(self.config.project_key)}" AND '
            f'issuetype = "{_quoted(self.config.issue_type)}" AND ({text}) ORDER BY updated DESC'
        )

    async def _search(self, jql: str) -> AsyncIterator[Bug]:
        size = min(self.config.page_size, self.config.candidates)
        params = {"jql": jql, "fields": FIELDS}
        if self.config.search == "jql":
            pages = cursor_pages(
                self.api,
                f"{self.rest}/search/jql",
                params={**params, "maxResults": size},
                cursor_param="nextPageToken",
                next_cursor=_next_page_token,
                max_pages=self.config.max_pages,
            )
        else:
            pages = offset_pages(
                self.api,
                f"{self.rest}/search",
                params=params,
                items=_issues,
                offset_param="startAt",
                limit_param="maxResults",
                page_size=size,
                total=lambda page: page.get("total"),
                max_pages=self.config.max_pages,
            )
        count = 0
        try:
            async for page in pages:
                for row in _issues(page):
                    yield self._bug(row)
                    count += 1
                    if count >= self.config.candidates:
                        return
        except RemoteApiError as error:
            if error.status != 410:
                raise
            raise ConnectorError(
                f"Jira at {self.api.endpoint} no longer offers this search (410 Gone): on Jira "
                f'Cloud remove search = "{self.config.search}" from [connectors.'
                f"{self.context.name}] to use the enhanced JQL search"
            ) from None

    def _bug(self, row: dict[str, Any]) -> Bug:
        try:
            fields = row.get("fields") or {}
            status = fields.get("status") or {}
            category = str((status.get("statusCategory") or {}).get("key") or "new")
            resolution = str((fields.get("resolution") or {}).get("name") or "").lower()
            value = STATUS.get(category, "open")
            if value == "fixed" and resolution in NOT_FIXED:
                value = "closed"
            description = fields.get("description")
            text = description if isinstance(description, str) else _adf_text(description)
            lines = described(text)
            return Bug(
                id=str(row["key"]),
                title=str(fields.get("summary") or ""),
                status=value,
                page_url=lines.get("page", ""),
                error_signature=lines.get("error", ""),
                workaround=lines.get("workaround", ""),
                created=day(fields.get("created")),
            )
        except (KeyError, TypeError, ValueError, ValidationError) as error:
            raise unreadable(SERVICE, f"issue {row.get('key')}", error) from None


def _issues(page: Any) -> list[dict[str, Any]]:
    return list(page.get("issues") or [])


def _next_page_token(page: Any) -> str | None:
    if page.get("isLast"):
        return None
    token = page.get("nextPageToken")
    return str(token) if token else None


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document: one paragraph per line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        if line
        else {"type": "paragraph", "content": []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def _adf_text(node: Any) -> str:
    """The text of an ADF document, block by block on their own lines."""
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text") or "")
    if node.get("type") == "hardBreak":
        return "\n"
    inner = "".join(_adf_text(child) for child in node.get("content") or [])
    blocks = {"paragraph", "heading", "codeBlock", "listItem", "blockquote", "rule"}
    return inner + "\n" if node.get("type") in blocks else inner


def _error_detail(response: httpx.Response) -> str:
    """Jira: ``{"errorMessages": [...], "errors": {"field": "message"}}``."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return ""
    said = [str(message) for message in body.get("errorMessages") or []]
    said += [f"{field}: {message}" for field, message in (body.get("errors") or {}).items()]
    return "; ".join(said) or str(body.get("message") or "")
