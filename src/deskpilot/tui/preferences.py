"""What the desk remembers between starts that is no setting: the theme picked in the palette.

It lives in ``tui-state.json`` in the workspace, never in ``config.toml`` (which people edit,
share and keep comments in). A theme picked in the palette wins over ``[tui] theme`` until that
setting is changed: the file records which configured theme it overrode, so editing the
config still takes effect.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

STATE_FILE = "tui-state.json"


def _read(root: Path) -> dict[str, object]:
    try:
        data = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: the desk starts with its settings
    return data if isinstance(data, dict) else {}


def remembered_theme(root: Path, configured: str) -> str | None:
    """The theme the agent last picked, unless ``[tui] theme`` changed since."""
    data = _read(root)
    theme, over = data.get("theme"), data.get("configured_theme")
    if isinstance(theme, str) and theme and over == configured:
        return theme
    return None


def remember_theme(root: Path, theme: str, configured: str) -> None:
    """Keep the agent's pick for the next start; a read-only workspace just forgets it."""
    data = _read(root) | {"theme": theme, "configured_theme": configured}
    with contextlib.suppress(OSError):
        (root / STATE_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
