from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from deskpilot.cli import main
from deskpilot.connectors import LOAD_PLUGINS_ENV
from deskpilot.demo import build_demo
from deskpilot.desk import Desk
from deskpilot.store import normalise_url, sqlite_url
from deskpilot.workspace import Workspace

# A PostgreSQL server the tests may create throwaway databases on (.ci/run starts one); read
# before any test clears DESKPILOT_* from the environment.
POSTGRES_URL_ENV = "DESKPILOT_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_URL_ENV, "")
_database_numbers = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's workspace, config or endpoint settings."""
    import os

    for variable in list(os.environ):
        if variable.startswith(("DESKPILOT_", "OPENAI_")):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("DESKPILOT_AGENT__NAME", "ada")
    monkeypatch.setenv(*LIGHT_CLASSIFIER)
    monkeypatch.setenv(*BUILTIN_PLUGINS_ONLY)


# Connector discovery offers DeskPilot's built-ins only: a plugin installed in the developer's
# environment (or a CI image) must not change what a test sees or import its code. Tests of
# discovery and of plugins ask for the ``third_party_plugins`` fixture.
BUILTIN_PLUGINS_ONLY = (LOAD_PLUGINS_ENV, "")


@pytest.fixture
def third_party_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Discovery offers installed and local plugins too, as it does outside the tests."""
    monkeypatch.delenv(LOAD_PLUGINS_ENV, raising=False)


def install_distribution(site: Path, name: str, entry_points: dict[str, str]) -> None:
    """What pip leaves in site-packages for a plugin: metadata with its entry points."""
    dist_info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[deskpilot.connectors]\n{lines}")


# Tests that do not measure understanding triage with the light TF-IDF classifier: training the
# default ensemble in every test workspace would slow the suite for nothing it checks. Tests of
# the default classifier ask for the ``default_classifier`` fixture.
LIGHT_CLASSIFIER = ("DESKPILOT_TRIAGE__CLASSIFIER", "tfidf")


def pytest_configure(config: pytest.Config) -> None:
    # Session and module fixtures (the frozen demo) build before any test's own environment.
    os.environ[LIGHT_CLASSIFIER[0]] = LIGHT_CLASSIFIER[1]
    os.environ[BUILTIN_PLUGINS_ONLY[0]] = BUILTIN_PLUGINS_ONLY[1]


@pytest.fixture
def default_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workspace's configured classifier (the ``ensemble`` by default), not the light one."""
    monkeypatch.delenv(LIGHT_CLASSIFIER[0])


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws")


@pytest.fixture
def desk(workspace: Workspace) -> Iterator[Desk]:
    with Desk.open(workspace) as opened:
        yield opened


class Cli:
    """Runs the real command line in-process against one workspace."""

    def __init__(self, workspace_dir: Path) -> None:
        self.workspace_dir = workspace_dir
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(main, ["--workspace", str(self.workspace_dir), *args])


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "ws")


DEMO_NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def frozen_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 300-ticket demo at a fixed present, built once per test run."""
    folder = tmp_path_factory.mktemp("frozen-demo") / "ws"
    with Desk.open(Workspace.create(folder)) as desk:
        build_demo(desk, tickets=300, seed=7, now=DEMO_NOW)
    return folder


@pytest.fixture
def demo_desk(frozen_demo: Path, tmp_path: Path) -> Iterator[Desk]:
    """A private copy of the frozen demo, so a test's actions never leak into another's."""
    copy = tmp_path / "demo-ws"
    shutil.copytree(frozen_demo, copy)
    with Desk.open(Workspace.existing(copy)) as opened:
        opened.clock = lambda: DEMO_NOW
        yield opened


# --- both backends -------------------------------------------------------------------------

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip(f"no PostgreSQL: set {POSTGRES_URL_ENV} (.ci/run does)")
    return str(request.param)


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database nobody has used: a SQLite file, or a new PostgreSQL database
    (dropped afterwards), so tests never see each other's rows."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path / "desk.db")
        return
    with postgres_database() as url:
        yield url


@contextmanager
def postgres_database() -> Iterator[str]:
    server = sa.make_url(normalise_url(POSTGRES_URL))
    name = f"deskpilot_test_{os.getpid()}_{next(_database_numbers)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def new_postgres_database() -> Iterator[str]:
    """An empty PostgreSQL database, for what only PostgreSQL does (migrations on purpose)."""
    if not POSTGRES_URL:
        pytest.skip(f"no PostgreSQL: set {POSTGRES_URL_ENV} (.ci/run does)")
    with postgres_database() as url:
        yield url


@pytest.fixture
def database_url(empty_database: str) -> str:
    """A database at the current schema, as ``deskpilot migrate`` leaves it."""
    from deskpilot.store import migrate_database

    migrate_database(empty_database)
    return empty_database
