"""What made a checkpoint or an export: the core's and the plugins' distribution versions, and loading weights
into a network with a message that names the file and the first parameter that does not fit.

Checkpoints and ONNX manifests carry :func:`versions_for` under ``versions``::

    {"ltr-core": "0.2.0", "plugin_api": "1.0",
     "components": {"net": "mytracker/mytracker", "actor": "mytracker/mytracker", ...},
     "plugins": {"mytracker": {"distribution": "ltr-mytracker", "version": "0.2.0"}, "core": {...}}}

``plugins`` holds the plugin of each component and every plugin whose code the net runs: the plugins of the
modules its factory's classes come from and what those plugins declare they build on (``ltr_requires``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from ltr_core.components import tracker_needs_net
from ltr_core.hookspecs import PLUGIN_API
from ltr_core.locking import tmp_name
from ltr_core.paths import file_sha256, set_aside
from ltr_core.registry import RegistryError, get_registry
from ltr_core.train.checkpoint import CheckpointError
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
    reg = registry or get_registry()
    components = _component_names(cfg)
    plugins = {}
    for kind, name in components.items():          # each section is named after its component kind
        try:
            comp = reg.get(kind, name)
        except RegistryError:
            continue
        plugins[comp.plugin] = {"distribution": comp.distribution, "version": comp.version}
        if kind == "net":        # and every plugin whose code the net runs (a derived net's base plugins)
            for name in reg.code_plugins(comp.factory):
                info = reg.plugins[name]
                plugins.setdefault(name, {"distribution": info.distribution, "version": info.version})
    return {"ltr-core": distribution_version("ltr-core"), "plugin_api": PLUGIN_API, "components": components,
            "plugins": plugins}


def version_differences(recorded: dict | None, registry=None) -> list[str]:
    """How the versions that made a file differ from the ones installed, one phrase each ("ltr-mytracker 0.1.0 made
    it, 0.2.0 is installed"); empty when they agree or the file records none."""
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


# -- results folders ------------------------------------------------------------------------------------------
RESULTS_RECORD = "provenance.json"


def _plain(value):
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def results_record(factory, runtime: str, dtype: str, benchmark: str, split: str, root, seed: int | None,
                   batch: int = 1) -> dict:
    """What produces a results folder: the weights (checkpoint path and SHA-256, untrained, or none), the
    tracking config's hash and tracker section, the runtime and dtype (``--amp`` for PyTorch), the kind of device
    (``cpu`` or ``cuda``: floating point differs between them), the batch (``--batch``: sequences stepped
    together; batched matrix products round differently), the dataset, the run's seed and the versions of the core
    and plugins."""
    cfg, _ = factory.resolved()
    tracking = _plain({"net": cfg.get("net"), "tracker": cfg.get("tracker"), "seed": cfg.get("seed")})
    ckpt = factory.checkpoint
    return _plain({
        "format": "ltr-results/1",
        "config": cfg["_name"],
        "weights": "checkpoint" if ckpt else ("untrained" if tracker_needs_net(cfg) else "none (baseline)"),
        "checkpoint": str(Path(ckpt).resolve()) if ckpt else None,
        "checkpoint_sha256": file_sha256(ckpt) if ckpt else None,
        "tracking_config_sha256": hashlib.sha256(json.dumps(tracking, sort_keys=True).encode()).hexdigest(),
        "tracker": cfg.get("tracker"),
        "runtime": runtime,
        "dtype": dtype if runtime == "onnx" else ("fp32" if getattr(factory, "amp", "off") == "off" else factory.amp),
        "device": factory.tracker_device().type if hasattr(factory, "tracker_device") else "cpu",
        "batch": batch,
        "dataset": {"benchmark": benchmark, "split": split, "root": str(Path(root).resolve())},
        "run_seed": seed,
        "versions": versions_for(cfg),
    })


def read_record(folder) -> dict | None:
    path = Path(folder) / RESULTS_RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) and record.get("format") == "ltr-results/1" else None


def record_difference(old: dict | None, new: dict) -> str:
    """Why results made as ``old`` records cannot stand for ``new``; '' when they can."""
    if old is None:
        return "the results there have no provenance record (made by an older ltr, or by hand)"
    old = {"device": "cpu", "batch": 1, **old}     # records of ltr-core 0.2 name neither: CPU, one at a time
    if _plain(old) == _plain(new):
        return ""
    if old.get("checkpoint_sha256") != new.get("checkpoint_sha256"):
        def weights(r):
            return (f"checkpoint {r['checkpoint']} (sha256 {r['checkpoint_sha256'][:12]})" if r.get("checkpoint")
                    else str(r.get("weights")))
        return f"they were made with {weights(old)}, this run uses {weights(new)}"
    keys = [k for k in sorted(set(old) | set(new)) if _plain(old.get(k)) != _plain(new.get(k))]
    shown = "; ".join(f"{k}: {_short(old.get(k))} -> {_short(new.get(k))}" for k in keys[:3])
    return f"they were made with other settings ({shown})"


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def prepare_results_folder(folder, record: dict, say=print) -> None:
    """Make ``folder`` hold results of ``record`` only: results made otherwise are moved aside to
    ``<folder>.replaced-<time>`` (said, with the reason) and the record is written before any tracking."""
    folder = Path(folder)
    has_results = folder.is_dir() and any(p.suffix == ".txt" for p in folder.iterdir())
    old = read_record(folder)
    if has_results or old is not None:
        reason = record_difference(old, record)
        if not reason:
            return
        aside = set_aside(folder)
        say(f"{folder}: {reason}: tracking every sequence again (the earlier results are in {aside})")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = tmp_name(folder / RESULTS_RECORD)
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(folder / RESULTS_RECORD)


def describe_record(record: dict | None) -> str:
    """One line for ``ltr score``: what produced a results folder."""
    if record is None:
        return "no provenance record (not written by ltr eval, or by an older ltr)"
    weights = (f"checkpoint {record['checkpoint']} (sha256 {record['checkpoint_sha256'][:12]})"
               if record.get("checkpoint") else record.get("weights"))
    plugins = ", ".join(f"{p['distribution']} {p['version']}" for p in
                        (record.get("versions") or {}).get("plugins", {}).values())
    data = record.get("dataset") or {}
    return (f"{record.get('config')} with {weights}; tracker {(record.get('tracker') or {}).get('name')}; "
            f"{record.get('runtime')} {record.get('dtype')} on {record.get('device', 'cpu')}; {data.get('benchmark')} {data.get('split')} at "
            f"{data.get('root')}; {plugins}")
