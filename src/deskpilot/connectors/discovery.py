"""Finding connector plugins without importing them, and loading one on demand.

Two kinds of plugin, one shape (a name pointing at ``module:Class``):

* installed packages register in the ``deskpilot.connectors`` entry-point group, as DeskPilot's
  own built-in connectors do;
* local plugins are files or package folders named in the workspace config,
  ``[connectors.<name>] plugin = "plugins/my_crm.py:MyCrm"``. Nothing is imported from a folder
  just because it is there: the path must be listed, and must lie inside the workspace's
  ``plugins/`` folder or the ``plugins/`` folder next to the config file in use.

``DESKPILOT_LOAD_PLUGINS`` (comma-separated names; empty for none) restricts which third-party
plugins are offered at all; DeskPilot's built-ins are always offered.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from deskpilot.connectors.base import Connector

GROUP = "deskpilot.connectors"
LOAD_PLUGINS_ENV = "DESKPILOT_LOAD_PLUGINS"
BUILTIN_DISTRIBUTION = "deskpilot"
LOCAL_MODULE_PREFIX = "deskpilot_local_plugin_"


@dataclass(frozen=True)
class PluginEntry:
    """A connector as discovery sees it: known by name, not imported yet."""

    name: str
    target: str  # "package.module:Class", or "plugins/file.py:Class" for a local plugin
    source: str  # the distribution's name, or "local" for a local plugin
    version: str = ""
    builtin: bool = False
    local_path: Path | None = None  # the file or package folder of a local plugin
    problem: str = ""  # why it cannot be loaded, when known before loading (a name clash)
    entry_point: EntryPoint | None = field(default=None, compare=False, repr=False)

    @property
    def origin(self) -> str:
        """Where it comes from, for messages: ``shop-orders 1.0`` or ``local plugins/x.py``."""
        if self.local_path is not None:
            return f"local plugin {self.local_path}"
        return f"{self.source} {self.version}".strip()


def entry_point_entries() -> list[PluginEntry]:
    """Every connector registered in the entry-point group; reads metadata only."""
    entries = []
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        dist = point.dist
        source = dist.name if dist is not None else "unknown distribution"
        entries.append(
            PluginEntry(
                name=point.name,
                target=point.value,
                source=source,
                version=dist.version if dist is not None else "",
                builtin=_normalise(source) == BUILTIN_DISTRIBUTION,
                entry_point=point,
            )
        )
    return entries


def local_entries(
    tables: Mapping[str, Mapping[str, Any]], config_dir: Path, allowed_roots: Iterable[Path]
) -> list[PluginEntry]:
    """Local plugins named by ``plugin = "path[:Class]"`` in connector tables."""
    roots = [root.resolve() for root in allowed_roots]
    entries = []
    for name, table in sorted(tables.items()):
        target = table.get("plugin")
        if target is None:
            continue
        path_text, _attr = split_target(str(target))
        path = (config_dir / path_text).resolve()
        problem = _local_path_problem(path, roots)
        entries.append(
            PluginEntry(
                name=name,
                target=str(target),
                source="local",
                local_path=path,
                problem=problem,
            )
        )
    return entries


def split_target(target: str) -> tuple[str, str]:
    """``"plugins/x.py:MyCrm"`` -> (path, class name); the class name may be left out (and a
    Windows drive letter is not one)."""
    path, separator, attr = target.rpartition(":")
    if separator and attr.isidentifier():
        return path, attr
    return target, ""


def _local_path_problem(path: Path, roots: list[Path]) -> str:
    if not any(path.is_relative_to(root) for root in roots):
        allowed = " or ".join(str(root) for root in roots)
        return f"{path} is outside the plugin folders ({allowed}); move it into one of them"
    if path.is_dir() and not (path / "__init__.py").is_file():
        return f"{path} is a folder without __init__.py, not a Python package"
    if not path.exists():
        return f"{path} does not exist"
    if path.is_file() and path.suffix != ".py":
        return f"{path} is not a .py file"
    return ""


def merge_entries(installed: list[PluginEntry], local: list[PluginEntry]) -> dict[str, PluginEntry]:
    """One entry per name. Two plugins claiming one name are reported, never picked between
    silently: the name becomes a broken entry saying who claims it. Only a built-in keeps its
    name; a third-party plugin claiming it is listed as broken under ``name@distribution``."""
    merged: dict[str, PluginEntry] = {}
    claims: dict[str, list[PluginEntry]] = {}
    for entry in installed:
        claims.setdefault(entry.name, []).append(entry)
    for name, entries in claims.items():
        builtin = [e for e in entries if e.builtin]
        if builtin:
            merged[name] = builtin[0]
            for other in (e for e in entries if not e.builtin):
                problem = f"the name '{name}' belongs to DeskPilot's built-in connector"
                merged[f"{name}@{other.source}"] = replace(other, problem=problem)
        elif len(entries) == 1:
            merged[name] = entries[0]
        else:
            who = " and ".join(sorted(e.origin for e in entries))
            merged[name] = replace(
                entries[0], problem=f"'{name}' is registered by {who}; uninstall all but one"
            )
    for entry in local:
        taken = merged.get(entry.name)
        if taken is not None:
            problem = (
                f"'{entry.name}' is both {taken.origin} and {entry.origin}; "
                "give the local plugin another name"
            )
            entry = replace(entry, problem=problem)
        merged[entry.name] = entry
    return dict(sorted(merged.items()))


def allowed_names(environ: Mapping[str, str] | None = None) -> frozenset[str] | None:
    """The third-party plugins ``DESKPILOT_LOAD_PLUGINS`` allows; None when it is not set."""
    value = (os.environ if environ is None else environ).get(LOAD_PLUGINS_ENV)
    if value is None:
        return None
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def restrict(
    entries: dict[str, PluginEntry], allowed: frozenset[str] | None
) -> dict[str, PluginEntry]:
    if allowed is None:
        return entries
    return {name: e for name, e in entries.items() if e.builtin or name in allowed}


class BrokenPlugin(Exception):
    """Why a plugin cannot be loaded, in a few words; the registry adds its name and source."""


def load_class(entry: PluginEntry) -> type[Connector[Any]]:
    """Import the plugin and return its connector class, or raise ``BrokenPlugin``. Whatever the
    plugin's module raises while it runs (even SystemExit) becomes ``BrokenPlugin``: a broken
    plugin must never take the desk down."""
    if entry.problem:
        raise BrokenPlugin(entry.problem)
    try:
        loaded = _load_local(entry) if entry.local_path is not None else _load_installed(entry)
    except BrokenPlugin:
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        raise BrokenPlugin(
            f"importing {entry.target} failed: {type(error).__name__}: {error}"
        ) from error
    return _connector_class(loaded, entry.target)


def _load_installed(entry: PluginEntry) -> object:
    assert entry.entry_point is not None
    return entry.entry_point.load()


def _load_local(entry: PluginEntry) -> object:
    assert entry.local_path is not None
    _path, attr = split_target(entry.target)
    module = _import_local_module(entry.name, entry.local_path)
    if attr:
        try:
            return getattr(module, attr)
        except AttributeError:
            raise BrokenPlugin(f"{entry.local_path} has no attribute '{attr}'") from None
    return _single_connector_in(module, entry.local_path)


def _import_local_module(name: str, path: Path) -> ModuleType:
    module_name = LOCAL_MODULE_PREFIX + name
    if module_name in sys.modules:
        return sys.modules[module_name]
    if path.is_dir():
        spec = importlib.util.spec_from_file_location(
            module_name, path / "__init__.py", submodule_search_locations=[str(path)]
        )
    else:
        spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise BrokenPlugin(f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as a normal import is: pydantic and dataclasses look it up.
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _single_connector_in(module: ModuleType, path: Path) -> type[Connector[Any]]:
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Connector)
        and value.__module__ == module.__name__
    ]
    if len(found) != 1:
        names = ", ".join(sorted(c.__name__ for c in found)) or "none"
        raise BrokenPlugin(
            f"{path} defines {len(found)} connector classes ({names}); "
            'name one as plugin = "path:ClassName"'
        )
    return found[0]


def _connector_class(loaded: object, target: str) -> type[Connector[Any]]:
    if not (isinstance(loaded, type) and issubclass(loaded, Connector)):
        kind = type(loaded).__name__ if not isinstance(loaded, type) else f"class {loaded.__name__}"
        raise BrokenPlugin(
            f"{target} is a {kind}, not a subclass of deskpilot.connectors.Connector"
        )
    if not loaded.capabilities:
        raise BrokenPlugin(f"{target} serves no capability (subclass Crm, Billing, ...)")
    if inspect.isabstract(loaded):
        missing = ", ".join(sorted(getattr(loaded, "__abstractmethods__", ())))
        raise BrokenPlugin(f"{target} leaves abstract methods unimplemented: {missing}")
    return loaded


def _normalise(distribution: str) -> str:
    return distribution.lower().replace("_", "-").replace(".", "-")
