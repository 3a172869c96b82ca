"""The connector: DeskPilot's ``orders`` capability over the Acme Shop REST API.

The three things every connector has:

* a config model (``ShopOrdersConfig``): the ``[connectors.shop_orders]`` table in config.toml,
  with secrets as ``SecretStr`` read only from the environment;
* a class subclassing ``Connector[ItsConfig]`` and the capability ABCs it serves (``Orders``);
* a ``check()`` that proves the API answers and accepts the key (``deskpilot plugins check``).

The rest is translation: the shop's JSON in, DeskPilot's ``Order`` model out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from deskpilot.connectors import (
    Connector,
    ConnectorConfig,
    ConnectorContext,
    ConnectorError,
    ConnectorUnavailableError,
    Order,
    OrderItem,
    Orders,
)
from pydantic import Field, SecretStr, ValidationError

# Relative, so the package also loads as a local plugin from a workspace's plugins/ folder.
from .client import ShopClient


class ShopOrdersConfig(ConnectorConfig):
    base_url: str = Field(pattern=r"^https?://")  # e.g. "https://shop.example.com/api"
    # From DESKPILOT_CONNECTORS__SHOP_ORDERS__API_KEY (environment or secrets.env) only.
    api_key: SecretStr
    timeout_seconds: float = Field(10.0, gt=0)
    page_size: int = Field(50, ge=1, le=250)
    max_pages: int = Field(20, ge=1)  # a customer with thousands of orders: stop somewhere
    max_retries: int = Field(3, ge=0)
    max_retry_wait_seconds: float = Field(30.0, ge=0)


class ShopOrdersConnector(Connector[ShopOrdersConfig], Orders):
    config_model: ClassVar[type[ConnectorConfig]] = ShopOrdersConfig
    title: ClassVar[str] = "Order status from the Acme Shop REST API"

    def __init__(self, config: ShopOrdersConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.client = ShopClient(
            config.base_url,
            config.api_key.get_secret_value(),
            timeout=config.timeout_seconds,
            max_retries=config.max_retries,
            max_retry_wait=config.max_retry_wait_seconds,
        )

    async def check(self) -> str:
        answer = await self.client.get_json("/v1/ping")
        if not isinstance(answer, dict) or not answer.get("ok"):
            raise ConnectorUnavailableError(f"shop API at {self.config.base_url} is not ready")
        return f"shop API at {self.config.base_url} answers ({answer.get('shop', 'unnamed shop')})"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def order(self, order_id: str) -> Order | None:
        data = await self.client.get_json(f"/v1/orders/{order_id}")
        return _order(data["order"]) if data else None

    async def orders_for_customer(self, email: str, limit: int = 10) -> list[Order]:
        params = {"email": email.strip().lower(), "limit": min(limit, self.config.page_size)}
        found: list[Order] = []
        async for page in self.client.pages("/v1/orders", params, "orders", self.config.max_pages):
            found.extend(_order(row) for row in page)
            if len(found) >= limit:
                break
        found.sort(key=lambda order: order.placed_at, reverse=True)
        return found[:limit]


def _order(row: dict[str, Any]) -> Order:
    """The shop's order JSON as DeskPilot's ``Order`` (amounts come in cents)."""
    try:
        fulfillment = row.get("fulfillment") or {}
        eta = fulfillment.get("eta")
        return Order(
            id=str(row["number"]),
            customer_email=str(row["email"]).lower(),
            status=str(row["state"]),
            placed_at=datetime.fromisoformat(row["created_at"]),
            currency=row.get("currency", "USD"),
            total=row.get("total_cents", 0) / 100,
            items=[_item(item) for item in row.get("line_items", [])],
            carrier=fulfillment.get("carrier") or "",
            tracking_url=fulfillment.get("tracking_url") or "",
            estimated_delivery=date.fromisoformat(eta) if eta else None,
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise ConnectorError(f"shop API sent an order DeskPilot cannot read: {error}") from None


def _item(row: dict[str, Any]) -> OrderItem:
    return OrderItem(
        sku=str(row["sku"]),
        name=str(row.get("title", "")),
        quantity=int(row.get("qty", 1)),
        unit_price=row.get("price_cents", 0) / 100,
    )
