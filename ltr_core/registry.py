"""Component registry: collects datasets, nets, actors, ... from the core and every installed plugin.

Plugins are found through the ``ltr`` entry-point group (installing a distribution is all it takes), plus
modules named in the ``LTR_PLUGINS`` environment variable (``name=module.path``, comma-separated), which is handy
for a plugin under development or in tests. Every plugin is checked against the contract of
:mod:`ltr_core.hookspecs` as it loads; one that fails (an import error, an unknown hook, a hook returning the
wrong thing, a plugin API range this core is outside of) is recorded with the reason and registers nothing, so
one broken plugin never hides or half-replaces the others.

Names are scoped: a component is ``<plugin>/<name>`` (the core's own ``core/<name>``). A short name resolves
where exactly one plugin registers it; where several do, every one of them loads and the short name is refused
with a message naming the qualified names.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.metadata as md
import inspect
import os
import re
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pluggy
import torch
import yaml

from ltr_core import api, hookspecs
from ltr_core.data.dataset import eval_rules_problem
from ltr_core.errors import ComponentError, UserError, one_line  # noqa: F401  (ComponentError: 0.2 path)
from ltr_core.hookspecs import FOLLOWS_ATTR, KINDS, PLUGIN_API
from ltr_core.versions import distribution_version, in_range, parse_range

ENTRY_POINT_GROUP = "ltr"
CORE_PLUGIN = "core"
CORE_MODULE = "ltr_core.builtins"
API_HOOK = "ltr_plugin_api"
REQUIRES_HOOK = "ltr_requires"
HOOKS = {f"ltr_{kind}s": kind for kind in KINDS}
_PLUGIN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_COMPONENT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
#: a requirement of ``ltr_requires``: a distribution name, then optionally a range of ltr_core.versions
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*((?:[<>=!]=?|==)\s*[0-9].*)?$")


class RegistryError(UserError, LookupError):
    """An unknown or ambiguous component name."""


class PluginError(UserError):
    """A plugin that breaks the contract of :mod:`ltr_core.hookspecs`; the message names it and the hook."""


@dataclass(frozen=True)
class Component:
    kind: str
    name: str           # the short name the plugin registered
    factory: Any        # a callable, or for configs the Path of the YAML file
    plugin: str
    distribution: str
    version: str

    @property
    def qualname(self) -> str:
        """``<plugin>/<name>``; an export is keyed by the qualified name of its net."""
        return self.name if "/" in self.name else f"{self.plugin}/{self.name}"

    @property
    def short(self) -> str:
        return self.qualname.rsplit("/", 1)[1]

    @property
    def label(self) -> str:
        return f"{self.kind} {self.qualname!r} (plugin {self.plugin!r}, {self.distribution} {self.version})"

    @property
    def description(self) -> str:
        if self.kind == "config":
            return _yaml_description(Path(self.factory))
        text = getattr(self.factory, "description", None)
        if not isinstance(text, str):
            text = inspect.getdoc(self.factory) or ""
        return text.strip().splitlines()[0] if text.strip() else ""


@dataclass
class PluginInfo:
    name: str
    distribution: str
    version: str
    api: str = ""       # the plugin API range it declared
    requires: dict[str, str] = field(default_factory=dict)   # distributions it builds on -> range ("" any)
    module: str = ""    # the module holding its hooks

    @property
    def label(self) -> str:
        return f"plugin {self.name!r} ({self.distribution} {self.version})".replace(" )", ")")


@dataclass
class PluginFailure:
    plugin: str
    distribution: str
    version: str
    error: str
    traceback: str = ""


class _PluginManager(pluggy.PluginManager):
    """Takes every ``ltr_*`` function of a plugin as a hook implementation, marked with ``@hookimpl`` or not."""

    def parse_hookimpl_opts(self, plugin, name):
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith("ltr_") and inspect.isroutine(getattr(plugin, name, None)):
            opts = {"wrapper": False, "hookwrapper": False, "optionalhook": False, "tryfirst": False,
                    "trylast": False, "specname": None}
        return opts


@dataclass
class Registry:
    components: dict[str, dict[str, Component]] = field(default_factory=lambda: {k: {} for k in KINDS})
    failures: list[PluginFailure] = field(default_factory=list)
    plugins: dict[str, PluginInfo] = field(default_factory=dict)

    def __post_init__(self):
        self.build_listener: Callable[[Component, float], None] | None = None   # told each build and its time
        self._pm = _PluginManager("ltr")
        self._pm.add_hookspecs(hookspecs)
        self._short: dict[str, dict[str, list[str]]] = {k: {} for k in KINDS}

    # -- building -------------------------------------------------------------------------------------
    def add_plugin(self, plugin: Any, name: str, distribution: str = "", version: str = "") -> None:
        """Check ``plugin`` (a module or object with hook implementations) against the contract and register
        all of its components under ``name``, or none of them: :class:`PluginError` names what is wrong."""
        info = PluginInfo(name, distribution or "(no distribution)", version or "(no version)")
        if not isinstance(name, str) or not _PLUGIN_NAME.match(name):
            raise PluginError(f"{info.label}: the plugin name {name!r} must start with a letter and hold only "
                              "letters, digits, '_', '.' and '-' (it is the entry-point name)")
        if name in self.plugins:
            raise PluginError(f"{info.label}: the plugin name {name!r} is taken by "
                              f"{self.plugins[name].distribution}; rename one entry point or uninstall one of "
                              "the distributions")
        hooks = _hook_functions(plugin)
        unknown = [h for h in hooks if h not in HOOKS and h not in (API_HOOK, REQUIRES_HOOK)]
        if unknown:
            known = [API_HOOK, REQUIRES_HOOK] + list(HOOKS)
            close = difflib.get_close_matches(unknown[0], known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise PluginError(f"{info.label}: {unknown[0]!r} is not a hook of ltr_core.hookspecs{hint} "
                              f"Hooks: {', '.join(known)}.")
        with _output_to_stderr():
            info.api = self._check_api(plugin, info, API_HOOK in hooks)
            info.requires = self._check_requires(plugin, info) if REQUIRES_HOOK in hooks else {}
        info.module = getattr(plugin, "__name__", "") if inspect.ismodule(plugin) else type(plugin).__module__
        try:
            self._pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as e:
            raise PluginError(f"{info.label}: {e}") from None
        try:
            with _output_to_stderr():
                staged = [comp for hook in hooks if hook in HOOKS
                          for comp in self._call_hook(plugin, hook, HOOKS[hook], info)]
            for comp in staged:
                existing = self.components[comp.kind].get(comp.qualname)
                if existing is not None:
                    raise PluginError(f"{info.label}: {comp.kind} {comp.qualname!r} is already registered by "
                                      f"{self.plugins[existing.plugin].label}")
        except BaseException:
            self._pm.unregister(plugin)
            raise
        self.plugins[name] = info
        for comp in staged:
            self.components[comp.kind][comp.qualname] = comp
            self._short[comp.kind].setdefault(comp.short, []).append(comp.qualname)

    def _check_api(self, plugin, info: PluginInfo, declared: bool) -> str:
        if not declared:
            example = f">={PLUGIN_API},<{int(PLUGIN_API.split('.')[0]) + 1}"
            raise PluginError(f"{info.label} declares no plugin API range: add a hook `{API_HOOK}()` that returns "
                              f"the versions it supports, e.g. {example!r} (this core implements {PLUGIN_API})")
        try:
            spec = getattr(plugin, API_HOOK)()
            parse_range(spec)
        except ValueError as e:
            raise PluginError(f"{info.label}: {API_HOOK}() must return a version range such as '>=1.0,<2': "
                              f"{e}") from None
        except Exception as e:
            raise PluginError(f"{info.label}: hook {API_HOOK} raised {type(e).__name__}: {e}") from None
        if not in_range(PLUGIN_API, spec):
            core = distribution_version("ltr-core")
            lower_bounds = [f"{op}{'.'.join(map(str, v))}" for op, v in parse_range(spec) if op in (">=", ">", "==")]
            if any(not in_range(PLUGIN_API, clause) for clause in lower_bounds):
                todo = f"upgrade ltr-core to a release that implements plugin API {spec}"
            else:
                todo = (f"upgrade {info.distribution} to a release written for plugin API {PLUGIN_API}, or install "
                        "an ltr-core it supports")
            raise PluginError(f"{info.label} supports plugin API {spec}, but ltr-core {core} implements "
                              f"{PLUGIN_API}: {todo}")
        return spec

    def _check_requires(self, plugin, info: PluginInfo) -> dict[str, str]:
        """The distributions the plugin builds on, each installed in a version of its range, or PluginError
        saying what to install."""
        try:
            listed = getattr(plugin, REQUIRES_HOOK)()
        except Exception as e:
            raise PluginError(f"{info.label}: hook {REQUIRES_HOOK} raised {type(e).__name__}: {e}") from None
        if isinstance(listed, str) or not isinstance(listed, (list, tuple)):
            raise PluginError(f"{info.label}: {REQUIRES_HOOK}() returned {_what(listed)}; expected a list of "
                              "requirements such as ['ltr-base>=0.2,<1']")
        out = {}
        for item in listed:
            m = _REQUIREMENT.match(item) if isinstance(item, str) else None
            spec = (m.group(2) or "").strip() if m else ""
            try:
                if m is None:
                    raise ValueError("expected a distribution name, then optionally a version range")
                if spec:
                    parse_range(spec)
            except ValueError as e:
                raise PluginError(f"{info.label}: {REQUIRES_HOOK}() lists {item!r}, which is not a requirement "
                                  f"such as 'ltr-base>=0.2,<1': {e}") from None
            dist = m.group(1)
            installed = distribution_version(dist)
            todo = f"pip install '{dist}{spec}'"
            if installed == "(not installed)":
                raise PluginError(f"{info.label} builds on {dist}, which is not installed in {environment()}: "
                                  f"{todo}")
            if spec and not in_range(_release(installed), spec):
                raise PluginError(f"{info.label} builds on {dist}{spec}, but {dist} {installed} is installed: "
                                  f"{todo}")
            out[dist] = spec
        return out

    def _call_hook(self, plugin, hook: str, kind: str, info: PluginInfo) -> list[Component]:
        impl = next(i for i in getattr(self._pm.hook, hook).get_hookimpls() if i.plugin is plugin)
        expected = ("a mapping {config_name: path to a YAML file}" if kind == "config" else
                    f"a mapping {{name: factory}} of {kind}s")
        where = f"{info.label}, hook {hook}"
        try:
            result = impl.function()
        except Exception as e:
            raise PluginError(f"{where} raised {type(e).__name__}: {e}") from None
        if not isinstance(result, Mapping):
            extra = " (does the hook lack a `return`?)" if result is None else ""
            raise PluginError(f"{where} returned {_what(result)}{extra}; expected {expected}")
        out = []
        for key, value in result.items():
            if not isinstance(key, str) or not _valid_key(key, kind):
                raise PluginError(f"{where}: the name {key!r} is not a valid {kind} name (letters, digits, '_', "
                                  "'.', '+', '-'; no '/'" + (", except '<plugin>/<net>' for another plugin's net)"
                                                             if kind == "export" else ")"))
            problem = _check_factory(kind, value)
            if problem:
                raise PluginError(f"{where}: {kind} {key!r} is {problem}; expected {expected}")
            problem = _newer_api_problem(kind, value, info.api)
            if problem:
                raise PluginError(f"{where}: {kind} {key!r} {problem}")
            if kind == "config":
                value = Path(value)
            qual = key if "/" in key else f"{info.name}/{key}"
            out.append(Component(kind, qual if kind == "export" else key, value, info.name, info.distribution,
                                 info.version))
        return out

    def load_plugin(self, import_path: str, name: str, distribution: str = "", version: str = "",
                    loader: Callable[[], Any] | None = None) -> None:
        """Import and register a plugin, recording (not raising) any failure."""
        try:
            with _output_to_stderr():
                plugin = loader() if loader else importlib.import_module(import_path)
            self.add_plugin(plugin, name, distribution, version)
        except Exception as exc:  # a broken plugin must not break the others
            if isinstance(exc, PluginError):
                text = str(exc)
            elif isinstance(exc, ModuleNotFoundError) and exc.name:
                text = _missing_module_message(exc.name, name, distribution, version)
            else:
                text = traceback.format_exception_only(type(exc), exc)[-1].strip()
            self.failures.append(PluginFailure(name, distribution, version, text, traceback.format_exc()))

    def remove_plugin(self, name: str, reason: str) -> None:
        """Take back every component of plugin ``name`` and record it as failed with ``reason``."""
        info = self.plugins.pop(name)
        for kind, table in self.components.items():
            for qual in [q for q, c in table.items() if c.plugin == name]:
                comp = table.pop(qual)
                self._short[kind][comp.short].remove(qual)
                if not self._short[kind][comp.short]:
                    del self._short[kind][comp.short]
        plugin = self._pm.get_plugin(name)
        if plugin is not None:
            self._pm.unregister(plugin)
        self.failures.append(PluginFailure(name, info.distribution, info.version, reason))

    def check_foundations(self) -> None:
        """What a plugin builds on must have loaded: a plugin whose required distribution's plugin failed, or one
        of whose configs has a ``base:`` that no loaded plugin provides, fails too (and so on, down the line)."""
        changed = True
        while changed:
            changed = False
            failed = {f.distribution: f for f in self.failures}
            for name, info in list(self.plugins.items()):
                reason = self._foundation_problem(info, failed)
                if reason:
                    self.remove_plugin(name, reason)
                    changed = True
                    break

    def _foundation_problem(self, info: PluginInfo, failed: dict) -> str | None:
        for dist in info.requires:
            broken = failed.get(dist) or next((f for d, f in failed.items() if _same_dist(d, dist)), None)
            if broken is not None:
                return (f"{info.label} builds on {dist}, whose plugin {broken.plugin!r} failed to load: "
                        f"{one_line(broken.error)}")
        for comp in self.components["config"].values():
            if comp.plugin != info.name:
                continue
            base = config_base(Path(comp.factory))
            if base is None or base in self.components["config"]:
                continue
            owner = base.split("/", 1)[0]
            why = (f"its plugin {owner!r} failed to load" if owner in {f.plugin for f in self.failures}
                   else f"no installed plugin is named {owner!r}" if owner not in self.plugins
                   else f"plugin {owner!r} has no such config")
            declared = ", ".join(f"{d}{s}" for d, s in info.requires.items())
            todo = (f"install what it builds on ({declared})" if declared else
                    f"install the plugin {owner!r} (and declare it: {REQUIRES_HOOK}() in the plugin's hooks)")
            return f"{info.label}: config {comp.qualname!r} has base: {base}, but {why}: {todo}"
        return None

    def shadowed(self) -> list[tuple[Component, Component]]:
        """``(plugin's component, core's component)`` for each short name a plugin registers that the core also
        registers: the short name means the core's; the plugin's is reached by its qualified name only."""
        out = []
        for kind, shorts in self._short.items():
            for short, quals in shorts.items():
                core = f"{CORE_PLUGIN}/{short}"
                if core in quals:
                    table = self.components[kind]
                    out += [(table[q], table[core]) for q in quals if q != core]
        return out

    def is_shadowed(self, comp: Component) -> bool:
        return comp.plugin != CORE_PLUGIN and f"{CORE_PLUGIN}/{comp.short}" in self._short[comp.kind].get(
            comp.short, [])

    def code_plugins(self, factory) -> list[str]:
        """The plugins whose code a factory runs: the plugin of every module its class hierarchy or its
        :func:`~ltr_core.api.follows` chain comes from, and what those plugins declare they build on."""
        by_package = {info.module.split(".")[0]: name for name, info in self.plugins.items() if info.module}
        names = []
        for module in _code_modules(factory):
            plugin = by_package.get(module.split(".")[0])
            if plugin and plugin != CORE_PLUGIN and plugin not in names:
                names.append(plugin)
        queue = list(names)
        while queue:
            for dist in self.plugins[queue.pop()].requires:
                for name, info in self.plugins.items():
                    if _same_dist(info.distribution, dist) and name not in names:
                        names.append(name)
                        queue.append(name)
        return names

    # -- lookup ---------------------------------------------------------------------------------------
    def get(self, kind: str, name: str) -> Component:
        if kind not in self.components:
            raise RegistryError(f"unknown component kind {kind!r}; kinds are: {', '.join(KINDS)}")
        table = self.components[kind]
        if not isinstance(name, str):
            raise RegistryError(f"{kind} name must be a string, got {name!r}")
        if "/" in name:
            if name in table:
                return table[name]
            raise RegistryError(self._unknown_message(kind, name))
        matches = self._short[kind].get(name, [])
        if f"{CORE_PLUGIN}/{name}" in matches:      # a plugin never shadows the core's names
            return table[f"{CORE_PLUGIN}/{name}"]
        if len(matches) == 1:
            return table[matches[0]]
        if matches:
            owners = " and ".join(f"{table[q].plugin!r} ({table[q].distribution})" for q in matches)
            raise RegistryError(f"{kind} {name!r} is ambiguous: plugins {owners} both register it; write "
                                + " or ".join(repr(q) for q in matches))
        raise RegistryError(self._unknown_message(kind, name))

    def names(self, kind: str) -> list[str]:
        """Qualified names of a kind's components."""
        return sorted(self.components[kind])

    def all(self, kind: str | None = None) -> list[Component]:
        kinds = [kind] if kind else list(KINDS)
        return [self.components[k][n] for k in kinds for n in sorted(self.components[k])]

    def of_plugin(self, plugin: str) -> list[Component]:
        return [c for c in self.all() if c.plugin == plugin]

    def build(self, kind: str, name: str, *args, **kwargs):
        """Build a component; failures and results of the wrong type name the component and its plugin."""
        comp = self.get(kind, name)
        started = time.perf_counter()
        try:
            with _output_to_stderr():       # a factory's prints must not break a command's --json output
                obj = comp.factory(*args, **kwargs)
        except UserError:
            raise
        except Exception as e:
            raise ComponentError(f"{comp.label} failed to build: {type(e).__name__}: {e}") from e
        if self.build_listener is not None:
            self.build_listener(comp, time.perf_counter() - started)
        problem = _check_built(kind, obj)
        if problem:
            raise ComponentError(f"{comp.label} built {_what(obj)}, {problem}")
        return obj

    def label(self, kind: str, name: str) -> str:
        """``net 'mytracker/mytracker' (plugin 'mytracker', ltr-mytracker 0.2.0)``, or the name as given when it
        is not registered."""
        try:
            return self.get(kind, name).label
        except RegistryError:
            return f"{kind} {name!r}"

    def _unknown_message(self, kind: str, name: str) -> str:
        known = self.names(kind)
        by_text = {q: [q] for q in known}
        if "/" not in name:     # a short name was typed: suggest short names where they are unambiguous
            by_text.update({short: quals for short, quals in self._short[kind].items()})
        close = difflib.get_close_matches(name, list(by_text), n=3, cutoff=0.5)
        suggestions = []
        for text in close:
            quals = by_text[text]
            for shown in ([text] if len(quals) == 1 else quals):
                if not any(by_text.get(s) == by_text.get(shown) or s == shown for s in suggestions):
                    suggestions.append(shown)
        msg = f"unknown {kind} {name!r}"
        if suggestions:
            msg += f"; did you mean {' or '.join(repr(c) for c in suggestions)}?"
        msg += f" Registered {kind}s: {', '.join(known) if known else '(none)'}."
        broken = [f.plugin for f in self.failures]
        if broken:
            msg += f" Plugins that failed to load: {', '.join(broken)} (see `ltr list`)."
        else:
            msg += " Is the plugin that provides it installed (`ltr list`)?"
        return msg


