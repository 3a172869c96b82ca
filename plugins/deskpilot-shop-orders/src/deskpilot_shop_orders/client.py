"""A small async client for the (fictional) Acme Shop REST API: authentication, timeouts,
cursor pagination and 429/503 ``Retry-After`` handling. Copy it for your own API.

Every failure becomes a DeskPilot connector error with a message an agent can act on, so the
desk shows "the shop API refused the API key" rather than a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from deskpilot.connectors import ConnectorError, ConnectorUnavailableError

RETRY_STATUSES = frozenset({429, 503})  # "slow down" and "try again shortly"
DEFAULT_RETRY_AFTER = 1.0  # seconds, when a 429 carries no Retry-After


class ShopClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float,
        max_retries: int,
        max_retry_wait: float,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        # Created on first use, inside the event loop that uses it: an httpx client's
        # connections belong to one loop, and the desk may close and reuse the connector.
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url,
                timeout=httpx.Timeout(self.timeout),
                headers={
                    "Authorization": f"Bearer {self._api_key}",
                    "Accept": "application/json",
                    "User-Agent": "deskpilot-shop-orders/0.1",
                },
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any | None:
        """The JSON body of a GET; None for 404 (the thing does not exist)."""
        response = await self._get(path, params)
        if response.status_code == 404:
            return None
        _raise_for_status(response)
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(f"shop API: {path} answered with invalid JSON") from None

    async def pages(
        self, path: str, params: dict[str, Any], key: str, max_pages: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page's ``key`` list, following ``next_cursor`` for at most ``max_pages``."""
        cursor: str | None = None
        for _ in range(max_pages):
            page = await self.get_json(path, {**params, **({"cursor": cursor} if cursor else {})})
            if page is None:
                return
            yield list(page.get(key) or [])
            cursor = page.get("next_cursor")
            if not cursor:
                return

    async def _get(self, path: str, params: dict[str, Any] | None) -> httpx.Response:
        for attempt in range(self.max_retries + 1):
            try:
                response = await self._client().get(path, params=params)
            except httpx.TimeoutException:
                raise ConnectorUnavailableError(
                    f"shop API at {self.base_url} did not answer within {self.timeout:g} s"
                ) from None
            except httpx.TransportError as error:
                raise ConnectorUnavailableError(
                    f"shop API at {self.base_url} cannot be reached: {error}"
                ) from None
            if response.status_code not in RETRY_STATUSES or attempt == self.max_retries:
                return response
            await asyncio.sleep(self._retry_wait(response))
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def _retry_wait(self, response: httpx.Response) -> float:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait > self.max_retry_wait:
            # Waiting minutes would freeze the agent's panel: fail now and say when to retry.
            raise ConnectorUnavailableError(
                f"shop API is rate limiting us (HTTP {response.status_code}) and asks to retry "
                f"after {wait:g} s; try again later"
            )
        return wait


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float:
    """``Retry-After`` as seconds: it is either a number of seconds or an HTTP date."""
    if value is None or not value.strip():
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    if status in (401, 403):
        raise ConnectorUnavailableError(
            f"shop API refused the API key (HTTP {status}); check "
            "DESKPILOT_CONNECTORS__SHOP_ORDERS__API_KEY"
        )
    if status in RETRY_STATUSES:
        raise ConnectorUnavailableError(f"shop API is still busy after retries (HTTP {status})")
    detail = response.text[:200].strip()
    error = ConnectorUnavailableError if status >= 500 else ConnectorError
    raise error(f"shop API: {response.request.url.path} failed with HTTP {status}: {detail}")
