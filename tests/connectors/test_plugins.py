"""Finding, loading and choosing connectors: entry points, local plugins, the CLI.

Third-party plugins are real distributions: a ``*.dist-info`` folder with an
``entry_points.txt`` on ``sys.path``, as pip would leave them, with modules beside it.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Cli, install_distribution
from deskpilot.cli import main
from deskpilot.cli.plugins import plugins
from deskpilot.connectors import (
    ConnectorError,
    ConnectorRegistry,
    NoConnectorError,
    PluginLoadError,
    UnknownConnectorError,
)
from deskpilot.connectors.demo import DemoConnector
from deskpilot.errors import ConfigError
from deskpilot.workspace import Workspace

from .test_demo import build_demo_workspace

CRM_SOURCE = """
from deskpilot.connectors import Connector, ConnectorConfig, Crm


class {name}(Connector[ConnectorConfig], Crm):
    title = "A CRM for tests"

    async def customer_by_email(self, email):
        return None

    async def customer_by_id(self, customer_id):
        return None

    async def record(self, customer_id):
        return None
"""
FAKE_MODULES = {
    "fake_good": CRM_SOURCE.format(name="GoodCrm"),
    "fake_broken": "raise RuntimeError('database driver missing')\n",
    "fake_wrong": "thing = 42\n",
    "fake_exits": "import sys\nsys.exit(3)\n",
    "fake_abstract": CRM_SOURCE.format(name="HalfCrm").split("    async def customer_by_id")[0],
}
FAKE_ENTRY_POINTS = {
    "good": "fake_good:GoodCrm",
    "broken": "fake_broken:Anything",
    "wrong": "fake_wrong:thing",
    "exits": "fake_exits:Anything",
    "half": "fake_abstract:HalfCrm",
}


def forget_fake_modules() -> None:
    for module in [m for m in sys.modules if m.startswith(("fake_", "deskpilot_local_plugin_"))]:
        del sys.modules[module]


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Fake plugin distributions installed on sys.path (discovery may or may not offer them)."""
    site = tmp_path / "site"
    site.mkdir()
    for module, source in FAKE_MODULES.items():
        (site / f"{module}.py").write_text(source)
    install_distribution(site, "deskpilot-fake-plugins", FAKE_ENTRY_POINTS)
    forget_fake_modules()
    monkeypatch.syspath_prepend(str(site))
    yield site
    forget_fake_modules()


@pytest.fixture
def fake_plugins(fake_site: Path, third_party_plugins: None) -> Path:
    """Fake plugin distributions installed, and discovery offering them."""
    return fake_site


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_workspace(tmp_path_factory.mktemp("plugins-demo") / "ws").root


@pytest.fixture
def demo_ws(demo_template: Path, tmp_path: Path) -> Workspace:
    shutil.copytree(demo_template, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


@pytest.fixture
def plain_ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.create(tmp_path / "ws")
    workspace.open_store().close()
    return workspace


def registry_for(workspace: Workspace, environ: dict[str, str] | None = None) -> ConnectorRegistry:
    return ConnectorRegistry(workspace.settings(), workspace, environ=environ)


def configure(workspace: Workspace, toml: str) -> None:
    with workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write("\n" + toml)


# Every test here is about finding and loading plugins (installed or local): discovery offers
# them, as it does outside the tests (the suite otherwise sees DeskPilot's built-ins only).
pytestmark = pytest.mark.usefixtures("third_party_plugins")


# --- entry points ------------------------------------------------------------------------------


def test_builtin_demo_connector_registers_through_the_entry_point_group(
    plain_ws: Workspace,
) -> None:
    entry = registry_for(plain_ws).entries()["demo"]
    assert (entry.source, entry.builtin, entry.target) == (
        "deskpilot",
        True,
        "deskpilot.connectors.demo:DemoConnector",
    )
    assert registry_for(plain_ws).load("demo") is DemoConnector


def test_plugins_are_listed_without_importing_them(fake_plugins: Path, plain_ws: Workspace) -> None:
    registry = registry_for(plain_ws)
    assert {"good", "broken", "wrong", "exits", "half", "demo"} <= set(registry.names())
    assert registry.entries()["good"].source == "deskpilot-fake-plugins"
    assert not [m for m in sys.modules if m.startswith("fake_")], "listing imported a plugin"


def test_a_plugin_is_imported_when_asked_for(fake_plugins: Path, plain_ws: Workspace) -> None:
    cls = registry_for(plain_ws).load("good")
    assert cls.__name__ == "GoodCrm" and cls.capabilities == frozenset({"crm"})
    assert "fake_good" in sys.modules and "fake_broken" not in sys.modules


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("broken", "importing fake_broken:Anything failed: RuntimeError: database driver missing"),
        ("wrong", "fake_wrong:thing is a int, not a subclass of deskpilot.connectors.Connector"),
        ("exits", "importing fake_exits:Anything failed: SystemExit: 3"),
        ("half", "leaves abstract methods unimplemented: customer_by_id, record"),
    ],
)
def test_a_broken_plugin_is_reported_with_its_name_and_error(
    fake_plugins: Path, plain_ws: Workspace, name: str, problem: str
) -> None:
    with pytest.raises(PluginLoadError) as raised:
        registry_for(plain_ws).load(name)
    message = str(raised.value)
    assert message.startswith(f"connector '{name}' from deskpilot-fake-plugins 1.0 is broken: ")
    assert problem in message


