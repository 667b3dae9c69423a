"""Build datasets, samplers and loaders from a validated config's ``data.<split>`` section."""

from __future__ import annotations

from pathlib import Path

from ltr_core import env
from ltr_core.data.loader import build_loader
from ltr_core.registry import Registry, get_registry


def build_datasets(section: dict, workspace: Path, registry: Registry | None = None) -> list:
    """Open every dataset of a loader section; a missing root stops here, naming the variable to set."""
    registry = registry or get_registry()
    out = []
    for entry in section["datasets"]:
        params = {k: v for k, v in entry.items() if k not in ("name", "weight", "root", "root_env")}
        comp = registry.get("dataset", entry["name"])
        root = entry.get("root")
        if root:
            root = env.expand(root)
        else:
            variable = entry.get("root_env") or getattr(comp.factory, "root_env", "")
            root = env.dataset_root(variable, workspace)
        out.append(registry.build("dataset", comp.qualname, root, **params))   # with the registry's checks
    return out


def build_processing(proc_section: dict, registry: Registry | None = None):
    proc_cfg = dict(proc_section)
    return (registry or get_registry()).build("processing", proc_cfg.pop("name"), **proc_cfg)


def processing_stage(section: dict, epoch: int) -> tuple[int, dict]:
    """Which entry of the section's ``processing_schedule`` is in force at ``epoch`` (1-based; the number of
    entries once past the last one) and the processing section it gives."""
    schedule = section.get("processing_schedule") or []
    for i, entry in enumerate(schedule):
        if epoch <= entry["until_epoch"]:
            return i, {**section["processing"], **{k: v for k, v in entry.items() if k != "until_epoch"}}
    return len(schedule), section["processing"]


def build_sampler(section: dict, seed: int, workspace: Path, registry: Registry | None = None,
                  datasets: list | None = None):
    registry = registry or get_registry()
    datasets = datasets if datasets is not None else build_datasets(section, workspace, registry)
    processing = build_processing(section["processing"], registry)
    samp_cfg = dict(section["sampler"])
    name = samp_cfg.pop("name")
    samp_cfg.setdefault("weights", [d["weight"] for d in section["datasets"]])
    samp_cfg["seed"] = seed
    samp_cfg["max_failure_fraction"] = section["loader"]["max_failure_fraction"]
    return registry.build("sampler", name, datasets, processing, **samp_cfg)


def build_train_loader(cfg: dict, workspace: Path, split: str = "train", rank: int = 0, world_size: int = 1,
                       registry: Registry | None = None):
    section = cfg["data"][split]
    sampler = build_sampler(section, cfg["seed"] + (0 if split == "train" else 1), workspace, registry)
    return build_loader(sampler, section["loader"], rank, world_size)
