"""The example plugin in plugins/deskpilot-shop-orders: its own tests (the contract included)
run here too, and DeskPilot loads it as a local plugin and checks it over a real local server.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.cli import main
from deskpilot.cli.plugins import plugins
from deskpilot.connectors import ConnectorRegistry, Order
from deskpilot.errors import ConfigError
from deskpilot.testing import RecordedServer, run
from deskpilot.testing.pytest_plugin import http_server
from deskpilot.workspace import Workspace

EXAMPLE = Path(__file__).resolve().parents[2] / "plugins" / "deskpilot-shop-orders"
RECORDING = EXAMPLE / "tests" / "recordings" / "shop_api.json"
KEY_VARIABLE = "DESKPILOT_CONNECTORS__SHOP_LOCAL__API_KEY"


def _import_example_tests() -> dict[str, object]:
    """The example's test module, importable whether or not the plugin is pip-installed (CI
    installs only DeskPilot). Imported by name, so pytest rewrites its asserts as usual."""
    if importlib.util.find_spec("deskpilot_shop_orders") is None:
        sys.path.insert(0, str(EXAMPLE / "src"))
    sys.path.insert(0, str(EXAMPLE / "tests"))
    try:
        module = importlib.import_module("test_shop_orders")
    finally:
        sys.path.remove(str(EXAMPLE / "tests"))
    return {
        name: value
        for name, value in vars(module).items()
        if name.startswith(("test_", "Test")) or name == "shop"
    }


# The example's tests and its `shop` fixture, collected as if they were written here.
globals().update(_import_example_tests())
__all__ = ["http_server"]  # the kit's fixture, which the example's conftest enables


@pytest.fixture
def local_shop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, third_party_plugins: None
) -> Workspace:
    """A workspace whose plugins/ folder holds a copy of the example, configured in
    config.toml as a local plugin (which discovery offers), with its key in the environment."""
    workspace = Workspace.create(tmp_path / "ws")
    workspace.open_store().close()
    source = EXAMPLE / "src" / "deskpilot_shop_orders"
    shutil.copytree(source, workspace.plugins_dir / "deskpilot_shop_orders")
    monkeypatch.setenv(KEY_VARIABLE, "local-key")
    return workspace


def configure_shop(workspace: Workspace, base_url: str, extra: str = "") -> None:
    with workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write(
            "\n[connectors.shop_local]\n"
            'plugin = "plugins/deskpilot_shop_orders:ShopOrdersConnector"\n'
            f'base_url = "{base_url}"\n{extra}'
        )


def test_the_example_serves_orders_as_a_local_plugin(
    local_shop: Workspace, http_server: RecordedServer
) -> None:
    http_server.load(RECORDING)
    configure_shop(local_shop, http_server.url, "timeout_seconds = 5\n")
    registry = ConnectorRegistry(local_shop.settings(), local_shop)
    orders = registry.orders()
    assert orders is registry.for_capability("orders")
    order = run(registry.connector("shop_local"), lambda _: orders.order("1042"))
    assert isinstance(order, Order) and order.status == "shipped"
    assert http_server.received()[0].headers["authorization"] == "Bearer local-key"


def test_plugins_check_reaches_the_example_api(
    local_shop: Workspace, http_server: RecordedServer, cli: Cli
) -> None:
    if "plugins" not in main.commands:  # until cli/app.py registers the group
        main.add_command(plugins)
    http_server.load(RECORDING)
    configure_shop(local_shop, http_server.url)
    result = cli("plugins", "check", "shop_local")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout
        == f"ok: shop_local: shop API at {http_server.url} answers (Acme Cloud Store)\n"
    )

    http_server.stop()  # the API goes away
    result = cli("plugins", "check", "shop_local")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: shop_local: shop API at http://127.0.0.1:")
    assert "cannot be reached" in result.stderr and len(result.stderr.splitlines()) == 1


def test_the_example_needs_its_key_from_the_environment(
    local_shop: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_VARIABLE)
    configure_shop(local_shop, "https://shop.example.com")
    with pytest.raises(ConfigError, match=f"'api_key': Field required; set {KEY_VARIABLE}"):
        ConnectorRegistry(local_shop.settings(), local_shop).connector("shop_local")


def test_the_installed_example_is_listed(cli: Cli, third_party_plugins: None) -> None:
    if not any(p.name == "shop_orders" for p in entry_points(group="deskpilot.connectors")):
        pytest.skip("the example is not installed (pip install -e plugins/deskpilot-shop-orders)")
    if "plugins" not in main.commands:
        main.add_command(plugins)
    result = cli("plugins", "list", "--json")
    assert result.exit_code == 0, result.output
    [row] = [row for row in json.loads(result.stdout) if row["name"] == "shop_orders"]
    assert (row["source"], row["capabilities"], row["error"]) == (
        "deskpilot-shop-orders",
        ["orders"],
        None,
    )
