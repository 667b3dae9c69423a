"""``ltr bench data``: the data pipeline (sampler, decoding, processing, collation) against plain
``cv2.imread`` decoding of the same frames, as a ratio measured in one run; packed against loose frames."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from ltr_core.config import factory_params
from ltr_core.data.build import build_datasets, build_sampler
from ltr_core.data.image import read_bytes
from ltr_core.data.loader import build_loader, warm_allocator
from ltr_core.errors import UserError
from ltr_core.progress import Progress
from ltr_core.registry import get_registry


def bench_data(cfg: dict, workspace: Path, batches: int, workers: int, data: str | None = None,
               parse_all: bool = False, packed: str | None = None, rounds: int = 2) -> dict:
    """Time the config's training loader and plain cv2.imread decoding of the same frames. ``parse_all`` also
    times parsing every sequence's annotations (readers otherwise parse a sequence when it is first drawn).
    ``packed``: a packed copy (``ltr data pack``) of ``data``'s root, timed against the folder tree on the same
    samples, the two alternated over ``rounds``, and checked to give the same bytes for every frame drawn."""
    section = dict(cfg["data"]["train"])
    t0 = time.perf_counter()
    if data:
        reader, root = data.split("=", 1)
        comp = get_registry().get("dataset", reader)
        kwargs = {"split": "all"} if "split" in factory_params(comp.factory) else {}
        datasets = [comp.factory(root, **kwargs)]
        section["datasets"] = [{"name": reader, "weight": 1.0}]
    else:
        datasets = build_datasets(section, workspace)
    open_s = time.perf_counter() - t0
    parse = None
    if parse_all:
        t0 = time.perf_counter()
        frames = sum(len(d.sequence_info(i)) for d in datasets for i in range(len(d)))
        parse = {"parse_s": time.perf_counter() - t0, "frames": frames}
    loader_cfg = {**section["loader"], "workers": workers}
    pipeline_s, samples, sampler = _time_loader(section, loader_cfg, cfg["seed"], workspace, datasets, batches)
    bs = loader_cfg["batch_size"]
    n = samples // bs + 1
    # the same samples' frames, decoded by plain cv2.imread: draws depend only on (seed, epoch, index)
    paths = []
    for index in range(bs, n * bs):
        raw = sampler.draw(np.random.default_rng([cfg["seed"], 0, index]))
        paths += [f.path for f in raw["template_frames"] + raw["search_frames"]]
    warm_allocator()                           # cv2 at its best, whatever this process did before
    for p in paths[:8]:
        cv2.imread(p)
    t0 = time.perf_counter()
    for p in paths:
        cv2.imread(p)
    decode_s = time.perf_counter() - t0
    out = {"sequences": sum(len(d) for d in datasets), "open_s": open_s, "parse": parse, "samples": samples,
           "workers": workers, "samples_per_s": samples / pipeline_s, "ms_per_sample": 1000 * pipeline_s / samples,
           "cv2_decode_ms_per_sample": 1000 * decode_s / samples, "ratio_vs_cv2_decode": pipeline_s / decode_s}
    if packed:
        out["packed"] = _compare_packed(section, loader_cfg, cfg["seed"], workspace, data, packed, batches, rounds,
                                        paths)
    return out


def _time_loader(section: dict, loader_cfg: dict, seed: int, workspace: Path, datasets: list, batches: int):
    """Seconds for ``batches - 1`` batches after the first (worker start-up is not steady state), the samples
    they hold, and the sampler."""
    sampler = build_sampler(section, seed, workspace, datasets=datasets)
    loader = build_loader(sampler, loader_cfg)
    n = min(batches, len(loader))
    it = iter(loader)
    next(it)
    t0 = time.perf_counter()
    bar = Progress(n - 1, "bench data", every=5)
    for _ in range(n - 1):
        next(it)
        bar.update(1)
    seconds = time.perf_counter() - t0
    del it                                     # stop the workers before anything else is timed
    return seconds, (n - 1) * loader_cfg["batch_size"], sampler


def _compare_packed(section, loader_cfg, seed, workspace, data: str, packed: str, batches: int, rounds: int,
                    paths: list[str]) -> dict:
    if not data:
        raise UserError("ltr bench data --packed needs --data READER=ROOT: the folder tree PACKED was made from")
    reader, root = data.split("=", 1)
    comp = get_registry().get("dataset", reader)
    kwargs = {"split": "all"} if "split" in factory_params(comp.factory) else {}
    trees = {"folder": root, "packed": packed}
    times = {k: [] for k in trees}
    for _ in range(rounds):
        for kind, tree in trees.items():
            datasets = [comp.factory(tree, **kwargs)]
            seconds, samples, _ = _time_loader(section, loader_cfg, seed, workspace, datasets, batches)
            times[kind].append(1000 * seconds / samples)
    different = sum(read_bytes(p) != read_bytes(str(Path(packed) / Path(p).relative_to(Path(root).resolve())))
                    for p in (str(Path(p).resolve()) for p in paths))
    ratios = [p / f for p, f in zip(times["packed"], times["folder"])]
    return {"folder_ms_per_sample": statistics.median(times["folder"]),
            "packed_ms_per_sample": statistics.median(times["packed"]), "ratio": statistics.median(ratios),
            "rounds": rounds, "round_ratios": ratios, "frames_checked": len(paths), "frames_different": different}
