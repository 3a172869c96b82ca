"""The shared HTTP client of the built-in connectors, over real local HTTP."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorRateLimitedError,
    ConnectorUnavailableError,
    RemoteApiError,
)
from deskpilot.connectors.http import (
    ApiClient,
    RetryPolicy,
    cursor_pages,
    display_url,
    form_fields,
    link_pages,
    offset_pages,
    retry_after_seconds,
)
from deskpilot.testing import RecordedServer

from .conftest import assert_secret_kept

SECRET = "sk_test_do-not-leak-4242"


def make_client(server: RecordedServer, **retry: Any) -> tuple[ApiClient, list[float]]:
    """A client whose waits are recorded instead of slept."""
    client = ApiClient(
        "Example",
        server.url,
        headers={"Authorization": f"Bearer {SECRET}"},
        secrets=[SECRET],
        credential_hint="DESKPILOT_CONNECTORS__EXAMPLE__API_KEY",
        timeout=2.0,
        retry=RetryPolicy(**{"max_retries": 3, "max_wait": 30.0, "backoff": 0.5, **retry}),
    )
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    client.sleep = record
    return client, waits


async def test_a_429_is_retried_after_what_retry_after_asks(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET", "/v1/things", status=429, headers={"Retry-After": "7"}, then=[{"json": {"ok": 1}}]
    )
    client, waits = make_client(http_server)
    assert await client.get("/v1/things") == {"ok": 1}
    await client.aclose()
    assert waits == [7.0]
    assert len(http_server.received("GET", "/v1/things")) == 2


async def test_a_real_retry_after_of_zero_is_retried_at_once(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET", "/v1/things", status=429, headers={"Retry-After": "0"}, then=[{"json": [1]}]
    )
    client = ApiClient("Example", http_server.url, retry=RetryPolicy(backoff=5.0))
    assert await client.get("/v1/things") == [1]  # really slept 0 s, not the 5 s backoff
    await client.aclose()
    assert len(http_server.received()) == 2


async def test_asked_to_wait_longer_than_the_cap_it_fails_at_once(
    http_server: RecordedServer,
) -> None:
    http_server.respond("GET", "/v1/things", status=429, headers={"Retry-After": "120"})
    client, waits = make_client(http_server, max_wait=5.0)
    with pytest.raises(ConnectorRateLimitedError, match="retry after 120 s") as raised:
        await client.get("/v1/things")
    await client.aclose()
    assert raised.value.retry_after == 120.0 and waits == []
    assert len(http_server.received()) == 1


async def test_5xx_backs_off_and_gives_up_after_max_retries(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/v1/things", status=503, json={"message": "maintenance"})
    client, waits = make_client(http_server, max_retries=2)
    with pytest.raises(ConnectorUnavailableError, match=r"HTTP 503: maintenance"):
        await client.get("/v1/things")
    await client.aclose()
    assert waits == [0.5, 1.0]
    assert len(http_server.received()) == 3


async def test_a_post_is_not_repeated_after_a_5xx_without_an_idempotency_key(
    http_server: RecordedServer,
) -> None:
    http_server.respond("POST", "/v1/notes", status=502, then=[{"status": 200, "json": {}}])
    client, _ = make_client(http_server)
    with pytest.raises(ConnectorUnavailableError, match="HTTP 502"):
        await client.json("POST", "/v1/notes", json={"body": "hi"})
    await client.aclose()
    assert len(http_server.received()) == 1


async def test_a_post_with_an_idempotency_key_is_retried_with_the_same_key(
    http_server: RecordedServer,
) -> None:
    http_server.respond("POST", "/v1/refunds", status=500, then=[{"json": {"id": "re_1"}}])
    client, _ = make_client(http_server)
    headers = {"Idempotency-Key": "k-1"}
    assert await client.json("POST", "/v1/refunds", data={"a": "1"}, headers=headers) == {
        "id": "re_1"
    }
    await client.aclose()
    sent = http_server.received("POST", "/v1/refunds")
    assert [r.headers["idempotency-key"] for r in sent] == ["k-1", "k-1"]


async def test_refused_credentials_name_the_setting_never_the_secret(
    http_server: RecordedServer, every_log: pytest.LogCaptureFixture
) -> None:
    # Some APIs echo what they were sent; the secret must still not reach the agent.
    http_server.respond("GET", "/v1/me", status=401, json={"message": f"bad key {SECRET}"})
    client, _ = make_client(http_server)
    with pytest.raises(ConnectorAuthError) as raised:
        await client.get("/v1/me")
    await client.aclose()
    message = str(raised.value)
    assert "refused our credentials (HTTP 401: bad key [redacted])" in message
    assert message.endswith("check DESKPILOT_CONNECTORS__EXAMPLE__API_KEY")
    assert_secret_kept(SECRET, raised.value, every_log)


async def test_a_basic_auth_header_is_redacted_too(http_server: RecordedServer) -> None:
    basic = "Basic " + base64.b64encode(b"agent@example.com/token:secret-token").decode()
    http_server.respond("GET", "/v1/me", status=400, json={"error": f"header was {basic}"})
    client = ApiClient("Example", http_server.url, headers={"Authorization": basic})
    with pytest.raises(RemoteApiError) as raised:
        await client.get("/v1/me")
    await client.aclose()
    assert basic not in str(raised.value) and "[redacted]" in str(raised.value)


async def test_a_missing_thing_is_none_and_a_bad_request_says_why(
    http_server: RecordedServer,
) -> None:
    http_server.respond("POST", "/v1/things", status=422, json={"errors": [{"message": "no name"}]})
    client, _ = make_client(http_server)
    assert await client.get("/v1/things/42", not_found=True) is None
    with pytest.raises(RemoteApiError, match=r"refused POST /v1/things \(HTTP 422: no name\)") as e:
        await client.json("POST", "/v1/things", json={})
    await client.aclose()
    assert e.value.status == 422


async def test_a_slow_api_times_out(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/v1/slow", json={}, delay=0.5)
    client = ApiClient("Example", http_server.url, timeout=0.1)
    with pytest.raises(ConnectorUnavailableError, match=r"did not answer within 0\.1 s"):
        await client.get("/v1/slow")
    await client.aclose()


async def test_an_unreachable_api_fails_at_once() -> None:
    server = RecordedServer().start()
    url = server.url
    server.stop()
    client = ApiClient("Example", url)
    expected = re.escape(f"Example at {url} cannot be reached")
    with pytest.raises(ConnectorUnavailableError, match=expected):
        await client.get("/v1/things")
    await client.aclose()


async def test_not_json_is_a_clear_error(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/v1/html", text="<html>login</html>")
    client, _ = make_client(http_server)
    with pytest.raises(ConnectorError, match="not JSON"):
        await client.get("/v1/html")
    await client.aclose()


# --- pagination --------------------------------------------------------------------------------


async def test_cursor_pages_follow_the_cursor(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/v1/items", json={"items": [1, 2], "next": "c2"})
    http_server.respond("GET", "/v1/items", query={"after": "c2"}, json={"items": [3]})
    client, _ = make_client(http_server)
    pages = cursor_pages(
        client,
        "/v1/items",
        params={"limit": 2},
        cursor_param="after",
        next_cursor=lambda page: page.get("next"),
        max_pages=10,
    )
    assert [page["items"] async for page in pages] == [[1, 2], [3]]
    await client.aclose()
    assert [r.query for r in http_server.received()] == [
        {"limit": "2"},
        {"limit": "2", "after": "c2"},
    ]


async def test_offset_pages_stop_at_the_total(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/rest/search", json={"total": 3, "issues": [1, 2]})
    http_server.respond(
        "GET", "/rest/search", query={"startAt": "2"}, json={"total": 3, "issues": [3]}
    )
    client, _ = make_client(http_server)
    pages = offset_pages(
        client,
        "/rest/search",
        params={"jql": "x"},
        items=lambda page: page["issues"],
        offset_param="startAt",
        limit_param="maxResults",
        page_size=2,
        total=lambda page: page["total"],
        max_pages=10,
    )
    assert [page["issues"] async for page in pages] == [[1, 2], [3]]
    await client.aclose()
    assert [r.query["startAt"] for r in http_server.received()] == ["0", "2"]


async def test_link_pages_follow_the_link_header_and_stop_at_max_pages(
    http_server: RecordedServer,
) -> None:
    http_server.respond(
        "GET", "/v1/list", json=[1], headers={"Link": '</v1/list?page=2>; rel="next"'}
    )
    http_server.respond(
        "GET",
        "/v1/list",
        query={"page": "2"},
        json=[2],
        headers={"Link": f'<{http_server.url}/v1/list?page=3>; rel="next"'},
    )
    http_server.respond("GET", "/v1/list", query={"page": "3"}, json=[3])
    client, _ = make_client(http_server)
    everything = [page async for page in link_pages(client, "/v1/list", max_pages=10)]
    two = [page async for page in link_pages(client, "/v1/list", max_pages=2)]
    await client.aclose()
    assert everything == [[1], [2], [3]] and two == [[1], [2]]


async def test_a_next_page_on_another_host_is_refused(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET", "/v1/list", json=[1], headers={"Link": '<https://evil.example/steal>; rel="next"'}
    )
    client, _ = make_client(http_server)
    with pytest.raises(ConnectorError, match=r"refusing to follow https://evil\.example/steal"):
        _ = [page async for page in link_pages(client, "/v1/list", max_pages=5)]
    await client.aclose()
    assert len(http_server.received()) == 1


# --- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({}, None),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": "Wed, 25 Nov 2026 10:00:30 GMT"}, 30.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
    ],
)
def test_retry_after_is_seconds_or_a_date(headers: dict[str, str], seconds: float | None) -> None:
    now = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(headers, now) == seconds


def test_form_fields_use_brackets_for_nesting() -> None:
    assert form_fields(
        {"amount": 1250, "metadata": {"ticket": "T-1"}, "expand": ["charge"], "x": None}
    ) == {"amount": "1250", "metadata[ticket]": "T-1", "expand[0]": "charge"}


def test_urls_are_shown_without_credentials_or_query() -> None:
    assert display_url("https://user:pw@example.com:8443/api/?token=x#f") == (
        "https://example.com:8443/api"
    )


def test_a_client_can_be_used_again_from_another_event_loop(http_server: RecordedServer) -> None:
    import asyncio

    http_server.respond("GET", "/v1/ping", json={"ok": True})
    client, _ = make_client(http_server)

    async def ping() -> Any:
        try:
            return await client.get("/v1/ping")
        finally:
            await client.aclose()

    assert asyncio.run(ping()) == asyncio.run(ping()) == {"ok": True}
