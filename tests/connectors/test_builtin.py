"""The built-in connectors as DeskPilot finds them: through the entry-point group, configured
from config.toml and the environment, secrets never from the file."""

from __future__ import annotations

import asyncio
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from pydantic import SecretStr

from deskpilot.connectors import GROUP, ConnectorRegistry
from deskpilot.connectors.builtin.stripe import StripeConnector
from deskpilot.connectors.http import HttpConnectorConfig
from deskpilot.errors import ConfigError
from deskpilot.testing import RecordedServer
from deskpilot.workspace import Workspace

from .conftest import RECORDED

BUILTINS = {
    "hubspot": ("HubSpotConnector", {"crm"}),
    "jira": ("JiraConnector", {"issues"}),
    "linear": ("LinearConnector", {"issues"}),
    "salesforce": ("SalesforceConnector", {"crm"}),
    "slack": ("SlackConnector", {"notify"}),
    "stripe": ("StripeConnector", {"billing"}),
    "zendesk": ("ZendeskConnector", {"tickets"}),
}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws")


def configure(workspace: Workspace, toml: str) -> None:
    with workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write("\n" + toml)


def test_every_builtin_registers_in_the_entry_point_group() -> None:
    registered = {point.name: point.value for point in entry_points(group=GROUP)}
    if "stripe" not in registered:
        pytest.skip("entry points not installed: pip install -e . --no-deps")
    for name, (cls, _capabilities) in BUILTINS.items():
        assert registered.get(name) == f"deskpilot.connectors.builtin.{name}:{cls}"


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_loads_as_a_builtin_with_its_capabilities(
    workspace: Workspace, name: str
) -> None:
    registry = ConnectorRegistry(workspace.settings(), workspace, environ={})
    if name not in registry.entries():
        pytest.skip("entry points not installed: pip install -e . --no-deps")
    entry = registry.entries()[name]
    assert (entry.source, entry.builtin) == ("deskpilot", True)
    cls = registry.load(name)
    assert cls.__name__ == BUILTINS[name][0] and set(cls.capabilities) == BUILTINS[name][1]
    assert issubclass(cls.config_model, HttpConnectorConfig)
    secrets = [
        field
        for field, info in cls.config_model.model_fields.items()
        if "SecretStr" in repr(info.annotation)
    ]
    assert secrets, f"{name} keeps its credentials in SecretStr fields"


def test_stripe_configured_from_config_toml_and_the_environment(
    workspace: Workspace, http_server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_server.load(RECORDED / "stripe" / "api.json")
    configure(
        workspace, f'[connectors.stripe]\nbase_url = "{http_server.url}"\ntimeout_seconds = 3\n'
    )
    monkeypatch.setenv("DESKPILOT_CONNECTORS__STRIPE__API_KEY", "sk_test_from_the_environment")
    registry = ConnectorRegistry(workspace.settings(), workspace, environ={})
    if "stripe" not in registry.entries():
        pytest.skip("entry points not installed: pip install -e . --no-deps")
    billing = registry.billing()
    assert isinstance(billing, StripeConnector)
    assert billing.config.api_key == SecretStr("sk_test_from_the_environment")
    said = asyncio.run(_check_and_close(registry, "stripe"))
    assert said.startswith("Stripe at") and "test mode" in said
    sent = http_server.received()[0].headers["authorization"]
    assert sent == "Bearer sk_test_from_the_environment"


async def _check_and_close(registry: ConnectorRegistry, name: str) -> str:
    try:
        return await registry.check(name)
    finally:
        await registry.aclose()


def test_a_secret_in_config_toml_is_refused(workspace: Workspace) -> None:
    configure(workspace, '[connectors.stripe]\napi_key = "sk_live_in_the_file"\n')
    with pytest.raises(ConfigError) as raised:
        registry = ConnectorRegistry(workspace.settings(), workspace, environ={})
        registry.config_for("stripe")
    assert "DESKPILOT_CONNECTORS__STRIPE__API_KEY" in str(raised.value)
    assert "sk_live_in_the_file" not in str(raised.value)
