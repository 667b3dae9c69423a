"""Component registry: collects datasets, nets, actors, ... from the core and every installed plugin.

Plugins are found through the ``ltr`` entry-point group (installing a distribution is all it takes), plus
modules named in the ``LTR_PLUGINS`` environment variable (comma-separated import paths), which is handy for
a plugin under development or in tests. A plugin that fails to import is recorded with its error and skipped,
so one broken plugin never hides the others.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata as md
import inspect
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pluggy

from ltr_core import hookspecs
from ltr_core.hookspecs import KINDS

ENTRY_POINT_GROUP = "ltr"
CORE_PLUGIN = "core"


class RegistryError(LookupError):
    """An unknown component name, or a clash between plugins."""


@dataclass(frozen=True)
class Component:
    kind: str
    name: str
    factory: Any  # a callable, or for configs the Path of the YAML file
    plugin: str
    distribution: str
    version: str

    @property
    def description(self) -> str:
        if self.kind == "config":
            return _yaml_description(Path(self.factory))
        doc = inspect.getdoc(self.factory) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""


@dataclass
class PluginFailure:
    plugin: str
    distribution: str
    version: str
    error: str


@dataclass
class Registry:
    components: dict[str, dict[str, Component]] = field(default_factory=lambda: {k: {} for k in KINDS})
    failures: list[PluginFailure] = field(default_factory=list)
    plugins: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (distribution, version)

    def __post_init__(self):
        self._pm = pluggy.PluginManager("ltr")
        self._pm.add_hookspecs(hookspecs)

    # -- building -------------------------------------------------------------------------------------
    def add_plugin(self, plugin: Any, name: str, distribution: str = "", version: str = "") -> None:
        """Register ``plugin`` (a module or object with hook implementations) under ``name``."""
        if name in self.plugins:
            raise RegistryError(f"plugin name {name!r} is registered twice ({self.plugins[name][0]} and {distribution})")
        self._pm.register(plugin, name=name)
        self.plugins[name] = (distribution, version)
        for kind in KINDS:
            hook = getattr(plugin, f"ltr_{kind}s", None)
            if hook is None:
                continue
            entries = hook() or {}
            for comp_name, factory in entries.items():
                if kind == "config":
                    comp_name = f"{name}/{comp_name}"
                    factory = Path(factory)
                existing = self.components[kind].get(comp_name)
                if existing is not None:
                    raise RegistryError(
                        f"{kind} {comp_name!r} is registered by both plugin {existing.plugin!r} and {name!r}; "
                        "uninstall one of them or rename the component")
                self.components[kind][comp_name] = Component(kind, comp_name, factory, name, distribution, version)

    def load_plugin(self, import_path: str, name: str, distribution: str = "", version: str = "",
                    loader: Callable[[], Any] | None = None) -> None:
        """Import and register a plugin, recording (not raising) any failure."""
        try:
            plugin = loader() if loader else importlib.import_module(import_path)
            self.add_plugin(plugin, name, distribution, version)
        except Exception as exc:  # a broken plugin must not break the others
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            self.failures.append(PluginFailure(name, distribution, version, last))

    # -- lookup ---------------------------------------------------------------------------------------
    def get(self, kind: str, name: str) -> Component:
        if kind not in self.components:
            raise RegistryError(f"unknown component kind {kind!r}; kinds are: {', '.join(KINDS)}")
        try:
            return self.components[kind][name]
        except KeyError:
            raise RegistryError(self._unknown_message(kind, name)) from None

    def names(self, kind: str) -> list[str]:
        return sorted(self.components[kind])

    def all(self, kind: str | None = None) -> list[Component]:
        kinds = [kind] if kind else list(KINDS)
        return [self.components[k][n] for k in kinds for n in sorted(self.components[k])]

    def build(self, kind: str, name: str, *args, **kwargs):
        return self.get(kind, name).factory(*args, **kwargs)

    def _unknown_message(self, kind: str, name: str) -> str:
        known = self.names(kind)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        msg = f"unknown {kind} {name!r}"
        if close:
            msg += f"; did you mean {' or '.join(repr(c) for c in close)}?"
        msg += f" Registered {kind}s: {', '.join(known) if known else '(none)'}."
        broken = [f.plugin for f in self.failures]
        if broken:
            msg += f" Plugins that failed to load: {', '.join(broken)} (see `ltr list`)."
        else:
            msg += " Is the plugin that provides it installed (`ltr list`)?"
        return msg


def _yaml_description(path: Path) -> str:
    """First comment line of a YAML config is its description."""
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#"):
                    return line.lstrip("#").strip()
                if line.strip():
                    break
    except OSError:
        return "(config file missing)"
    return ""


def discover() -> Registry:
    """Build a registry from the core, the installed plugins and ``LTR_PLUGINS``."""
    from ltr_core import builtins

    reg = Registry()
    core_version = _version("ltr-core")
    reg.add_plugin(builtins, CORE_PLUGIN, "ltr-core", core_version)
    for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.metadata["Name"] if ep.dist is not None else ""
        version = ep.dist.version if ep.dist is not None else ""
        reg.load_plugin(ep.value, ep.name, dist, version, loader=ep.load)
    for item in filter(None, (p.strip() for p in os.environ.get("LTR_PLUGINS", "").split(","))):
        # "name=module.path", or "module.path" named after its last component
        name, _, path = item.rpartition("=")
        name = name or path.split(".")[-1]
        reg.load_plugin(path, name, f"LTR_PLUGINS:{path}", "")
    return reg


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "(not installed)"


_REGISTRY: Registry | None = None


def get_registry(refresh: bool = False) -> Registry:
    """The process-wide registry, discovered on first use."""
    global _REGISTRY
    if _REGISTRY is None or refresh:
        _REGISTRY = discover()
    return _REGISTRY


def set_registry(reg: Registry | None) -> None:
    """Replace the process-wide registry (tests use this to run with a hand-built one)."""
    global _REGISTRY
    _REGISTRY = reg
