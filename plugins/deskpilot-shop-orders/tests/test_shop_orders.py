"""The shop orders connector against a real local HTTP server answering with recorded responses.

``TestShopOrdersContract`` runs DeskPilot's contract tests (every connector passes them); the
other tests cover what is particular to this API: the key, pagination, retries, timeouts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from deskpilot.connectors import (
    ConnectorContext,
    ConnectorError,
    ConnectorUnavailableError,
    Order,
)
from deskpilot.testing import (
    ContractSamples,
    OrdersContract,
    RecordedResponse,
    RecordedServer,
    run,
)
from pydantic import SecretStr, ValidationError

from deskpilot_shop_orders import ShopOrdersConfig, ShopOrdersConnector
from deskpilot_shop_orders.client import retry_after_seconds

RECORDING = Path(__file__).parent / "recordings" / "shop_api.json"
API_KEY = "test-key-not-secret"


def make_connector(server: RecordedServer, **settings: Any) -> ShopOrdersConnector:
    config = ShopOrdersConfig(base_url=server.url, api_key=SecretStr(API_KEY), **settings)
    return ShopOrdersConnector(config, ConnectorContext(name="shop_orders"))


@pytest.fixture
def shop(http_server: RecordedServer) -> RecordedServer:
    http_server.load(RECORDING)
    return http_server


class TestShopOrdersContract(OrdersContract):
    @pytest.fixture
    def connector(self, shop: RecordedServer) -> ShopOrdersConnector:
        return make_connector(shop)

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(order_id="1042", order_email="Ann@Example.com")


def test_an_order_arrives_as_deskpilots_model(shop: RecordedServer) -> None:
    order = run(make_connector(shop), lambda c: c.order("1042"))
    assert isinstance(order, Order)
    assert (order.status, order.total, order.currency, order.carrier) == (
        "shipped",
        129.0,
        "EUR",
        "DHL",
    )
    assert order.items[0].name == "Standing desk, oak, 140 cm"
    assert str(order.estimated_delivery) == "2026-11-26"


def test_sends_the_key_and_follows_the_cursor(shop: RecordedServer) -> None:
    orders = run(make_connector(shop), lambda c: c.orders_for_customer("ann@example.com", 100))
    assert [o.id for o in orders] == ["1042", "1017", "988"]
    pages = shop.received("GET", "/v1/orders")
    assert [p.query.get("cursor") for p in pages] == [None, "c2"]
    assert all(p.headers["authorization"] == f"Bearer {API_KEY}" for p in pages)


def test_stops_paging_once_it_has_enough(shop: RecordedServer) -> None:
    orders = run(make_connector(shop), lambda c: c.orders_for_customer("ann@example.com", 2))
    assert [o.id for o in orders] == ["1042", "1017"]
    assert len(shop.received("GET", "/v1/orders")) == 1


def test_retries_after_a_429_as_retry_after_says(http_server: RecordedServer) -> None:
    slow_down = {"Retry-After": "0"}
    busy = RecordedResponse(429, {"error": "slow down"}, headers=slow_down)
    ok = RecordedResponse(200, {"ok": True, "shop": "Acme Cloud Store"})
    http_server.respond("GET", "/v1/ping", status=429, headers=slow_down, then=[busy, ok])
    said = run(make_connector(http_server), lambda c: c.check())
    assert "answers" in said
    assert len(http_server.received("GET", "/v1/ping")) == 3


def test_gives_up_at_once_when_asked_to_wait_too_long(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/v1/orders/1", status=429, headers={"Retry-After": "120"})
    with pytest.raises(ConnectorUnavailableError, match="retry after 120 s"):
        run(make_connector(http_server, max_retry_wait_seconds=5), lambda c: c.order("1"))
    assert len(http_server.received()) == 1


def test_gives_up_after_max_retries(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/v1/orders/1", status=503, headers={"Retry-After": "0"})
    with pytest.raises(ConnectorUnavailableError, match="still busy"):
        run(make_connector(http_server, max_retries=2), lambda c: c.order("1"))
    assert len(http_server.received()) == 3


def test_a_slow_api_is_a_timeout_not_a_hang(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/v1/ping", json={"ok": True}, delay=1.0)
    with pytest.raises(ConnectorUnavailableError, match="did not answer within 0.2 s"):
        run(make_connector(http_server, timeout_seconds=0.2), lambda c: c.check())


def test_a_refused_key_says_which_variable_to_fix(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/v1/ping", status=401, json={"error": "bad key"})
    with pytest.raises(ConnectorUnavailableError, match="SHOP_ORDERS__API_KEY"):
        run(make_connector(http_server), lambda c: c.check())


def test_an_unreadable_order_is_a_clear_error(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/v1/orders/7", json={"order": {"number": "7"}})
    with pytest.raises(ConnectorError, match="cannot read"):
        run(make_connector(http_server), lambda c: c.order("7"))


def test_an_unreachable_api_is_reported() -> None:
    server = RecordedServer().start()
    connector = make_connector(server)
    server.stop()  # nothing listens on that port any more
    with pytest.raises(ConnectorUnavailableError, match="cannot be reached"):
        run(connector, lambda c: c.check())


def test_the_connector_can_be_used_again_after_closing(shop: RecordedServer) -> None:
    connector = make_connector(shop)
    first = run(connector, lambda c: c.order("1042"))  # run() closes it at the end
    again = run(connector, lambda c: c.order("1042"))  # a new event loop, a new HTTP client
    assert first == again


def test_config_requires_a_url_and_a_key() -> None:
    with pytest.raises(ValidationError, match="api_key"):
        ShopOrdersConfig.model_validate({"base_url": "https://shop.example.com"})
    with pytest.raises(ValidationError, match="base_url"):
        ShopOrdersConfig.model_validate({"base_url": "shop.example.com", "api_key": "k"})


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, 1.0), ("7", 7.0), ("Wed, 25 Nov 2026 10:00:30 GMT", 30.0), ("soon", 1.0)],
)
def test_retry_after_is_seconds_or_a_date(header: str | None, seconds: float) -> None:
    now = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(header, now) == seconds