@contextlib.contextmanager
def _output_to_stderr():
    """What a plugin prints while it is imported or its hooks run goes to stderr, so that every ``--json``
    output stays JSON."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def environment() -> str:
    """The interpreter and environment plugins are looked up in, for messages about missing plugins."""
    env = os.environ.get("VIRTUAL_ENV") or os.environ.get("CONDA_PREFIX")
    where = f"the environment {env}" if env else f"the environment of {sys.prefix}"
    return f"{where} (Python {sys.executable})"


def _normal(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


def _same_dist(a: str, b: str) -> bool:
    return _normal(a) == _normal(b)


def _release(version: str) -> str:
    """The leading numbers of a version (``0.3.0.dev1`` -> ``0.3.0``), which ranges compare."""
    m = re.match(r"\d+(?:\.\d+)*", version)
    return m.group(0) if m else "0"


def _missing_module_message(module: str, plugin: str, distribution: str, version: str) -> str:
    """A plugin that imports a module that is not installed: say which distribution to install, from the
    plugin distribution's own requirements when one of them provides that module's name."""
    top = module.split(".")[0]
    label = f"plugin {plugin!r} ({distribution or '(no distribution)'} {version or '(no version)'})"
    wanted = None
    try:
        requires = md.distribution(distribution).requires or [] if distribution else []
    except md.PackageNotFoundError:
        requires = []
    for line in requires:
        m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^]]*\])?\s*([^;]*)", line)
        if m and _same_dist(m.group(1), top):
            wanted = f"{m.group(1)}{m.group(2).strip().replace(' ', '')}"
            break
    if wanted:
        return (f"{label} imports module {module!r}, which is not installed in {environment()}: "
                f"pip install '{wanted}' ({distribution} requires it)")
    return (f"{label} imports module {module!r}, which is not installed in {environment()}: install the "
            f"distribution that provides it (for an ltr plugin, usually {top.replace('_', '-')})")


def config_base(path: Path) -> str | None:
    """The ``<plugin>/<config>`` a config file's ``base:`` names, or None (no base, a file path, unreadable)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except Exception:       # a broken file is reported, naming its line, when the config is used
        return None
    base = data.get("base") if isinstance(data, dict) else None
    if not isinstance(base, str) or base.endswith((".yaml", ".yml")) or base.count("/") != 1:
        return None
    return base


