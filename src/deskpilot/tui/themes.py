"""Themes as data: TOML files from the workspace's themes/ and the ones DeskPilot ships."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from textual.theme import Theme

from deskpilot.errors import ConfigError

THEME_FIELDS = (
    "primary", "secondary", "accent", "foreground", "background", "surface", "panel", "boost",
    "warning", "error", "success",
)  # fmt: skip


def shipped_theme_dirs() -> list[Path]:
    """The wheel carries themes as package data; a source checkout has them at the top."""
    folders = []
    packaged = resources.files("deskpilot").joinpath("themes")
    if packaged.is_dir():
        folders.append(Path(str(packaged)))
    checkout = Path(__file__).resolve().parents[3] / "themes"
    if checkout.is_dir():
        folders.append(checkout)
    return folders


def load_themes(folders: list[Path]) -> list[Theme]:
    themes: dict[str, Theme] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            theme = read_theme(path)
            themes.setdefault(theme.name, theme)  # earlier folders (the workspace) win
    return list(themes.values())


def read_theme(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not a valid theme file ({error})") from None
    if "name" not in data or "primary" not in data:
        raise ConfigError(f"{path}: a theme needs at least 'name' and 'primary'")
    unknown = set(data) - set(THEME_FIELDS) - {"name", "dark"}
    if unknown:
        raise ConfigError(f"{path}: unknown theme fields {sorted(unknown)}")
    colours: dict[str, Any] = {key: str(data[key]) for key in THEME_FIELDS if key in data}
    return Theme(name=str(data["name"]), dark=bool(data.get("dark", True)), **colours)
