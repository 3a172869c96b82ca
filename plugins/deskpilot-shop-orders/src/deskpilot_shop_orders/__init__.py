"""DeskPilot connector plugin: order status from the Acme Shop REST API.

DeskPilot finds ``ShopOrdersConnector`` through the ``deskpilot.connectors`` entry point in
pyproject.toml; nothing else registers it.
"""

from .connector import ShopOrdersConfig, ShopOrdersConnector

__all__ = ["ShopOrdersConfig", "ShopOrdersConnector"]
