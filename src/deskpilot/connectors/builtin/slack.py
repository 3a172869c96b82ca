"""Slack: DeskPilot's ``notify`` capability over the Slack Web API.

Hand-offs are posted with ``chat.postMessage`` (a bot token with ``chat:write``), split into as
many section blocks as Slack's limits need (3,000 characters a section, 50 blocks a message),
with the start of the summary as the notification text. With a user token (``search:read``)
``search_messages`` finds what the team already said about a customer, for the context panel:
``search.messages`` is one of Slack's legacy methods, open to user tokens only (no bot token,
no app-level token) and not to apps distributed through the Slack Marketplace.

Slack answers most errors with HTTP 200 and ``{"ok": false, "error": "..."}``: those become the
same typed errors as an HTTP failure (``invalid_auth`` is a refused token, ``ratelimited`` a rate
limit, ``channel_not_found`` a request Slack refused), each with what to do about it. Text from
tickets is escaped, so a customer who writes ``<!channel>`` does not page the whole channel.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, SecretStr, ValidationError

from deskpilot.connectors.base import ConnectorConfig, ConnectorContext
from deskpilot.connectors.capabilities import Notify
from deskpilot.connectors.errors import (
    ConnectorError,
    ConnectorPermissionError,
    ConnectorRateLimitedError,
    RemoteApiError,
)
from deskpilot.connectors.http import ApiClient, HttpConnectorConfig, paginate
from deskpilot.connectors.models import Handoff, HandoffPosted, TeamMessage

from ._common import from_unix, hint, unreadable
from .base import HttpConnector

SERVICE = "Slack"
AUTH_ERRORS = frozenset(
    {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired"}
)
# The token is fine, but not allowed this: its type, its scopes, the workspace's settings.
PERMISSION_ERRORS = frozenset({"not_allowed_token_type", "no_permission", "ekm_access_denied"})
ADVICE = {
    "channel_not_found": "check the channel name or id in [connectors.{name}] channel",
    "not_in_channel": "invite the Slack app to the channel (/invite @your-app)",
    "is_archived": "the channel is archived; choose another in [connectors.{name}] channel",
    "msg_too_long": "the hand-off summary is too long for Slack",
    "msg_blocks_too_long": "the hand-off summary is too long for Slack",
    "invalid_blocks": "Slack could not read the hand-off's blocks",
}
# Slack's Block Kit limits: a section's text is at most 3,000 characters, a message at most 50
# blocks. Slack also refuses (msg_blocks_too_long) messages whose blocks hold much over 12,000
# characters in all, a limit it does not document; we stay under it.
SECTION_CHARS = 3000
MAX_BLOCKS = 50
BLOCKS_CHARS = 12000
# The top-level ``text`` is the notification and the fallback for clients without blocks;
# Slack advises at most 4,000 characters (and truncates at 40,000).
FALLBACK_CHARS = 4000
CUT = "…"


class SlackConfig(HttpConnectorConfig):
    base_url: str = Field("https://slack.com/api", pattern=r"^https?://")
    # From DESKPILOT_CONNECTORS__SLACK__BOT_TOKEN (xoxb-..., chat:write) only.
    bot_token: SecretStr
    # Optional, from DESKPILOT_CONNECTORS__SLACK__USER_TOKEN (xoxp-..., search:read): without it
    # there is no search of the team's messages.
    user_token: SecretStr | None = None
    channel: str = Field(min_length=1)  # hand-offs go here: "#support-escalations" or "C0123"
    # Restrict the message search to these channels ("support", "#billing"); empty: everywhere.
    search_channels: list[str] = Field(default_factory=list)
    page_size: int = Field(20, ge=1, le=100)


class SlackConnector(HttpConnector[SlackConfig], Notify):
    config_model: ClassVar[type[ConnectorConfig]] = SlackConfig
    title: ClassVar[str] = "Slack: hand-offs to a channel, the team's messages about a customer"

    def __init__(self, config: SlackConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        bot = config.bot_token.get_secret_value()
        user = config.user_token.get_secret_value() if config.user_token else None
        self.api = ApiClient.from_config(
            SERVICE,
            config,
            headers={"Authorization": f"Bearer {bot}"},
            secrets=[bot, *([user] if user else [])],
            credential_hint=hint(context, "bot_token"),
        )
        self.search_api: ApiClient | None = None
        if user:
            self.search_api = ApiClient.from_config(
                SERVICE,
                config,
                headers={"Authorization": f"Bearer {user}"},
                secrets=[user, bot],
                credential_hint=hint(context, "user_token"),
            )

    async def aclose(self) -> None:
        await self.api.aclose()
        if self.search_api is not None:
            await self.search_api.aclose()

    async def check(self) -> str:
        """Both tokens work and carry the scopes the desk uses (Slack lists a token's scopes in
        the ``x-oauth-scopes`` header of every answer): a missing one is named as such."""
        bot = await self._token_check(self.api, "bot_token", "chat:write")
        said = f"Slack accepts the bot token of {bot.get('user')} in {bot.get('team')}"
        if self.search_api is not None:
            user = await self._token_check(self.search_api, "user_token", "search:read")
            said += f"; searches as {user.get('user')}"
        return said

    async def _token_check(self, api: ApiClient, setting: str, scope: str) -> dict[str, Any]:
        # GET, as Slack's spec documents auth.test (it takes no arguments).
        response = await api.request("GET", "/auth.test")
        assert response is not None  # not_found=False: a 404 raises
        answer = api.decode(response)
        if not isinstance(answer, dict) or not answer.get("ok"):
            raise self._error(api, "auth.test", answer if isinstance(answer, dict) else {})
        granted = response.headers.get("x-oauth-scopes")
        if granted is not None and scope not in {s.strip() for s in granted.split(",")}:
            raise ConnectorPermissionError(
                f"Slack accepts the {setting.replace('_', ' ')}, but it lacks the scope {scope}; "
                f"add it to the Slack app, reinstall it and update {api.credential_hint}"
            )
        return answer

    # --- hand-offs -----------------------------------------------------------------------------

    async def post_handoff(self, handoff: Handoff) -> HandoffPosted:
        channel = handoff.channel or self.config.channel
        text = _handoff_text(handoff)
        body = {
            "channel": channel,
            "text": _shortened(text, FALLBACK_CHARS),  # the notification and the fallback
            "blocks": _section_blocks(text, handoff.ticket_id),
            "unfurl_links": False,
            "unfurl_media": False,
        }
        # Not retried after a 5xx: Slack may have posted it, and a hand-off twice is noise.
        answer = await self._call(self.api, "POST", "chat.postMessage", json=body)
        posted_in = str(answer.get("channel") or channel)
        return HandoffPosted(channel=posted_in, reference=f"{posted_in}/{answer.get('ts')}")

    # --- the team's messages -------------------------------------------------------------------

    async def search_messages(self, query: str, limit: int = 5) -> list[TeamMessage]:
        api = self.search_api
        if api is None or not query.strip() or limit <= 0:
            return []
        scoped = " ".join([f'"{query.strip()}"', *map(_in_channel, self.config.search_channels)])
        per_page = min(limit, self.config.page_size)

        async def fetch(page: int | None) -> Any:
            params = {
                "query": scoped,
                "sort": "timestamp",
                "sort_dir": "desc",
                "count": per_page,
                "page": page or 1,
            }
            return await self._call(api, "GET", "search.messages", params=params)

        found: list[TeamMessage] = []
        async for answer in paginate(fetch, _next_page, max_pages=self.config.max_pages):
            found += [_message(match) for match in _matches(answer)]
            if len(found) >= limit:
                break
        found.sort(key=lambda message: message.at, reverse=True)
        return found[:limit]

    # --- Slack's envelope ----------------------------------------------------------------------

    async def _call(
        self,
        api: ApiClient,
        http_method: str,
        method: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        answer = await api.json(http_method, f"/{method}", params=params, json=json)
        if not isinstance(answer, dict):
            raise ConnectorError(f"Slack: {method} answered with something other than an object")
        if answer.get("ok"):
            return answer
        raise self._error(api, method, answer)

    def _error(self, api: ApiClient, method: str, answer: dict[str, Any]) -> ConnectorError:
        code = str(answer.get("error") or "unknown_error")
        if code in AUTH_ERRORS:
            return api.auth_error(f"{method}: {code}")
        if code == "missing_scope":
            needed = answer.get("needed") or "?"
            return ConnectorPermissionError(
                f"Slack accepts the token, but {method} needs a scope it lacks: the token lacks "
                f"the scope {needed}; add it to the Slack app and reinstall it, then update "
                f"{api.credential_hint}"
            )
        if code in PERMISSION_ERRORS:
            return ConnectorPermissionError(
                f"Slack accepts the token, but refused {method}: {code}"
                + (
                    "; search.messages needs a user token (xoxp-)"
                    if method.startswith("search")
                    else ""
                )
            )
        # "ratelimited" comes with HTTP 429; chat.postMessage's own limit is "rate_limited".
        if code in ("ratelimited", "rate_limited"):
            return ConnectorRateLimitedError(f"Slack is rate limiting {method}; try again later")
        advice = ADVICE.get(code, "").format(name=self.context.name)
        return RemoteApiError(
            api.redact(f"Slack refused {method}: {code}" + (f"; {advice}" if advice else "")),
            code=code,
        )


def _handoff_text(handoff: Handoff) -> str:
    lines = [f"*Hand-off: ticket {_escape(handoff.ticket_id)}*"]
    if handoff.reason:
        lines.append(f"*Why:* {_escape(handoff.reason)}")
    who = [
        f"customer {_escape(handoff.customer_email)}" if handoff.customer_email else "",
        f"from {_escape(handoff.agent)}" if handoff.agent else "",
    ]
    if any(who):
        lines.append(", ".join(part for part in who if part))
    lines.append(_escape(handoff.summary))
    return "\n".join(lines)


def _section_blocks(text: str, ticket_id: str) -> list[dict[str, Any]]:
    """The hand-off as mrkdwn section blocks within Slack's limits: whole lines packed into
    sections of at most ``SECTION_CHARS``, a longer line split at a space; what does not fit in
    ``MAX_BLOCKS`` blocks or ``BLOCKS_CHARS`` characters is cut, and the last block says so."""
    sections = _packed(text.split("\n"), SECTION_CHARS)
    kept: list[str] = []
    used = 0
    for section in sections:
        if len(kept) == MAX_BLOCKS - 1 or used + len(section) > BLOCKS_CHARS - SECTION_CHARS:
            break
        kept.append(section)
        used += len(section)
    if len(kept) < len(sections):
        left = sum(len(section) for section in sections[len(kept) :])
        kept.append(
            f"{CUT} ({left:,} more characters: the whole hand-off is on ticket "
            f"{_escape(ticket_id)} in DeskPilot)"
        )
    return [{"type": "section", "text": {"type": "mrkdwn", "text": part}} for part in kept]


def _packed(lines: list[str], limit: int) -> list[str]:
    """Lines joined into chunks of at most ``limit`` characters, a longer line split."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        for piece in _split_line(line, limit):
            joined = f"{current}\n{piece}" if current else piece
            if len(joined) <= limit:
                current = joined
                continue
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks or [""]


