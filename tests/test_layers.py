"""The layer rule, proven: the import contracts in pyproject.toml hold, a broken one fails naming
itself, nothing above the desk reaches through it to its store, and importing the core loads no
Textual (CONTRIBUTING.md, "The layer rule")."""

from __future__ import annotations

import ast
import re
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
        "Front ends reach the store only through the desk",
    ]
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert all(f"**{name}**" in contributing for name in [*names, REACH_CHECK])


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
        (
            "demo/build.py",
            "from deskpilot.store import open_store  # noqa: F401",
            "Front ends reach the store only through the desk",
        ),
        (
            "tui/screens/help.py",
            "import deskpilot.store.tickets  # noqa: F401",
            "Front ends reach the store only through the desk",
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


# An import contract sees imports, not attribute access: a front end holding a desk could still
# write through ``desk.store`` without the audit trail. This check reads the code above the desk.
REACH_CHECK = "Nothing above the desk reaches through it to its store"
ABOVE_THE_DESK = (
    "cli",
    "tui",
    "intake/server.py",
    "intake/widget.py",
    "channels/service.py",
    "demo",
    "evaluation",
)
# The desk's own collaborators: what its methods read and write through (Desk.__init__).
DESK_COLLABORATORS = frozenset({"store", "channels"})
STORES = frozenset({"store", "_store"})  # above the desk, nothing holds one at all
A_DESK = re.compile(r"_?(\w+_)?desk")  # desk, self.desk, self._desk, demo_desk...


def _names_a_desk(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return bool(A_DESK.fullmatch(name))


def _reaches_through_the_desk(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        on_a_desk = _names_a_desk(node.value) and (
            node.attr in DESK_COLLABORATORS or node.attr.startswith("_")
        )
        if on_a_desk or node.attr in STORES:
            found.append((node.lineno, ast.unparse(node)))
    return found


def desk_reach_report(package: Path) -> str | None:
    """None when no module above the desk uses a desk's store, its channel store or anything
    private of it (or any ``.store`` at all); else a report naming the check and each place."""
    places = []
    for part in ABOVE_THE_DESK:
        at = package / part
        modules = [at] if at.suffix == ".py" else sorted(at.rglob("*.py"))
        for module in modules:
            tree = ast.parse(module.read_text(encoding="utf-8"), str(module))
            for line, expression in _reaches_through_the_desk(tree):
                places.append(f"  {module.relative_to(package.parent)}:{line}: {expression}")
    if not places:
        return None
    return f"{REACH_CHECK} BROKEN: call a Desk method instead (add one if none fits)\n" + (
        "\n".join(places)
    )


def test_nothing_above_the_desk_reaches_through_it() -> None:
    report = desk_reach_report(ROOT / "src" / "deskpilot")
    assert report is None, report


@pytest.mark.parametrize(
    ("module", "line", "expression"),
    [
        ("demo/build.py", "_peek = lambda desk: desk.store.count_tickets()", "desk.store"),
        ("tui/screens/help.py", "_peek = lambda self: self.desk.channels", "self.desk.channels"),
        ("cli/kb.py", "_peek = lambda self: self._desk._triage", "self._desk._triage"),
        ("intake/server.py", "_peek = lambda held: held.store", "held.store"),
    ],
)
def test_reaching_through_the_desk_fails_naming_the_check(
    source_copy: Path, module: str, line: str, expression: str
) -> None:
    broken = source_copy / "src" / "deskpilot" / module
    _add_import(broken, line)
    at = broken.read_text(encoding="utf-8").splitlines().index(line) + 1
    report = desk_reach_report(source_copy / "src" / "deskpilot")
    assert report is not None and report.startswith(f"{REACH_CHECK} BROKEN")
    assert f"deskpilot/{module}:{at}: {expression}" in report, report


def test_importing_the_core_loads_no_textual() -> None:
    probe = (
        "import sys, deskpilot.desk, deskpilot.cli;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