def _code_modules(factory) -> list[str]:
    """Modules a factory's code comes from: its class hierarchy, or a function and what it follows."""
    out, seen = [], set()
    while factory is not None and id(factory) not in seen:
        seen.add(id(factory))
        classes = factory.__mro__ if inspect.isclass(factory) else (factory,)
        out += [getattr(c, "__module__", None) or "" for c in classes if c is not object]
        factory = getattr(factory, FOLLOWS_ATTR, None)
    return [m for m in out if m and not m.startswith("builtins")]


def _hook_functions(plugin) -> list[str]:
    names = []
    for attr in dir(plugin):
        if attr.startswith("ltr_") and inspect.isroutine(getattr(plugin, attr, None)):
            names.append(attr)
    return names


def _valid_key(key: str, kind: str) -> bool:
    if kind == "export" and key.count("/") == 1:
        plugin, net = key.split("/")
        return bool(_PLUGIN_NAME.match(plugin) and _COMPONENT_NAME.match(net))
    return bool(_COMPONENT_NAME.match(key))


def _what(value) -> str:
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"a {type(value).__name__} ({text})"


def _check_factory(kind: str, value) -> str | None:
    """What is wrong with a registered value, or None."""
    if kind == "config":
        if not isinstance(value, (str, os.PathLike)):
            return _what(value)
        if not Path(value).is_file():
            return (f"{value}, which does not exist (a YAML file the plugin's package must ship: list it as "
                    "package data, e.g. [tool.setuptools.package-data] <package> = [\"configs/*.yaml\"])")
        return None
    if kind == "benchmark":
        if not isinstance(value, api.Benchmark):
            return f"{_what(value)}, not an ltr_core.api.Benchmark"
        return value.rules_problem()
    if not callable(value):
        return f"{_what(value)}, not a class or function"
    if kind == "dataset" and isinstance(value, type):
        return eval_rules_problem(getattr(value, "eval_rules", None), value.__qualname__)
    return None


