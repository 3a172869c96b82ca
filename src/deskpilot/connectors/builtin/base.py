"""The frame of a built-in connector: an ``ApiClient`` made from its config, closed with it."""

from __future__ import annotations

from typing import TypeVar

from deskpilot.connectors.base import Connector
from deskpilot.connectors.http import ApiClient, HttpConnectorConfig

HttpConfigT = TypeVar("HttpConfigT", bound=HttpConnectorConfig)


class HttpConnector(Connector[HttpConfigT]):
    """Subclasses set ``self.api`` in ``__init__``; the desk's ``aclose`` closes it (the
    connector may be used again afterwards, from another event loop)."""

    api: ApiClient

    async def aclose(self) -> None:
        await self.api.aclose()
