"""Jira: DeskPilot's ``issues`` capability over the Jira REST API (Cloud v3; Data Center too).

Known bugs are found with a JQL text search in the configured project, ranked locally against
the whole report like every issues connector; bugs are filed with the page and error in the
description (Atlassian Document Format on v3), where the ranking finds them again.

Two searches, one setting: Jira Cloud's ``/rest/api/3/search/jql`` pages with ``nextPageToken``
(Atlassian removed the older ``/rest/api/3/search`` from Cloud in 2025); ``search = "classic"``
uses ``/rest/api/<version>/search`` with ``startAt``/``maxResults``, as Jira Data Center and
Server still do (with ``api_version = "2"``).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorConfig, ConnectorContext
from deskpilot.connectors.bugmatch import rank_bugs
from deskpilot.connectors.capabilities import Issues
from deskpilot.connectors.http import ApiClient, HttpConnectorConfig, cursor_pages, offset_pages
from deskpilot.connectors.models import BugCreated, BugMatch, BugQuery, NewBug
from deskpilot.models import Bug

from ._common import bug_description, day, described, hint, search_words, unreadable
from .base import HttpConnector

SERVICE = "Jira"
FIELDS = "summary,status,resolution,created,description"
# statusCategory.key: "new" (To Do), "indeterminate" (In Progress), "done".
STATUS = {"indeterminate": "in_progress", "done": "fixed"}
NOT_FIXED = frozenset({"won't fix", "won't do", "duplicate", "cannot reproduce", "declined"})


class JiraConfig(HttpConnectorConfig):
    base_url: str = Field(pattern=r"^https?://")  # https://your-site.atlassian.net
    email: str = Field(min_length=3)  # the Atlassian account the API token belongs to
    # From DESKPILOT_CONNECTORS__JIRA__API_TOKEN only.
    api_token: SecretStr
    project_key: str = Field(min_length=1)  # searched for known bugs, and where bugs are filed
    issue_type: str = "Bug"
    labels: list[str] = Field(default_factory=list)  # on filed bugs, e.g. ["from-support"]
    search: Literal["jql", "classic"] = "jql"
    api_version: Literal["2", "3"] = "3"
    candidates: int = Field(50, ge=1, le=500)  # issues fetched per search, ranked locally
    page_size: int = Field(50, ge=1, le=100)


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
        me = await self.api.get(f"{self.rest}/myself")
        return f"Jira at {self.api.endpoint} accepts the API token of {me.get('displayName')}"

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
        async for page in pages:
            for row in _issues(page):
                yield self._bug(row)
                count += 1
                if count >= self.config.candidates:
                    return

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