def _split_line(line: str, limit: int) -> list[str]:
    """A line in pieces of at most ``limit``, broken at the last space (or anywhere, outside
    an escaped ``&amp;``-style entity, when a piece has none)."""
    pieces: list[str] = []
    while len(line) > limit:
        cut = line.rfind(" ", limit // 2, limit + 1)
        if cut <= 0:
            cut = limit
            entity = line.rfind("&", cut - 5, cut)
            if entity != -1 and ";" not in line[entity:cut]:
                cut = entity  # never split "&amp;" into "&am" and "p;"
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    pieces.append(line)
    return pieces


def _shortened(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - len(CUT))
    return text[: cut if cut > limit // 2 else limit - len(CUT)].rstrip() + CUT


def _escape(text: str) -> str:
    """Slack's three control characters: with them escaped, ``<!channel>`` or ``<@U123>`` in a
    customer's words is shown, not acted on."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _in_channel(channel: str) -> str:
    return f"in:#{channel.strip().lstrip('#')}"


def _matches(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return list((answer.get("messages") or {}).get("matches") or [])


def _next_page(answer: dict[str, Any]) -> int | None:
    paging = (answer.get("messages") or {}).get("paging") or {}
    page, pages = int(paging.get("page") or 1), int(paging.get("pages") or 1)
    return page + 1 if page < pages and _matches(answer) else None


def _message(match: dict[str, Any]) -> TeamMessage:
    try:
        channel = match.get("channel") or {}
        name = channel.get("name") if isinstance(channel, dict) else channel
        return TeamMessage(
            channel=f"#{name}" if name else "",
            text=str(match.get("text") or ""),
            at=from_unix(float(match["ts"])),
            author=str(match.get("username") or match.get("user") or ""),
            permalink=str(match.get("permalink") or ""),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise unreadable(SERVICE, "a message", error) from None
