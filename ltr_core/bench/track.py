"""``ltr bench track``: a tracker per frame (its network calls timed apart), optionally profiled, and batched
tracking over batch sizes with the speed-up against one sequence at a time."""

from __future__ import annotations

import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ltr_core.bench.measure import peak_memory_mib, reset_peak_memory
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.data.demo import DemoSpec, demo_frames, make_demo
from ltr_core.errors import UserError
from ltr_core.track.batched import run_batched
from ltr_core.track.runner import EvalSequence, sequences_from_dataset


class _TimedNet:
    """Wraps a tracker's network (torch module or ONNX stand-in) and adds up the time spent in its calls,
    including calls to its sub-modules' methods (``net.head.predict(...)``)."""

    def __init__(self, net, clock: list | None = None, sync=None):
        self._net = net
        self._clock = clock if clock is not None else [0.0]
        self._sync = sync or (lambda: None)      # waits for the GPU, so a call's time is its kernels' too

    @property
    def seconds(self) -> float:
        return self._clock[0]

    @seconds.setter
    def seconds(self, value: float) -> None:
        self._clock[0] = value

    def __getattr__(self, name):
        attr = getattr(self._net, name)
        if isinstance(attr, torch.nn.Module) or type(attr).__name__ == "_Scoped":
            return _TimedNet(attr, self._clock, self._sync)
        return self._timed(attr) if callable(attr) else attr

    def __call__(self, *args, **kwargs):
        return self._timed(self._net)(*args, **kwargs)

    def _timed(self, fn):
        def timed(*args, **kwargs):
            self._sync()
            t = time.perf_counter()
            out = fn(*args, **kwargs)
            self._sync()
            self._clock[0] += time.perf_counter() - t
            return out
        return timed


def bench_sequence(size: tuple[int, int], frames: int, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Decoded RGB frames of one generated demo sequence (procedural textures) and its first box."""
    return demo_frames(size, frames, seed)[0]


def bench_track(factory, images: list[np.ndarray], first_box, warmup: int = 5, profile_top: int | None = None) -> dict:
    """Time a whole tracker (crops, network, post-processing) on decoded frames: ms/frame and the network's
    share. ``warmup`` frames are tracked first and not counted. ``profile_top``: also profile the timed frames
    and return the functions with the most cumulative time (``profile``: name, ms/frame, share)."""
    tracker = factory()
    device = getattr(tracker, "device", torch.device("cpu"))
    tracker.net = _TimedNet(tracker.net, sync=(lambda: torch.cuda.synchronize(device)) if device.type == "cuda"
                            else None)
    tracker.initialize(images[0], first_box)
    for im in images[1:1 + warmup]:
        tracker.track(im)
    tracker.net.seconds = 0.0
    tracker.initialize(images[0], first_box)
    init_net = tracker.net.seconds
    profiler = None
    if profile_top:
        profiler = cProfile.Profile()
        profiler.enable()
    t = time.perf_counter()
    for im in images[1:]:
        tracker.track(im)
    total = time.perf_counter() - t
    if profiler is not None:
        profiler.disable()
    net = tracker.net.seconds - init_net
    n = len(images) - 1
    out = {"frames": n, "ms_per_frame": 1000 * total / n, "net_ms_per_frame": 1000 * net / n,
           "net_share": net / total, "fps": n / total}
    if profiler is not None:
        out["profile"] = _profile_rows(profiler, profile_top, total, n)
    return out


def _profile_rows(profiler, top: int, total: float, frames: int) -> list[tuple[str, float, float]]:
    """The ``top`` functions by cumulative time, leaving out the wrappers every call goes through."""
    stats = pstats.Stats(profiler).stats
    wrappers = ("_contextlib.py", "module.py", "bench.py")
    rows = []
    for (path, line, name), (_, _, _, cumulative, _) in stats.items():
        if path.endswith(wrappers) or name == "track" or path == "~" and name.startswith("<method 'disable'"):
            continue
        where = f"{Path(path).parent.name}/{Path(path).name}:{line}({name})" if path != "~" else name
        rows.append((where, 1000 * cumulative / frames, cumulative / total))
    return sorted(rows, key=lambda r: -r[1])[:top]


def bench_track_batched(factory, size: tuple[int, int], frames: int, batches: list[int], rounds: int = 1,
                        distinct: int = 4, threads: int | None = None) -> dict:
    """Time batched tracking (:mod:`ltr_core.track.batched`) end to end, decoding included: for each batch size N,
    N sequences of ``frames`` frames (``distinct`` generated sequences, repeated) tracked in lockstep, the sizes
    alternated over ``rounds``. Returns per N the median round's frames/s, ms per step, the data / network /
    finish split and the peak memory."""
    trackers = factory.batch(max(batches))
    if len(trackers) < max(batches):
        raise UserError(f"--batch: {trackers[0].ltr_label if hasattr(trackers[0], 'ltr_label') else 'the tracker'} "
                        "does not split its frames into prepare/network/finish (Tracker.batchable)")
    device = getattr(trackers[0], "device", torch.device("cpu"))
    runs: dict[int, list[dict]] = {n: [] for n in batches}
    with tempfile.TemporaryDirectory(prefix="ltr-bench-") as tmp:
        make_demo(Path(tmp) / "data", DemoSpec(classes=1, per_class=distinct + 1, frames=frames, width=size[0],
                                               height=size[1], seed=0, test_per_class=1, photos="off"),
                  progress=False, report=lambda m: None)
        seqs = sequences_from_dataset(LaSOT(Path(tmp) / "data", split="all"))[:distinct]
        warm = [EvalSequence(f"warm-{s.name}", s.frames[:8], s.gt[:8], None) for s in seqs]
        run_batched(trackers[:min(len(seqs), max(batches))], warm, Path(tmp) / "out", threads, progress=False)
        for r in range(rounds):
            for n in batches:
                batch = [EvalSequence(f"r{r}-n{n}-{i}", seqs[i % len(seqs)].frames, seqs[i % len(seqs)].gt, None)
                         for i in range(n)]
                reset_peak_memory(device)
                summary = run_batched(trackers[:n], batch, Path(tmp) / "out", threads, progress=False)
                steps = max(1, summary["steps"])
                runs[n].append({"frames": summary["frames"], "wall_s": summary["wall_s"],
                                "fps": summary["frames"] / summary["wall_s"],
                                "ms_per_step": 1000 * summary["wall_s"] / steps,
                                "data_ms_per_step": 1000 * summary["data_s"] / steps,
                                "network_ms_per_step": 1000 * summary["network_s"] / steps,
                                "finish_ms_per_step": 1000 * summary["finish_s"] / steps,
                                "peak_memory_mib": peak_memory_mib(device)})
    out = {}
    for n in batches:
        ordered = sorted(runs[n], key=lambda x: x["fps"])
        out[n] = {**ordered[(len(ordered) - 1) // 2], "rounds_fps": [x["fps"] for x in runs[n]]}
    return {"device": str(device), "per_batch": out}
