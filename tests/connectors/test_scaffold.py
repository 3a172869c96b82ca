"""``deskpilot plugins new``: the generated plugin is importable, its pyproject names the right
package and entry point, and its own contract tests pass as generated (run with pytester)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.connectors import CAPABILITIES
from deskpilot.connectors.scaffold import ScaffoldError, scaffold_plugin

pytest_plugins = ["pytester"]


def _run_its_tests(pytester: pytest.Pytester, root: Path) -> pytest.RunResult:
    """The generated plugin's own tests, in this process, its package importable from src/."""
    sys.path.insert(0, str(root / "src"))
    try:
        return pytester.runpytest(
            str(root / "tests"), "-p", "no:cacheprovider", "-p", "no:textual-snapshot", "-q"
        )
    finally:
        sys.path.remove(str(root / "src"))


@pytest.mark.parametrize("capability", list(CAPABILITIES))
def test_a_plugin_for_each_capability_passes_its_contract_tests(
    pytester: pytest.Pytester, tmp_path: Path, capability: str
) -> None:
    root = scaffold_plugin(f"acme_{capability}", [capability], tmp_path)
    outcomes = _run_its_tests(pytester, root).parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("errors", 0) == 0
    # The contract tests of the capability ran, not only the generic ones.
    assert outcomes["passed"] >= 4


def test_a_plugin_serving_everything_passes_every_contract_test(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = scaffold_plugin("acme_all", list(CAPABILITIES), tmp_path)
    outcomes = _run_its_tests(pytester, root).parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("errors", 0) == 0
    assert outcomes["passed"] >= 19


def test_its_pyproject_names_its_package_entry_point_and_the_test_kit(tmp_path: Path) -> None:
    root = scaffold_plugin("acme_crm", ["crm", "notify"], tmp_path)
    assert root.name == "deskpilot-acme-crm"
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    [package] = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert (root / package / "__init__.py").is_file(), "the wheel must hold the real package"
    target = project["project"]["entry-points"]["deskpilot.connectors"]["acme_crm"]
    assert target == "deskpilot_acme_crm:AcmeCrmConnector"
    assert project["project"]["optional-dependencies"]["test"] == ["deskpilot[test]"]
    sys.path.insert(0, str(root / "src"))
    try:
        module = importlib.import_module("deskpilot_acme_crm")
        connector = module.AcmeCrmConnector
    finally:
        sys.path.remove(str(root / "src"))
        for name in [m for m in sys.modules if m.startswith("deskpilot_acme_crm")]:
            del sys.modules[name]
    assert connector.capabilities == {"crm", "notify"}
    secret = connector.config_model.model_fields["api_key"].annotation.__name__
    assert secret == "SecretStr", "the API key is a secret, read from the environment only"


def test_bad_names_and_existing_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="cannot be a connector name"):
        scaffold_plugin("Acme-CRM", ["crm"], tmp_path)
    with pytest.raises(ScaffoldError, match="unknown capability fax"):
        scaffold_plugin("acme", ["fax"], tmp_path)
    scaffold_plugin("acme", ["crm"], tmp_path)
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold_plugin("acme", ["orders"], tmp_path)


def test_the_command_creates_the_plugin_and_says_what_next(cli: Cli, tmp_path: Path) -> None:
    result = cli("plugins", "new", "acme_crm", "--capability", "crm", "--directory", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "created" in result.output and 'pip install -e "' in result.output
    assert (tmp_path / "deskpilot-acme-crm" / "tests" / "test_acme_crm.py").is_file()
    again = cli("plugins", "new", "acme_crm", "--capability", "crm", "--directory", str(tmp_path))
    assert again.exit_code == 2 and "already exists" in again.output


@pytest.mark.slow
def test_it_builds_a_wheel_with_its_package_and_entry_point(tmp_path: Path) -> None:
    root = scaffold_plugin("acme_crm", ["crm"], tmp_path)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(root), "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if built.returncode != 0 and "hatchling" in built.stderr:
        pytest.skip("hatchling cannot be installed here (no package index)")
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("deskpilot_acme_crm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "deskpilot_acme_crm/connector.py" in names
    [entry_points] = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "acme_crm = deskpilot_acme_crm:AcmeCrmConnector" in text
