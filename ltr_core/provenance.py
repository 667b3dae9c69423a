"""What made a checkpoint or an export: the core's and the plugins' distribution versions, and loading weights
into a network with a message that names the file and the first parameter that does not fit.

Checkpoints and ONNX manifests carry :func:`versions_for` under ``versions``::

    {"ltr-core": "0.2.0", "plugin_api": "1.0",
     "components": {"net": "hcat/hcat", "actor": "hcat/hcat", ...},
     "plugins": {"hcat": {"distribution": "ltr-hcat", "version": "0.2.0"}, "core": {...}}}
"""

from __future__ import annotations

from typing import Any

import torch

from ltr_core.hookspecs import PLUGIN_API
from ltr_core.versions import distribution_version

SECTIONS = ("net", "objective", "actor", "tracker", "optimizer", "scheduler")


def _component_names(cfg: dict) -> dict[str, str]:
    names = {}
    for section in SECTIONS:
        entry = cfg.get(section)
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            names[section] = entry["name"]
    train = ((cfg.get("data") or {}).get("train") or {})
    for key in ("sampler", "processing"):
        if isinstance(train.get(key), dict) and isinstance(train[key].get("name"), str):
            names[key] = train[key]["name"]
    return names


def versions_for(cfg: dict, registry=None) -> dict[str, Any]:
    """The versions of the core and of every plugin that provides one of ``cfg``'s components."""
    from ltr_core.registry import RegistryError, get_registry

    reg = registry or get_registry()
    components = _component_names(cfg)
    plugins = {}
    for kind, name in components.items():          # each section is named after its component kind
        try:
            comp = reg.get(kind, name)
        except RegistryError:
            continue
        plugins[comp.plugin] = {"distribution": comp.distribution, "version": comp.version}
    return {"ltr-core": distribution_version("ltr-core"), "plugin_api": PLUGIN_API, "components": components,
            "plugins": plugins}


def version_differences(recorded: dict | None, registry=None) -> list[str]:
    """How the versions that made a file differ from the ones installed, one phrase each ("ltr-hcat 0.1.0 made
    it, 0.2.0 is installed"); empty when they agree or the file records none."""
    from ltr_core.registry import get_registry

    if not isinstance(recorded, dict):
        return []
    reg = registry or get_registry()
    out = []
    core = distribution_version("ltr-core")
    if recorded.get("ltr-core") and recorded["ltr-core"] != core:
        out.append(f"ltr-core {recorded['ltr-core']} made it, {core} is installed")
    if recorded.get("plugin_api") and recorded["plugin_api"] != PLUGIN_API:
        out.append(f"plugin API {recorded['plugin_api']} then, {PLUGIN_API} now")
    for plugin, made in (recorded.get("plugins") or {}).items():
        if plugin == "core" or not isinstance(made, dict):
            continue
        info = reg.plugins.get(plugin)
        if info is None:
            out.append(f"plugin {plugin!r} ({made.get('distribution')} {made.get('version')}) made it and is "
                       "not installed")
        elif made.get("version") != info.version:
            out.append(f"{made.get('distribution')} {made.get('version')} made it, {info.version} is installed")
    return out


def load_weights(net: torch.nn.Module, state: dict, source: str, recorded: dict | None = None,
                 what: str = "network") -> None:
    """``net.load_state_dict(state, strict=True)``, checked first: a missing, unexpected or differently shaped
    entry raises one :class:`CheckpointError` naming ``source``, the first such parameter, and the versions that
    differ between what made the file and what is installed."""
    from ltr_core.train.checkpoint import CheckpointError

    problem = state_mismatch(net.state_dict(), state)
    if problem:
        diffs = version_differences(recorded)
        because = f" ({'; '.join(diffs)})" if diffs else ""
        raise CheckpointError(f"{source} does not fit the {what}{because}: {problem}. Use a checkpoint made with "
                              "this config and these versions, or start a new run")
    net.load_state_dict(state, strict=True)


def state_mismatch(expected: dict, given: dict) -> str:
    """'' when ``given`` has exactly ``expected``'s keys and shapes; else the first difference and the counts."""
    missing = [k for k in expected if k not in given]
    unexpected = [k for k in given if k not in expected]
    shapes = [k for k in expected if k in given and hasattr(given[k], "shape")
              and tuple(given[k].shape) != tuple(expected[k].shape)]
    if not (missing or unexpected or shapes):
        return ""
    if shapes:
        k = shapes[0]
        first = (f"parameter {k!r} has shape {tuple(given[k].shape)} in the file but {tuple(expected[k].shape)} in "
                 "the network")
    elif missing:
        first = f"parameter {missing[0]!r} of the network is not in the file"
    else:
        first = f"the file has parameter {unexpected[0]!r}, which the network lacks"
    counts = [f"{len(x)} {label}" for x, label in ((missing, "missing"), (unexpected, "unexpected"),
                                                    (shapes, "of another shape")) if x]
    return f"{first} ({', '.join(counts)} of {len(expected)})"