def test_listing_everything_survives_broken_plugins(
    fake_plugins: Path, plain_ws: Workspace
) -> None:
    rows = {row.name: row for row in registry_for(plain_ws).available()}
    assert rows["good"].error is None and rows["good"].capabilities == ("crm",)
    assert rows["broken"].error is not None and "database driver missing" in rows["broken"].error
    assert rows["broken"].capabilities == ()
    assert rows["demo"].error is None and not rows["demo"].default  # not a demo workspace


def test_an_unknown_name_lists_the_installed_ones(fake_plugins: Path, plain_ws: Workspace) -> None:
    with pytest.raises(UnknownConnectorError) as raised:
        registry_for(plain_ws).load("freshdesk")
    message = str(raised.value)
    installed = "installed: broken, demo, email, exits, good"
    assert message.startswith(f"no connector named 'freshdesk'; {installed}")
    assert "freshdesk" not in message.split("installed:")[1]
    assert message.endswith("; install a plugin with pip or check the name in config.toml")


def test_the_environment_restricts_third_party_plugins(
    fake_plugins: Path, plain_ws: Workspace
) -> None:
    only_good = registry_for(plain_ws, {"DESKPILOT_LOAD_PLUGINS": "good"})
    builtins = registry_for(plain_ws, {"DESKPILOT_LOAD_PLUGINS": ""}).names()
    assert "demo" in builtins and not {"good", "broken", "exits"} & set(builtins)
    assert only_good.names() == sorted([*builtins, "good"])  # built-ins always load
    with pytest.raises(UnknownConnectorError, match="DESKPILOT_LOAD_PLUGINS allows only: good"):
        only_good.load("broken")


def test_two_plugins_with_one_name_are_reported_not_picked(
    fake_plugins: Path, plain_ws: Workspace
) -> None:
    install_distribution(
        fake_plugins, "other-crm", {"good": "fake_good:GoodCrm", "demo": "fake_good:GoodCrm"}
    )
    registry = registry_for(plain_ws)
    with pytest.raises(PluginLoadError) as raised:
        registry.load("good")
    assert "'good' is registered by deskpilot-fake-plugins 1.0 and other-crm 1.0" in str(
        raised.value
    )
    assert registry.load("demo") is DemoConnector  # a plugin cannot take a built-in's name
    with pytest.raises(PluginLoadError, match="belongs to DeskPilot's built-in connector"):
        registry.load("demo@other-crm")


def test_a_local_plugin_cannot_take_an_installed_name(
    fake_plugins: Path, plain_ws: Workspace
) -> None:
    write_local_plugin(plain_ws.plugins_dir, "good.py")
    configure(plain_ws, '[connectors.good]\nplugin = "plugins/good.py"\n')
    with pytest.raises(PluginLoadError, match="give the local plugin another name"):
        registry_for(plain_ws).load("good")


# --- local plugins -----------------------------------------------------------------------------


def write_local_plugin(folder: Path, file: str, class_name: str = "LocalCrm") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file
    path.write_text(CRM_SOURCE.format(name=class_name))
    return path


def test_a_file_in_the_plugins_folder_is_not_loaded_unless_listed(plain_ws: Workspace) -> None:
    write_local_plugin(plain_ws.plugins_dir, "my_crm.py")
    registry = registry_for(plain_ws)
    assert "my_crm" not in registry.names()
    assert not [m for m in sys.modules if m.startswith("deskpilot_local_plugin_")]


def test_a_listed_local_plugin_loads_like_an_installed_one(plain_ws: Workspace) -> None:
    write_local_plugin(plain_ws.plugins_dir, "my_crm.py")
    configure(plain_ws, '[connectors.my_crm]\nplugin = "plugins/my_crm.py:LocalCrm"\n')
    registry = registry_for(plain_ws)
    assert "my_crm" in registry.names()
    assert "deskpilot_local_plugin_my_crm" not in sys.modules, "listing imported it"
    [row] = [row for row in registry.available() if row.name == "my_crm"]
    assert (row.local, row.configured, row.capabilities, row.error) == (True, True, ("crm",), None)
    assert row.source == str(plain_ws.plugins_dir / "my_crm.py")
    assert registry.for_capability("crm").name == "my_crm"