def _newer_api_problem(kind: str, factory, spec: str) -> str | None:
    """What is wrong with a factory's use of an addition to the plugin API, or None: a declaration of the wrong
    type, or one whose plugin also declares (``spec``) a core that predates it and would ignore it."""
    if kind != "tracker" or getattr(factory, "onnx_needs_torch", False) is False:
        return None
    if factory.onnx_needs_torch is not True:
        return f"sets onnx_needs_torch = {factory.onnx_needs_torch!r}; expected True or False"
    if in_range("1.3", spec):
        return (f"sets onnx_needs_torch (plugin API 1.4), but its plugin declares plugin API {spec}, which admits "
                "1.3, whose cores give an ONNX tracker no PyTorch network: declare '>=1.4' in ltr_plugin_api()")
    return None


#: kind -> (what a factory of that kind must build, a check of the built object)
_BUILT = {
    "net": ("a torch.nn.Module", lambda o: isinstance(o, torch.nn.Module)),
    "actor": ("an ltr_core.api.Actor", lambda o: isinstance(o, api.Actor)),
    "tracker": ("an ltr_core.api.Tracker", lambda o: isinstance(o, api.Tracker)),
    "dataset": ("an ltr_core.api.VideoDataset", lambda o: isinstance(o, api.VideoDataset)),
    "benchmark": ("an ltr_core.api.VideoDataset", lambda o: isinstance(o, api.VideoDataset)),
    "sampler": ("a dataset of samples (with __getitem__ and __len__)",
                lambda o: hasattr(o, "__getitem__") and hasattr(o, "__len__")),
    "export": ("a list of ltr_core.api.ExportPart",
               lambda o: isinstance(o, (list, tuple)) and all(isinstance(p, api.ExportPart) for p in o)),
    "optimizer": ("a torch.optim.Optimizer", lambda o: isinstance(o, torch.optim.Optimizer)),
    "scheduler": ("a learning-rate scheduler (with step() and state_dict())",
                  lambda o: callable(getattr(o, "step", None)) and callable(getattr(o, "state_dict", None))),
    "trainer_hook": ("an ltr_core.api.TrainerHook", lambda o: isinstance(o, api.TrainerHook)),
    "objective": ("something callable", callable),
    "processing": ("something callable", callable),
    "transform": ("something callable", callable),
}


