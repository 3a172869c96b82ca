"""The connector contract's frame: a connector class, its config model and what it is given.

A connector is a class that subclasses ``Connector[ItsConfig]`` and one capability ABC per thing
it can do (``Crm``, ``Billing``, ... in ``capabilities.py``). Its capabilities are worked out from
those ABCs, so the declaration and the methods cannot drift apart.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from deskpilot.models import TicketSummary
from deskpilot.workspace import Workspace

# (customer id, how many) -> that customer's tickets, newest first. The desk passes one built on
# its store; a connector never opens the store itself.
TicketHistory = Callable[[str, int], list[TicketSummary]]


class ConnectorConfig(BaseModel):
    """Base of a connector's settings, read from ``[connectors.<name>]`` in config.toml.

    Secrets are ``SecretStr`` fields; they are filled only from the environment or secrets.env
    (``DESKPILOT_CONNECTORS__<NAME>__<FIELD>``), never from config.toml.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class ConnectorContext:
    """What DeskPilot hands a connector besides its config."""

    name: str  # the name it is registered and configured under
    workspace: Workspace | None = None
    ticket_history: TicketHistory | None = None


class Capability(ABC):  # noqa: B024 - a marker base: each capability ABC adds the abstract methods
    """Base of the capability ABCs; ``capability`` is the name config and the desk use."""

    capability: ClassVar[str] = ""


ConfigT = TypeVar("ConfigT", bound=ConnectorConfig)


class Connector(ABC, Generic[ConfigT]):
    """A connection to one outside system. Subclass it with the capability ABCs it serves:

    ``class Stripe(Connector[StripeConfig], Billing): ...``
    """

    config_model: ClassVar[type[ConnectorConfig]] = ConnectorConfig
    title: ClassVar[str] = ""  # one line for `deskpilot plugins list`
    # Worked out from the capability ABCs in the class's bases (see __init_subclass__).
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, config: ConfigT, context: ConnectorContext) -> None:
        self.config = config
        self.context = context

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.capabilities = _capabilities_of(cls)

    @property
    def name(self) -> str:
        return self.context.name

    def serves(self, capability: str) -> bool:
        return capability in self.capabilities

    async def check(self) -> str:
        """Prove the remote system answers and accepts our credentials; return one line saying
        what was checked. Raise ``ConnectorUnavailableError`` (or any error) when it fails."""
        return "nothing to check"

    async def aclose(self) -> None:
        """Release connections; the connector may be used again afterwards."""

    async def __aenter__(self) -> Connector[ConfigT]:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()


def _capabilities_of(cls: type) -> frozenset[str]:
    """Capabilities from the ABCs in the bases; an explicit ``capabilities`` in the class body
    may only name capabilities whose ABC it subclasses (its methods are what the desk calls)."""
    found = frozenset(
        base.capability
        for base in cls.__mro__
        if isinstance(base, type) and issubclass(base, Capability) and base.capability
    )
    declared = cls.__dict__.get("capabilities")
    if declared is None:
        return found
    declared = frozenset(declared)
    missing = declared - found
    if missing:
        raise TypeError(
            f"{cls.__qualname__} declares capabilities {sorted(missing)} but does not subclass "
            "their ABCs (deskpilot.connectors.Crm, Billing, ...)"
        )
    return declared