def test_a_local_plugin_without_a_class_name_has_one_connector(plain_ws: Workspace) -> None:
    write_local_plugin(plain_ws.plugins_dir, "one.py")
    configure(plain_ws, '[connectors.one]\nplugin = "plugins/one.py"\n')
    assert registry_for(plain_ws).load("one").__name__ == "LocalCrm"


def test_a_local_package_plugin_may_import_its_own_modules(plain_ws: Workspace) -> None:
    package = plain_ws.plugins_dir / "crm_pkg"
    write_local_plugin(package, "impl.py", "PackagedCrm")
    (package / "__init__.py").write_text("from .impl import PackagedCrm\n")
    configure(plain_ws, '[connectors.pkg]\nplugin = "plugins/crm_pkg:PackagedCrm"\n')
    assert registry_for(plain_ws).load("pkg").__name__ == "PackagedCrm"


def test_a_local_plugin_outside_the_plugin_folders_is_never_imported(
    plain_ws: Workspace, tmp_path: Path
) -> None:
    marker = tmp_path / "imported"
    evil = tmp_path / "evil.py"
    evil.write_text(f"open({str(marker)!r}, 'w').close()\n")
    configure(plain_ws, '[connectors.evil]\nplugin = "../evil.py"\n')
    with pytest.raises(PluginLoadError, match="outside the plugin folders"):
        registry_for(plain_ws).load("evil")
    assert not marker.exists()


