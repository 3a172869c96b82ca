"""One async HTTP client for DeskPilot's built-in connectors (and any plugin that wants it).

What every remote API needs, written once: a configurable base URL (self-hosted instances and
tests), timeouts, auth headers, bounded retries of 429 and 5xx answers honouring
``Retry-After`` (with a cap on the wait), typed errors an agent can act on, and pagination
(cursor, offset and next-URL/``Link`` styles).

Retries are safe by construction: a 429 means the request was not processed, so it is retried
for any method; a 5xx is retried only for idempotent methods or a request that carries an
``Idempotency-Key`` header, so a POST is never sent twice unless the API promises to dedupe it.
Network failures are not retried: they fail at once, so a panel says "cannot be reached"
instead of spinning.

Secrets never leave this module in a message: error texts and log lines pass through
``redact``, which removes every secret the client was given and the auth headers built from
them, and URLs are shown without user info or query.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from pydantic import Field

from deskpilot.connectors.base import ConnectorConfig
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorPermissionError,
    ConnectorRateLimitedError,
    ConnectorUnavailableError,
    RemoteApiError,
)
from deskpilot.url_secrets import UrlSecretsFilter

log = logging.getLogger(__name__)
log.addFilter(UrlSecretsFilter())  # errors it logs may quote a URL with its key

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
DETAIL_CHARS = 200  # of the API's own error message, in ours
REDACTED = "[redacted]"
USER_AGENT = "deskpilot (+https://github.com/deskpilot)"

PageT = TypeVar("PageT")
TokenT = TypeVar("TokenT")


class HttpConnectorConfig(ConnectorConfig):
    """Settings every HTTP connector shares; subclasses add credentials and give ``base_url``
    the API's public address as default (override it for self-hosted instances and tests)."""

    base_url: str = Field(pattern=r"^https?://")
    timeout_seconds: float = Field(10.0, gt=0)
    max_retries: int = Field(3, ge=0, le=10)
    # A Retry-After longer than this fails at once with "try again in N s": an agent's panel
    # should not freeze for minutes.
    max_retry_wait_seconds: float = Field(30.0, ge=0)
    backoff_seconds: float = Field(0.5, ge=0)  # first wait without Retry-After; doubles
    page_size: int = Field(100, ge=1, le=1000)
    max_pages: int = Field(20, ge=1)  # stop somewhere on a customer with thousands of rows


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    max_wait: float = 30.0
    backoff: float = 0.5

    @classmethod
    def from_config(cls, config: HttpConnectorConfig) -> RetryPolicy:
        return cls(config.max_retries, config.max_retry_wait_seconds, config.backoff_seconds)

    def backoff_wait(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` (1-based) when the API did not say."""
        return float(min(self.backoff * 2.0 ** (attempt - 1), self.max_wait))


# (response) -> the API's own words about an error ("" when it said nothing useful)
ErrorDetail = Callable[[httpx.Response], str]
# (response) -> the API's own error code ("resource_missing", "idempotency_error"), or ""
ErrorCode = Callable[[httpx.Response], str]


class ApiClient:
    """An ``httpx.AsyncClient`` for one API, created inside the event loop that uses it.

    ``service`` names the API in messages ("Stripe"); ``credential_hint`` says what to fix when
    it refuses our credentials (an environment variable, never a value). ``rate_limit_codes``
    are error codes that mean "rate limited" on an API that does not use 429 for it
    (Salesforce's 403 ``REQUEST_LIMIT_EXCEEDED``): reported as such, not as refused credentials.
    ``permission_codes`` are error codes meaning "the credentials are fine, but their scopes or
    role do not allow this" (HubSpot's 403 ``MISSING_SCOPES``, Salesforce's
    ``INSUFFICIENT_ACCESS``): a ``ConnectorPermissionError``, not refused credentials.
    """

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        credential_hint: str = "",
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        error_detail: ErrorDetail | None = None,
        error_code: ErrorCode | None = None,
        rate_limit_codes: Iterable[str] = (),
        permission_codes: Iterable[str] = (),
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.endpoint = display_url(self.base_url)
        self.headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
        self.credential_hint = credential_hint
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.error_detail = error_detail or generic_error_detail
        self.error_code = error_code or generic_error_code
        self.rate_limit_codes = frozenset(rate_limit_codes)
        self.permission_codes = frozenset(permission_codes)
        # The secrets and every auth header built from them (a Basic header is base64).
        sensitive = [*secrets, self.headers.get("Authorization", "")]
        self._secrets = sorted({s for s in sensitive if len(s) >= 4}, key=len, reverse=True)
        # Replaceable in tests, to see the waits without waiting.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_config(
        cls,
        service: str,
        config: HttpConnectorConfig,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        credential_hint: str = "",
        error_detail: ErrorDetail | None = None,
        error_code: ErrorCode | None = None,
        rate_limit_codes: Iterable[str] = (),
        permission_codes: Iterable[str] = (),
    ) -> ApiClient:
        return cls(
            service,
            config.base_url,
            headers=headers,
            secrets=secrets,
            credential_hint=credential_hint,
            timeout=config.timeout_seconds,
            retry=RetryPolicy.from_config(config),
            error_detail=error_detail,
            error_code=error_code,
            rate_limit_codes=rate_limit_codes,
            permission_codes=permission_codes,
        )

    def __repr__(self) -> str:
        return f"ApiClient({self.service!r}, {self.endpoint!r})"

    # --- the connection ------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        # Pooled connections belong to the loop that opened them; the desk may close a connector
        # and use it again from another loop.
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            self._http = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self.headers,
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,  # a redirect elsewhere must not carry our credentials
            )
            self._loop = loop
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            if self._loop is asyncio.get_running_loop():
                await self._http.aclose()
            self._http = self._loop = None

    # --- requests ------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        not_found: bool = False,
        repeatable: bool | None = None,
    ) -> httpx.Response | None:
        """Send with retries and return the response; raise a connector error for failures.
        With ``not_found=True`` a 404 returns None (the thing does not exist). ``repeatable``
        says whether a 5xx may be retried; by default idempotent methods and requests with an
        ``Idempotency-Key`` are (pass False for a PUT that appends, like a comment)."""
        method = method.upper()
        self._check_same_origin(url)
        retry_5xx = repeatable
        if retry_5xx is None:
            retry_5xx = method in IDEMPOTENT_METHODS or any(
                name.lower() == "idempotency-key" for name in (headers or {})
            )
        attempt = 0
        while True:
            response = await self._send(method, url, params, json, data, headers)
            status = response.status_code
            retryable = status == 429 or (status in RETRY_STATUSES and retry_5xx)
            if not retryable or attempt >= self.retry.max_retries:
                break
            attempt += 1
            wait = self._retry_wait(response, attempt)
            log.info(
                "%s: HTTP %s on %s %s; retry %d of %d in %.2g s",
                self.service,
                status,
                method,
                response.request.url.path,
                attempt,
                self.retry.max_retries,
                wait,
            )
            await self.sleep(wait)
        if status == 404 and not_found:
            return None
        self.raise_for_status(response)
        return response

    async def json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        not_found: bool = False,
        repeatable: bool | None = None,
    ) -> Any:
        """The JSON body of a request (None for a 404 with ``not_found=True``)."""
        response = await self.request(
            method,
            url,
            params=params,
            json=json,
            data=data,
            headers=headers,
            not_found=not_found,
            repeatable=repeatable,
        )
        return None if response is None else self.decode(response)

    async def get(
        self, url: str, params: Mapping[str, Any] | None = None, *, not_found: bool = False
    ) -> Any:
        return await self.json("GET", url, params=params, not_found=not_found)

    def decode(self, response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(
                f"{self.service}: {response.request.method} {response.request.url.path} "
                f"answered with something that is not JSON (HTTP {response.status_code})"
            ) from None

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        try:
            return await self._client().request(
                method,
                url,
                params=_clean_params(params),
                json=json,
                data=data,
                headers=headers,
            )
        except httpx.TimeoutException:
            raise ConnectorUnavailableError(
                f"{self.service} at {self.endpoint} did not answer within {self.timeout:g} s"
            ) from None
        except httpx.TransportError as error:
            raise ConnectorUnavailableError(
                self.redact(f"{self.service} at {self.endpoint} cannot be reached: {error}")
            ) from None

    def _retry_wait(self, response: httpx.Response, attempt: int) -> float:
        asked = retry_after_seconds(response.headers)
        if asked is None:
            return self.retry.backoff_wait(attempt)
        if asked > self.retry.max_wait:
            # Waiting less than asked would only be refused again: fail now, say when.
            raise ConnectorRateLimitedError(
                f"{self.service} is {_busy(response.status_code)} and asks to retry after "
                f"{asked:g} s; try again later",
                retry_after=asked,
            )
        return asked

    def _check_same_origin(self, url: str) -> None:
        """Next-page URLs come from the API's answers: never send our credentials elsewhere."""
        if not urlsplit(url).scheme:
            return
        if _origin(url) != _origin(self.base_url):
            raise ConnectorError(
                f"{self.service}: refusing to follow {display_url(url)}, which is not "
                f"{self.endpoint}"
            )

    # --- errors --------------------------------------------------------------------------------

    def raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = self.redact(self.error_detail(response).strip())[:DETAIL_CHARS]
        said = f": {detail}" if detail else ""
        where = f"{response.request.method} {response.request.url.path}"
        code = self.error_code(response)
        if code and code in self.rate_limit_codes:
            raise ConnectorRateLimitedError(
                f"{self.service} says we are over its request limit (HTTP {status}{said}); "
                "try again later"
            )
        if code and code in self.permission_codes:
            raise ConnectorPermissionError(
                f"{self.service} accepts our credentials, but they are not allowed {where} "
                f"(HTTP {status} {code}{said})"
            )
        if status in (401, 403):
            raise self.auth_error(f"HTTP {status}{said}")
        if status == 429:
            raise ConnectorRateLimitedError(
                f"{self.service} is still rate limiting us after {self.retry.max_retries} "
                f"retries (HTTP 429{said}); try again later",
                retry_after=retry_after_seconds(response.headers),
            )
        if status >= 500:
            raise ConnectorUnavailableError(
                f"{self.service} failed on {where} (HTTP {status}{said}); try again later"
            )
        raise RemoteApiError(
            f"{self.service} refused {where} (HTTP {status}{said})",
            status=status,
            code=code,
        )

    def auth_error(self, what: str) -> ConnectorAuthError:
        hint = f"; check {self.credential_hint}" if self.credential_hint else ""
        return ConnectorAuthError(
            self.redact(f"{self.service} at {self.endpoint} refused our credentials ({what}){hint}")
        )

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


# --- pacing ----------------------------------------------------------------------------------

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RequestPacer:
    """At most ``per_minute`` requests in any minute (an API's documented limit on one
    endpoint, e.g. Zendesk's export, Linear's search): waits, and logs how long and why, before
    one more, instead of being refused. ``clock`` and ``sleep`` are replaceable in tests."""

    def __init__(
        self,
        per_minute: int,
        what: str,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        *,
        service: str = "",
    ) -> None:
        self.per_minute = per_minute
        self.what = what
        self.service = service
        self.clock: Clock = clock or time.monotonic
        self.sleep: Sleep = sleep or asyncio.sleep
        self.sent: list[float] = []

    async def wait_turn(self) -> float:
        """Wait until one more request is within the limit; returns the seconds waited."""
        now = self.clock()
        self.sent = [t for t in self.sent if t > now - 60.0]
        waited = 0.0
        if len(self.sent) >= self.per_minute:
            waited = self.sent[0] + 60.0 - now
            log.info(
                "%s: %s allows %d requests a minute; waiting %.0f s",
                self.service,
                self.what,
                self.per_minute,
                waited,
            )
            await self.sleep(waited)
            now = self.clock()
            self.sent = [t for t in self.sent if t > now - 60.0]
        self.sent.append(now)
        return waited


# --- pagination ------------------------------------------------------------------------------


async def paginate(
    fetch: Callable[[TokenT | None], Awaitable[PageT]],
    next_token: Callable[[PageT], TokenT | None],
    *,
    max_pages: int,
) -> AsyncIterator[PageT]:
    """Pages from ``fetch(None)``, then ``fetch(token)`` while ``next_token(page)`` gives one,
    for at most ``max_pages``. Stop early by breaking out of the loop."""
    token: TokenT | None = None
    for _ in range(max_pages):
        page = await fetch(token)
        yield page
        token = next_token(page)
        if token is None or token == "":
            return


def cursor_pages(
    client: ApiClient,
    url: str,
    *,
    params: Mapping[str, Any],
    cursor_param: str,
    next_cursor: Callable[[Any], str | None],
    max_pages: int,
) -> AsyncIterator[Any]:
    """GET pages, sending the cursor the last page named as ``cursor_param``."""

    async def fetch(cursor: str | None) -> Any:
        extra = {cursor_param: cursor} if cursor else {}
        return await client.get(url, {**params, **extra})

    return paginate(fetch, next_cursor, max_pages=max_pages)


def offset_pages(
    client: ApiClient,
    url: str,
    *,
    params: Mapping[str, Any],
    items: Callable[[Any], list[Any]],
    offset_param: str,
    limit_param: str,
    page_size: int,
    max_pages: int,
    total: Callable[[Any], int | None] | None = None,
) -> AsyncIterator[Any]:
    """GET pages by offset until a short page, an empty one or the reported ``total``."""

    async def fetch(offset: int | None) -> tuple[int, Any]:
        start = offset or 0
        page = await client.get(url, {**params, offset_param: start, limit_param: page_size})
        return start, page

    def following(fetched: tuple[int, Any]) -> int | None:
        start, page = fetched
        count = len(items(page))
        known = total(page) if total else None
        end = start + count
        if count == 0 or (known is not None and end >= known):
            return None
        if known is None and count < page_size:
            return None
        return end

    async def pages() -> AsyncIterator[Any]:
        async for _start, page in paginate(fetch, following, max_pages=max_pages):
            yield page

    return pages()


def link_pages(
    client: ApiClient,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    next_url: Callable[[httpx.Response, Any], str | None] | None = None,
    max_pages: int,
) -> AsyncIterator[Any]:
    """GET pages following a next-page URL: the ``Link: <...>; rel="next"`` header by default,
    or whatever ``next_url(response, body)`` finds (Salesforce's ``nextRecordsUrl``). The URL
    may be relative to the API's address; one on another host is refused."""
    find = next_url or link_header_next

    async def fetch(link: str | None) -> tuple[httpx.Response, Any]:
        if link is None:
            response = await client.request("GET", url, params=params)
        else:
            response = await client.request("GET", link)
        assert response is not None  # not_found=False: a 404 raises
        return response, client.decode(response)

    def following(fetched: tuple[httpx.Response, Any]) -> str | None:
        return find(*fetched)

    async def pages() -> AsyncIterator[Any]:
        async for _response, body in paginate(fetch, following, max_pages=max_pages):
            yield body

    return pages()


def link_header_next(response: httpx.Response, _body: Any = None) -> str | None:
    link = response.links.get("next")
    return link.get("url") if link else None


# --- helpers ---------------------------------------------------------------------------------


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """What ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms`` asks for; None when
    the answer says nothing usable."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            value = float(milliseconds) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return max(0.0, value)
    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def display_url(url: str) -> str:
    """A URL as shown in messages: no user info, query or fragment (they may hold secrets)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        if parts.port:
            host += f":{parts.port}"
    except ValueError:
        return "(invalid URL)"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def join_url(base: str, path: str) -> str:
    return urljoin(base.rstrip("/") + "/", path.lstrip("/"))


def generic_error_detail(response: httpx.Response) -> str:
    """The message in the usual JSON error shapes, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:DETAIL_CHARS]
    return _message_in(body) or ""


def generic_error_code(response: httpx.Response) -> str:
    """``error.code`` / ``error.type`` / ``code`` / ``errorCode`` in the usual shapes."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        body = error
    for key in ("code", "type", "errorCode", "error_code", "category"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _message_in(body: Any) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        return "; ".join(m for m in (_message_in(item) for item in body[:3]) if m)
    if not isinstance(body, dict):
        return ""
    for key in ("message", "error_description", "description", "detail", "title"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value
    for key in ("error", "errors", "errorMessages"):
        if key in body:
            found = _message_in(body[key])
            if found:
                return found
    return ""


def _busy(status: int) -> str:
    return "rate limiting us (HTTP 429)" if status == 429 else f"unavailable (HTTP {status})"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Drop None values, so optional filters can be passed unconditionally."""
    if params is None:
        return None
    return {key: value for key, value in params.items() if value is not None}


def form_fields(values: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested values in the bracket form encoding Stripe (and Rails-style APIs) expect:
    ``{"metadata": {"a": 1}, "expand": ["x"]}`` -> ``metadata[a]=1``, ``expand[0]=x``."""
    flat: dict[str, str] = {}
    for key, value in values.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            flat.update(form_fields(value, name))
        elif isinstance(value, list | tuple):
            flat.update(form_fields({str(i): v for i, v in enumerate(value)}, name))
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        else:
            flat[name] = str(value)
    return flat
