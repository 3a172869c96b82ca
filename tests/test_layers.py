"""The layer rule, proven: the import contracts in pyproject.toml hold, a broken one fails naming
itself, and importing the core loads no Textual (CONTRIBUTING.md, "The layer rule")."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contract_names() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [c["name"] for c in config["tool"]["importlinter"]["contracts"]]


def _lint(src: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """import-linter over the ``deskpilot`` package found in ``src``, with ``config``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=config.parent,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _broken(output: str) -> list[str]:
    return [name for name in _contract_names() if f"{name} BROKEN" in output]


def test_the_contracts_are_the_ones_the_docs_name() -> None:
    names = _contract_names()
    assert names == [
        "Layers: front ends > desk > services > sources > store > vocabulary",
        "Only the TUI imports Textual",
        "Connectors import neither the desk nor the demo",
        "Front ends call the desk, not the services below it",
    ]
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert all(f"**{name}**" in contributing for name in names)


def test_every_import_contract_is_kept() -> None:
    done = _lint(ROOT / "src", ROOT / "pyproject.toml")
    broken = _broken(done.stdout)
    assert done.returncode == 0 and not broken, (
        f"broken import contracts: {', '.join(broken) or '(see below)'}\n{done.stdout}{done.stderr}"
    )


@pytest.fixture
def source_copy(tmp_path: Path) -> Path:
    """A copy of the package and the project's configuration, to break on purpose."""
    shutil.copytree(
        ROOT / "src" / "deskpilot",
        tmp_path / "src" / "deskpilot",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "widget_assets", "prompts"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _add_import(module: Path, line: str) -> None:
    text = module.read_text(encoding="utf-8")
    at = text.index("from __future__ import annotations\n") + len(
        "from __future__ import annotations\n"
    )
    module.write_text(text[:at] + "\n" + line + "\n" + text[at:], encoding="utf-8")


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "connectors/base.py",
            "import deskpilot.demo  # noqa: F401",
            "Connectors import neither the desk nor the demo",
        ),
        (
            "copilot/assemble.py",
            "import deskpilot.desk  # noqa: F401",
            "Layers: front ends > desk > services > sources > store > vocabulary",
        ),
        ("models.py", "import textual  # noqa: F401", "Only the TUI imports Textual"),
        (
            "tui/screens/help.py",
            "import deskpilot.copilot.service  # noqa: F401",
            "Front ends call the desk, not the services below it",
        ),
    ],
)
def test_an_import_that_breaks_a_contract_fails_naming_it(
    source_copy: Path, module: str, line: str, contract: str
) -> None:
    _add_import(source_copy / "src" / "deskpilot" / module, line)
    done = _lint(source_copy / "src", source_copy / "pyproject.toml")
    assert done.returncode != 0
    assert contract in _broken(done.stdout), done.stdout
    assert f"{contract}\n" in done.stdout  # the report's heading names it too


def test_importing_the_core_loads_no_textual() -> None:
    probe = (
        "import sys, deskpilot.desk, deskpilot.cli;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
