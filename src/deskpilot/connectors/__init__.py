"""Connectors: how DeskPilot reaches the systems around a support team.

The contract is one ABC per capability (``Crm``, ``Billing``, ``Issues``, ``Identity``,
``Notify``, ``TicketSource``, ``Orders``) with async methods over DeskPilot's pydantic models.
A connector subclasses ``Connector[ItsConfig]`` and the capabilities it serves, and registers in
the ``deskpilot.connectors`` entry-point group (DeskPilot's built-ins do the same).
``ConnectorRegistry`` finds, loads, configures and picks them. ``deskpilot.testing`` has the
contract tests and a local HTTP server for authors.

Nothing here imports Textual: the TUI calls connectors from its async workers.
"""

from deskpilot.connectors.base import (
    Capability,
    Connector,
    ConnectorConfig,
    ConnectorContext,
    TicketHistory,
)
from deskpilot.connectors.bugmatch import rank_bugs
from deskpilot.connectors.capabilities import (
    CAPABILITIES,
    Billing,
    Crm,
    Identity,
    Issues,
    Notify,
    Orders,
    TicketSource,
)
from deskpilot.connectors.discovery import GROUP, LOAD_PLUGINS_ENV, PluginEntry
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorRateLimitedError,
    ConnectorUnavailableError,
    NoConnectorError,
    NotSupportedError,
    PluginLoadError,
    RemoteApiError,
    UnknownConnectorError,
)
from deskpilot.connectors.models import (
    AccountUnlockResult,
    BugCreated,
    BugMatch,
    BugQuery,
    CustomerHistory,
    Handoff,
    HandoffPosted,
    NewBug,
    Order,
    OrderItem,
    PasswordResetResult,
    RefundResult,
    ReplyPosted,
    StatusUpdated,
    TeamMessage,
)
from deskpilot.connectors.registry import ConnectorInfo, ConnectorRegistry, ticket_history_from

__all__ = [
    "CAPABILITIES",
    "GROUP",
    "LOAD_PLUGINS_ENV",
    "AccountUnlockResult",
    "Billing",
    "BugCreated",
    "BugMatch",
    "BugQuery",
    "Capability",
    "Connector",
    "ConnectorAuthError",
    "ConnectorConfig",
    "ConnectorContext",
    "ConnectorError",
    "ConnectorInfo",
    "ConnectorRateLimitedError",
    "ConnectorRegistry",
    "ConnectorUnavailableError",
    "Crm",
    "CustomerHistory",
    "Handoff",
    "HandoffPosted",
    "Identity",
    "Issues",
    "NewBug",
    "NoConnectorError",
    "NotSupportedError",
    "Notify",
    "Order",
    "OrderItem",
    "Orders",
    "PasswordResetResult",
    "PluginEntry",
    "PluginLoadError",
    "RefundResult",
    "RemoteApiError",
    "ReplyPosted",
    "StatusUpdated",
    "TeamMessage",
    "TicketHistory",
    "TicketSource",
    "UnknownConnectorError",
    "rank_bugs",
    "ticket_history_from",
]
