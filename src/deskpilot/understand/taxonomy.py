"""The team's intent taxonomy: ``intents.toml`` in the workspace (seeded from the default)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import Field, ValidationError

from deskpilot.errors import ConfigError
from deskpilot.models import Model
from deskpilot.understand.datasets import Example


class IntentSpec(Model):
    description: str = ""
    examples: list[str] = Field(default_factory=list)


def default_taxonomy_text() -> str:
    return (
        resources.files("deskpilot.understand")
        .joinpath("default_intents.toml")
        .read_text(encoding="utf-8")
    )


def load_taxonomy(path: Path) -> dict[str, IntentSpec]:
    """The workspace's taxonomy, or the default one when the file does not exist."""
    text = path.read_text(encoding="utf-8") if path.exists() else default_taxonomy_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    taxonomy = {}
    for name, table in data.items():
        try:
            taxonomy[name] = IntentSpec.model_validate(table)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path}: [{name}] {where}: {first['msg']}") from None
    return taxonomy


def seed_examples(taxonomy: dict[str, IntentSpec]) -> list[Example]:
    return [Example(text, name) for name, spec in taxonomy.items() for text in spec.examples]