def test_the_plugins_folder_next_to_the_config_file_is_allowed(
    plain_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "team-repo"
    write_local_plugin(repo / "plugins", "team_crm.py", "TeamCrm")
    (repo / "deskpilot.toml").write_text('[connectors.team]\nplugin = "plugins/team_crm.py"\n')
    monkeypatch.setenv("DESKPILOT_CONFIG_FILE", str(repo / "deskpilot.toml"))
    assert registry_for(plain_ws).load("team").__name__ == "TeamCrm"


def test_a_missing_local_file_is_reported(plain_ws: Workspace) -> None:
    configure(plain_ws, '[connectors.gone]\nplugin = "plugins/gone.py"\n')
    rows = {row.name: row for row in registry_for(plain_ws).available()}
    assert rows["gone"].error is not None and rows["gone"].error.endswith("does not exist")


# --- choosing the connector for a capability ---------------------------------------------------


def test_a_demo_workspace_is_served_by_the_demo_connector(demo_ws: Workspace) -> None:
    registry = registry_for(demo_ws)
    assert isinstance(registry.for_capability("billing"), DemoConnector)
    assert registry.billing() is registry.crm(), "one instance per connector"
    [row] = [row for row in registry.available() if row.name == "demo"]
    assert row.default and not row.configured


def test_a_plain_workspace_needs_a_configured_connector(plain_ws: Workspace) -> None:
    with pytest.raises(NoConnectorError, match=r"no connector serves 'billing'.*installed: demo"):
        registry_for(plain_ws).for_capability("billing")


def test_configuring_the_demo_connector_serves_any_workspace(demo_ws: Workspace) -> None:
    plain = Workspace.create(demo_ws.root.parent / "plain")
    configure(plain, f'[connectors.demo]\nrecords_dir = "{demo_ws.records_dir}"\n')
    billing = registry_for(plain).billing()
    assert isinstance(billing, DemoConnector)
    assert billing.records.folder == demo_ws.records_dir


def test_a_configured_connector_wins_over_the_demo_default(demo_ws: Workspace) -> None:
    write_local_plugin(demo_ws.plugins_dir, "my_crm.py")
    configure(demo_ws, '[connectors.my_crm]\nplugin = "plugins/my_crm.py"\n')
    registry = registry_for(demo_ws)
    assert registry.crm().name == "my_crm"
    assert isinstance(registry.billing(), DemoConnector)


def test_two_connectors_for_one_capability_must_be_chosen_between(demo_ws: Workspace) -> None:
    write_local_plugin(demo_ws.plugins_dir, "my_crm.py")
    configure(demo_ws, '[connectors.my_crm]\nplugin = "plugins/my_crm.py"\n[connectors.demo]\n')
    with pytest.raises(ConnectorError, match="connectors demo and my_crm both serve 'crm'"):
        registry_for(demo_ws).crm()
    configure(demo_ws, 'capabilities = ["billing", "issues"]\n')  # goes into [connectors.demo]
    registry = registry_for(demo_ws)
    assert registry.crm().name == "my_crm" and registry.billing().name == "demo"


def test_a_capabilities_key_naming_what_it_does_not_serve_is_refused(demo_ws: Workspace) -> None:
    configure(demo_ws, '[connectors.demo]\ncapabilities = ["orders"]\n')
    with pytest.raises(ConfigError, match=r"capabilities: orders not served by 'demo'"):
        registry_for(demo_ws).crm()


def test_a_broken_configured_plugin_only_costs_its_capability(
    fake_plugins: Path, demo_ws: Workspace
) -> None:
    configure(demo_ws, "[connectors.broken]\n")
    registry = registry_for(demo_ws)
    assert isinstance(registry.billing(), DemoConnector)
    plain = Workspace.create(demo_ws.root.parent / "plain")
    configure(plain, "[connectors.broken]\n")
    with pytest.raises(NoConnectorError, match=r"not usable: broken: .*database driver missing"):
        registry_for(plain).crm()


def test_an_invalid_connector_table_is_a_config_error(demo_ws: Workspace) -> None:
    configure(demo_ws, '[connectors.demo]\nrecord_dir = "x"\n')
    with pytest.raises(ConfigError, match=r"\[connectors.demo\] 'record_dir': Extra inputs"):
        registry_for(demo_ws).crm()


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def plugin_cli(cli: Cli) -> Cli:
    if "plugins" not in main.commands:  # until cli/app.py registers the group
        main.add_command(plugins)
    return cli


def test_plugins_list_json(plugin_cli: Cli, demo_ws: Workspace, fake_plugins: Path) -> None:
    result = plugin_cli("plugins", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["demo"] | {"version": None} == {
        "name": "demo",
        "capabilities": ["billing", "crm", "identity", "issues", "notify", "tickets"],
        "source": "deskpilot",
        "version": None,
        "builtin": True,
        "local": False,
        "configured": False,
        "default": True,
        "title": DemoConnector.title,
        "error": None,
        "clashes": {},
    }
    assert rows["good"]["capabilities"] == ["crm"] and not rows["good"]["builtin"]
    assert "RuntimeError: database driver missing" in rows["broken"]["error"]


def test_plugins_list_as_a_table(plugin_cli: Cli, demo_ws: Workspace, fake_plugins: Path) -> None:
    result = plugin_cli("plugins", "list")
    assert result.exit_code == 0
    assert "default (demo)" in result.stdout and "broken" in result.stdout
    assert "broken: importing fake_broken:Anything failed" in result.stderr


def test_two_connectors_serving_one_capability_show_the_clash(
    plugin_cli: Cli, demo_ws: Workspace, fake_plugins: Path
) -> None:
    configure(demo_ws, "[connectors.good]\n[connectors.demo]\n")
    listed = plugin_cli("plugins", "list")
    assert listed.exit_code == 0, listed.output
    assert "clash: crm (also demo)" in listed.stdout and "clash: crm (also good)" in listed.stdout
    assert "demo and good both serve 'crm', so neither does" in listed.stderr
    rows = {row["name"]: row for row in json.loads(plugin_cli("plugins", "list", "--json").stdout)}
    assert rows["good"]["clashes"] == {"crm": ["demo"]}
    checked = plugin_cli("plugins", "check", "demo")
    assert checked.exit_code == 2
    assert "the desk uses it for none of 'crm'" in checked.stderr
    assert "connectors demo and good both serve 'crm'" in checked.stderr
    configure(demo_ws, 'capabilities = ["billing", "issues"]\n')  # goes into [connectors.demo]
    settled = plugin_cli("plugins", "list", "--json")
    assert all(not row["clashes"] for row in json.loads(settled.stdout))
    assert plugin_cli("plugins", "check", "demo").exit_code == 0


def test_plugins_check_passes_on_the_demo(plugin_cli: Cli, demo_ws: Workspace) -> None:
    result = plugin_cli("plugins", "check", "demo")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok: demo: records at {demo_ws.records_dir}: 60 customers")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("demo", "error: demo: {records}: no records folder; build the demo with 'deskpilot demo'"),
        ("nope", "error: no connector named 'nope'; installed: broken, demo,"),
        ("broken", "error: connector 'broken' from deskpilot-fake-plugins 1.0 is broken:"),
    ],
)
def test_plugins_check_fails_with_one_line_and_exit_2(
    plugin_cli: Cli, plain_ws: Workspace, fake_plugins: Path, name: str, message: str
) -> None:
    result = plugin_cli("plugins", "check", name)
    assert result.exit_code == 2
    assert result.stderr.startswith(message.format(records=plain_ws.records_dir))
    assert len(result.stderr.strip().splitlines()) == 1
