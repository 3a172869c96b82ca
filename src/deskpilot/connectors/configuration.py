"""A connector's settings: its ``[connectors.<name>]`` table, validated by its config model.

The table arrives merged from config.toml, secrets.env and ``DESKPILOT_CONNECTORS__<NAME>__*``
environment variables (``Settings.connectors``). Two keys belong to DeskPilot, not the connector:
``plugin`` (where a local plugin lives) and ``capabilities`` (which of its capabilities this
workspace uses it for, when two connectors serve the same one).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from deskpilot.config import ENV_PREFIX, secret_paths
from deskpilot.connectors.base import ConnectorConfig
from deskpilot.errors import ConfigError
from deskpilot.workspace import Workspace

CONFIG_FILE_ENV = "DESKPILOT_CONFIG_FILE"
RESERVED_KEYS = frozenset({"plugin", "capabilities"})


def config_file(workspace: Workspace) -> Path:
    """The config file in use: ``DESKPILOT_CONFIG_FILE`` or the workspace's config.toml."""
    override = os.environ.get(CONFIG_FILE_ENV)
    return Path(override).expanduser() if override else workspace.config_file


def secret_variable(name: str, field: str) -> str:
    return f"{ENV_PREFIX}CONNECTORS__{name.upper()}__{field.upper()}"


def build_config(
    model: type[ConnectorConfig], name: str, table: Mapping[str, Any], file: Path | None
) -> ConnectorConfig:
    """Validate the table with the connector's model; secrets must not come from the file."""
    _refuse_secrets_in_file(model, name, file)
    values = {key: value for key, value in table.items() if key not in RESERVED_KEYS}
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ConfigError(_describe(error, name, model)) from None


def chosen_capabilities(
    name: str, table: Mapping[str, Any], known: frozenset[str]
) -> frozenset[str]:
    """``capabilities = [...]`` of a table, checked; all of ``known`` when absent."""
    value = table.get("capabilities")
    if value is None:
        return known
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"[connectors.{name}] capabilities: expected a list of names")
    unknown = set(value) - known
    if unknown:
        raise ConfigError(
            f"[connectors.{name}] capabilities: {', '.join(sorted(unknown))} not served by "
            f"'{name}' (it serves: {', '.join(sorted(known))})"
        )
    return frozenset(value)


def _refuse_secrets_in_file(model: type[ConnectorConfig], name: str, file: Path | None) -> None:
    # config.py already refuses keys that look secret; this also catches secret fields with
    # innocent names (a "dsn" holding a password), which only the model knows are secret.
    secrets = [path for path in secret_paths(model) if "." not in path]
    if not secrets or file is None:
        return
    table = _file_table(file, name)
    for field in secrets:
        if field in table:
            raise ConfigError(
                f"{file}: [connectors.{name}] '{field}' is a secret and must not be in the "
                f"config file; set {secret_variable(name, field)} in the environment or in the "
                "workspace's secrets.env instead"
            )


def _file_table(file: Path, name: str) -> dict[str, Any]:
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}  # load_settings has reported a bad file already; a missing one holds nothing
    table = data.get("connectors", {}).get(name, {})
    return table if isinstance(table, dict) else {}


def _describe(error: ValidationError, name: str, model: type[ConnectorConfig]) -> str:
    errors = error.errors()
    secrets = set(secret_paths(model))
    missing = [".".join(str(p) for p in e["loc"]) for e in errors if e["type"] == "missing"]
    if len(missing) == len(errors):
        # Name every missing key at once: a new connector's table usually lacks several.
        variables = [secret_variable(name, field) for field in missing if field in secrets]
        hint = (
            f"; set {', '.join(variables)} in the environment or secrets.env" if variables else ""
        )
        keys = ", ".join(f"'{field}'" for field in missing)
        return f"[connectors.{name}] {keys}: Field required{hint}"
    # A misspelt key also makes the real one "missing": name the misspelling, the cause.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    field = ".".join(str(part) for part in first["loc"]) or "(table)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    hint = ""
    if first["type"] == "extra_forbidden":
        known = ", ".join(sorted(set(model.model_fields) | RESERVED_KEYS))
        hint = f" (known keys: {known})"
    return f"[connectors.{name}] '{field}': {first['msg']}{hint}{more}"