def _check_built(kind: str, obj) -> str | None:
    """What is wrong with what a factory built, or None."""
    expected, ok = _BUILT.get(kind, ("", lambda o: True))
    return None if ok(obj) else f"expected {expected}"


def _yaml_description(path: Path) -> str:
    """First comment line of a YAML config is its description."""
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#"):
                    return line.lstrip("#").strip()
                if line.strip():
                    break
    except (OSError, UnicodeDecodeError):
        return "(config file unreadable)"
    return ""


def discover() -> Registry:
    """Build a registry from the core, the installed plugins and ``LTR_PLUGINS``."""
    reg = Registry()
    # the core's components are a plugin like any other, loaded by name (as pytest loads its own plugins): the
    # registry stays below every module that defines a component
    reg.add_plugin(importlib.import_module(CORE_MODULE), CORE_PLUGIN, "ltr-core", distribution_version("ltr-core"))
    for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.metadata["Name"] if ep.dist is not None else ""
        version = ep.dist.version if ep.dist is not None else ""
        reg.load_plugin(ep.value, ep.name, dist, version, loader=ep.load)
    for item in filter(None, (p.strip() for p in os.environ.get("LTR_PLUGINS", "").split(","))):
        # "name=module.path", or "module.path" named after its last component
        name, _, path = item.rpartition("=")
        name = name or path.split(".")[-1]
        reg.load_plugin(path, name, f"LTR_PLUGINS:{path}", "dev")
    reg.check_foundations()
    return reg


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
