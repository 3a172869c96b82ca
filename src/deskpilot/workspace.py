"""A workspace is a folder: ``config.toml``, ``secrets.env``, the SQLite database, the search
index, the help-center articles and the records the demo connectors serve."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from deskpilot.config import DEFAULT_CONFIG_TOML, Settings, load_settings
from deskpilot.errors import WorkspaceError
from deskpilot.store import Store, open_store, sqlite_url
from deskpilot.understand.taxonomy import default_taxonomy_text

WORKSPACE_ENV = "DESKPILOT_WORKSPACE"
DATABASE_URL_ENV = "DESKPILOT_DATABASE_URL"


def default_workspace_dir() -> Path:
    return platformdirs.user_data_path("deskpilot", appauthor=False) / "workspace"


def demo_workspace_dir() -> Path:
    """Where ``deskpilot demo`` builds its workspace unless told otherwise."""
    return default_workspace_dir().parent / "demo"


def resolve_workspace_dir(explicit: Path | str | None = None) -> Path:
    """``--workspace``, then ``DESKPILOT_WORKSPACE``, then the per-user data folder."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(WORKSPACE_ENV):
        return Path(os.environ[WORKSPACE_ENV]).expanduser()
    return default_workspace_dir()


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "config.toml"

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.env"

    @property
    def intents_file(self) -> Path:
        """The intent taxonomy and its seed examples."""
        return self.root / "intents.toml"

    @property
    def intent_model_path(self) -> Path:
        return self.root / "models" / "intents.pickle"

    @property
    def database_path(self) -> Path:
        return self.root / "deskpilot.db"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def articles_dir(self) -> Path:
        return self.root / "articles"

    @property
    def records_dir(self) -> Path:
        """CRM, billing and bug records that the demo connectors serve."""
        return self.root / "records"

    @property
    def attachments_dir(self) -> Path:
        """Files that came with customers' messages, kept as received, never opened."""
        return self.root / "attachments"

    @property
    def plugins_dir(self) -> Path:
        return self.root / "plugins"

    @classmethod
    def create(cls, root: Path) -> Workspace:
        """Make (or reuse) the folder and its default config; fails clearly if not writable."""
        root = root.expanduser().resolve()
        if root.exists() and not root.is_dir():
            raise WorkspaceError(f"{root}: exists and is not a folder; choose another --workspace")
        try:
            root.mkdir(parents=True, exist_ok=True)
            _probe_writable(root)
        except OSError as error:
            raise WorkspaceError(
                f"{root}: workspace folder is not writable ({error.strerror}); "
                "fix its permissions or pass another --workspace DIR"
            ) from None
        return cls(root)

    def write_default_config(self) -> None:
        """Give a new workspace its commented config files; existing ones are never touched."""
        if not self.config_file.exists():
            self.config_file.write_text(DEFAULT_CONFIG_TOML, encoding="utf-8")
        if not self.intents_file.exists():
            self.intents_file.write_text(default_taxonomy_text(), encoding="utf-8")

    @classmethod
    def existing(cls, root: Path) -> Workspace:
        root = root.expanduser().resolve()
        if not (root / "config.toml").exists() and not (root / "deskpilot.db").exists():
            raise WorkspaceError(
                f"{root}: not a DeskPilot workspace (no config.toml or deskpilot.db); "
                "create one with 'deskpilot demo' or 'deskpilot init', or pass --workspace DIR"
            )
        return cls(root)

    def settings(self) -> Settings:
        return load_settings(self.config_file, self.secrets_file)

    def database_url(self, settings: Settings | None = None) -> str:
        """``DESKPILOT_DATABASE_URL``, then ``[storage] database_url``, then the SQLite file."""
        if os.environ.get(DATABASE_URL_ENV):
            return os.environ[DATABASE_URL_ENV]
        settings = settings or self.settings()
        return settings.storage.database_url or sqlite_url(self.database_path)

    def open_store(self, settings: Settings | None = None) -> Store:
        store = open_store(self.database_url(settings))
        self.write_default_config()  # only once the database opened: a failure changes nothing
        return store


def _probe_writable(folder: Path) -> None:
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-probe-"):
        pass
