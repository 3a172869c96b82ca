"""The connectors of a workspace: which are installed, which are configured, which serves what.

``ConnectorRegistry`` lists names without importing any plugin, imports one when it is asked
for, and keeps one instance per connector so the desk shares its HTTP connections. A broken
plugin is reported with its name and the error, and only the capabilities it would have served
go without.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from deskpilot.config import Settings
from deskpilot.connectors.base import (
    Connector,
    ConnectorConfig,
    ConnectorContext,
    TicketHistory,
)
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
from deskpilot.connectors.configuration import build_config, chosen_capabilities, config_file
from deskpilot.connectors.discovery import (
    LOAD_PLUGINS_ENV,
    BrokenPlugin,
    PluginEntry,
    allowed_names,
    entry_point_entries,
    load_class,
    local_entries,
    merge_entries,
    restrict,
)
from deskpilot.connectors.errors import (
    ConnectorError,
    ConnectorUnavailableError,
    NoConnectorError,
    PluginLoadError,
    UnknownConnectorError,
)
from deskpilot.models import TicketSummary
from deskpilot.store import QueueFilter, Store
from deskpilot.store.demo_flag import demo_description
from deskpilot.workspace import Workspace

DEMO = "demo"
CHECK_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ConnectorInfo:
    """One row of ``deskpilot plugins list``."""

    name: str
    source: str
    version: str
    builtin: bool
    local: bool
    configured: bool  # has a [connectors.<name>] table (or environment settings)
    default: bool  # serves this workspace without configuration (the demo connector on a demo)
    capabilities: tuple[str, ...] = ()
    title: str = ""
    error: str | None = None
    # capability -> the other configured connectors that serve it too: the desk uses none of
    # them for it until ``capabilities = [...]`` settles who does.
    clashes: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def clash_text(self) -> str:
        """ "crm (also hubspot)" for each clashing capability, "" without a clash."""
        return "; ".join(
            f"{capability} (also {', '.join(others)})" for capability, others in self.clashes
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "capabilities": list(self.capabilities),
            "source": self.source,
            "version": self.version,
            "builtin": self.builtin,
            "local": self.local,
            "configured": self.configured,
            "default": self.default,
            "title": self.title,
            "error": self.error,
            "clashes": {capability: list(others) for capability, others in self.clashes},
        }


class ConnectorRegistry:
    def __init__(
        self,
        settings: Settings,
        workspace: Workspace,
        *,
        store: Store | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.workspace = workspace
        self._store = store
        self._environ = environ
        self._entries: dict[str, PluginEntry] | None = None
        self._classes: dict[str, type[Connector[Any]]] = {}
        self._instances: dict[str, Connector[Any]] = {}
        self._is_demo: bool | None = None
        self.problems: dict[str, str] = {}  # name -> why it could not be loaded or configured

    # --- discovery (no imports) ----------------------------------------------------------

    def entries(self) -> dict[str, PluginEntry]:
        if self._entries is None:
            file = config_file(self.workspace)
            roots = [self.workspace.plugins_dir, file.parent / "plugins"]
            local = local_entries(self.settings.connectors, file.parent, roots)
            merged = merge_entries(entry_point_entries(), local)
            self._entries = restrict(merged, allowed_names(self._environ))
        return self._entries

    def names(self) -> list[str]:
        return sorted(self.entries())

    def configured_names(self) -> list[str]:
        return sorted(self.settings.connectors)

    # --- loading -------------------------------------------------------------------------

    def load(self, name: str) -> type[Connector[Any]]:
        """The connector class registered as ``name``; imports its plugin the first time."""
        if name in self._classes:
            return self._classes[name]
        entry = self._entry(name)
        try:
            cls = load_class(entry)
        except BrokenPlugin as error:
            self.problems[name] = str(error)
            raise PluginLoadError(name, entry.origin, str(error)) from None
        self._classes[name] = cls
        return cls

    def _entry(self, name: str) -> PluginEntry:
        entries = self.entries()
        if name in entries:
            return entries[name]
        allowed = allowed_names(self._environ)
        hint = ""
        if allowed is not None:
            hint = f"{LOAD_PLUGINS_ENV} allows only: {', '.join(sorted(allowed)) or 'none'}"
        raise UnknownConnectorError(name, entries, hint)

    def available(self) -> list[ConnectorInfo]:
        """Every connector with what it serves; loads each plugin, reporting broken ones."""
        return [self._info(entry) for _name, entry in sorted(self.entries().items())]

    def _info(self, entry: PluginEntry) -> ConnectorInfo:
        info = ConnectorInfo(
            name=entry.name,
            source=str(entry.local_path) if entry.local_path else entry.source,
            version=entry.version,
            builtin=entry.builtin,
            local=entry.local_path is not None,
            configured=entry.name in self.settings.connectors,
            default=False,
        )
        try:
            cls = self.load(entry.name)
        except PluginLoadError as error:
            return replace(info, error=error.problem)
        clashes = self.clashes()
        mine = tuple(
            (capability, tuple(n for n in names if n != entry.name))
            for capability, names in sorted(clashes.items())
            if entry.name in names
        )
        return replace(
            info,
            default=entry.name == DEMO and self.is_demo_workspace(),
            capabilities=tuple(sorted(cls.capabilities)),
            title=cls.title,
            clashes=mine,
        )

    def clashes(self) -> dict[str, list[str]]:
        """Capabilities that more than one configured connector serves, with their names: the
        desk refuses to guess, so none of them serves it until one is chosen."""
        found: dict[str, list[str]] = {}
        for capability in CAPABILITIES:
            serving = self._configured_serving(capability)
            if len(serving) > 1:
                found[capability] = serving
        return found

    def clash_message(self, capability: str, names: list[str]) -> str:
        return (
            f"connectors {' and '.join(names)} both serve '{capability}'; "
            f"choose one with capabilities = [...] in their [connectors.*] tables"
        )

    # --- configured instances ------------------------------------------------------------

    def config_for(self, name: str) -> ConnectorConfig:
        """The connector's validated settings (``ConfigError`` naming the key when invalid)."""
        cls = self.load(name)
        table = self.settings.connectors.get(name, {})
        return build_config(cls.config_model, name, table, config_file(self.workspace))

    def connector(self, name: str) -> Connector[Any]:
        """The configured instance of ``name``, created once."""
        if name not in self._instances:
            cls = self.load(name)
            context = ConnectorContext(
                name=name, workspace=self.workspace, ticket_history=self._ticket_history()
            )
            self._instances[name] = cls(self.config_for(name), context)
        return self._instances[name]

    def for_capability(self, capability: str) -> Connector[Any]:
        """The connector serving ``capability`` here: the one configured for it, else the demo
        connector on a demo workspace."""
        if capability not in CAPABILITIES:
            raise ConnectorError(
                f"unknown capability '{capability}'; known: {', '.join(CAPABILITIES)}"
            )
        candidates = self._configured_serving(capability)
        if len(candidates) > 1:
            raise ConnectorError(self.clash_message(capability, candidates))
        if candidates:
            return self.connector(candidates[0])
        if self._demo_serves(capability):
            return self.connector(DEMO)
        raise NoConnectorError(self._nothing_serves(capability))

    def all_for_capability(self, capability: str) -> list[str]:
        """Every connector serving ``capability`` here (the channel sync pulls each ticket
        source): the configured ones, else the demo connector on a demo workspace."""
        return self._configured_serving(capability) or (
            [DEMO] if self._demo_serves(capability) else []
        )

    # Typed shortcuts for the desk: registry.billing().refund(...)

    def crm(self) -> Crm:
        return cast(Crm, self.for_capability(Crm.capability))

    def billing(self) -> Billing:
        return cast(Billing, self.for_capability(Billing.capability))

    def issues(self) -> Issues:
        return cast(Issues, self.for_capability(Issues.capability))

    def identity(self) -> Identity:
        return cast(Identity, self.for_capability(Identity.capability))

    def notify(self) -> Notify:
        return cast(Notify, self.for_capability(Notify.capability))

    def tickets(self) -> TicketSource:
        return cast(TicketSource, self.for_capability(TicketSource.capability))

    def orders(self) -> Orders:
        return cast(Orders, self.for_capability(Orders.capability))

    def _configured_serving(self, capability: str) -> list[str]:
        serving = []
        for name in self.configured_names():
            try:
                cls = self.load(name)
            except ConnectorError as error:
                # Configured but missing or broken: the other capabilities still work.
                self.problems.setdefault(name, str(error))
                continue
            table = self.settings.connectors[name]
            if capability in chosen_capabilities(name, table, cls.capabilities):
                serving.append(name)
        return serving

    def _demo_serves(self, capability: str) -> bool:
        if DEMO not in self.entries() or not self.is_demo_workspace():
            return False
        try:
            return capability in self.load(DEMO).capabilities
        except PluginLoadError:
            return False

    def _nothing_serves(self, capability: str) -> str:
        message = (
            f"no connector serves '{capability}'; configure one in config.toml as "
            f"[connectors.<name>] (installed: {', '.join(self.names()) or 'none'})"
        )
        if self.problems:
            broken = "; ".join(f"{name}: {problem}" for name, problem in self.problems.items())
            message += f"; not usable: {broken}"
        return message

    def is_demo_workspace(self) -> bool:
        if self._is_demo is None:
            self._is_demo = self._read_demo_flag()
        return self._is_demo

    def _read_demo_flag(self) -> bool:
        if self._store is not None:
            return demo_description(self._store) is not None
        if not self.workspace.database_path.exists() and not self.settings.storage.database_url:
            return False
        with self.workspace.open_store(self.settings) as store:
            return demo_description(store) is not None

    def _ticket_history(self) -> TicketHistory | None:
        return ticket_history_from(self._store) if self._store is not None else None

    # --- checks and shutdown ---------------------------------------------------------------

    async def check(self, name: str, timeout: float = CHECK_TIMEOUT_SECONDS) -> str:
        """Run the connector's own check; any failure becomes one ``ConnectorUnavailableError``."""
        connector = self.connector(name)
        try:
            said = await asyncio.wait_for(connector.check(), timeout)
        except TimeoutError:
            raise ConnectorUnavailableError(
                f"{name}: check did not finish within {timeout:g} s"
            ) from None
        except ConnectorError as error:
            raise ConnectorUnavailableError(f"{name}: {error}") from None
        except Exception as error:
            raise ConnectorUnavailableError(
                f"{name}: check failed: {type(error).__name__}: {error}"
            ) from None
        clashing = [(c, names) for c, names in self.clashes().items() if name in names]
        if clashing:
            unused = ", ".join(f"'{capability}'" for capability, _names in clashing)
            raise ConnectorError(
                f"{name}: {said}; but the desk uses it for none of {unused}: "
                + "; ".join(self.clash_message(c, names) for c, names in clashing)
            )
        return said

    async def aclose(self) -> None:
        for connector in self._instances.values():
            await connector.aclose()


def ticket_history_from(store: Store) -> TicketHistory:
    """A customer's past tickets from the desk's store, newest first."""

    def history(customer_id: str, limit: int) -> list[TicketSummary]:
        rows = store.list_queue(QueueFilter(customer_id=customer_id), limit=None)
        rows.sort(key=lambda row: (row.created_at, row.id), reverse=True)
        return rows[:limit]

    return history
