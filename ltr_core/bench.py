"""Benchmarks that print figures: the training step on synthetic inputs, and the data pipeline against plain
``cv2.imread`` decoding of the same frames (a ratio, so the figure does not depend on the machine)."""

from __future__ import annotations

import cProfile
import pstats
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from ltr_core.components import build_net
from ltr_core.config import factory_params
from ltr_core.data.build import build_datasets, build_processing, build_sampler
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.data.demo import DemoSpec, demo_frames, make_demo
from ltr_core.data.image import read_bytes
from ltr_core.data.loader import StackCollate, build_loader, warm_allocator
from ltr_core.errors import UserError
from ltr_core.progress import Progress
from ltr_core.registry import get_registry
from ltr_core.track.batched import run_batched
from ltr_core.track.runner import EvalSequence, sequences_from_dataset
from ltr_core.train.optim import build_optimizer
from ltr_core.train.step import AMP_DTYPES, build_train_step


class _SyntheticFrame:
    """Stands in for a FrameRef: a fixed random image, so processing runs without a dataset."""

    def __init__(self, image: np.ndarray):
        self.image = image

    def read(self, min_scale: float = 1.0, fast: bool = False, transient: bool = False):
        return self.image, 1.0


def synthetic_batch(cfg: dict, batch: int, seed: int = 0) -> dict:
    """One batch shaped exactly like the config's training batches, made by its own processing."""
    section = cfg["data"]["train"]
    processing = build_processing(section["processing"])
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(batch):
        image = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
        x, y = rng.uniform(300, 800), rng.uniform(200, 400)
        box = np.array([[x, y, rng.uniform(60, 200), rng.uniform(60, 200)]], dtype=np.float32)
        n_t = section["sampler"].get("num_template_frames", 1)
        n_s = section["sampler"].get("num_search_frames", 1)
        samples.append(processing({"template_frames": [_SyntheticFrame(image)] * n_t,
                                   "template_boxes": np.repeat(box, n_t, 0),
                                   "search_frames": [_SyntheticFrame(image)] * n_s,
                                   "search_boxes": np.repeat(box, n_s, 0)}, rng))
    return StackCollate(section["loader"]["stack_dim"])(samples)


def matmul_peak(dtype: torch.dtype, device: torch.device, n: int = 2048, reps: int = 10,
                budget_s: float = 3.0) -> tuple[float, int]:
    """GFLOP/s of a large square matmul in ``dtype`` on ``device``, timed in this process (best of ``reps``):
    the machine's own reference for what the training step achieves. Returns (GFLOP/s, size).

    The size doubles from 256 up to ``n`` while one product takes under 50 ms, and the repetitions fit in
    ``budget_s``: where a dtype has no fast kernels (bf16 on a CPU without AVX-512 BF16 runs ~30x slower than
    fp32) a 2048^2 product would take seconds each, and the figure would still say what matters."""
    size = 256
    while True:
        a = torch.randn(size, size, device=device).to(dtype)
        b = torch.randn(size, size, device=device).to(dtype)
        a @ b
        _sync(device)
        t0 = time.perf_counter()
        a @ b
        _sync(device)
        one = time.perf_counter() - t0
        if size >= n or one > 0.05:
            break
        size *= 2
    best = one
    for _ in range(max(1, min(reps, int(budget_s / max(one, 1e-9))))):
        _sync(device)
        t0 = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best / 1e9, size


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_memory_mib(device: torch.device) -> float:
    """The process's peak memory so far: on CUDA the allocator's peak, on a CPU the resident-set high-water mark
    (weights, optimizer state, the runtime and every batch's activations included). On Linux that is VmHWM, this
    process's own: ``getrusage``'s ru_maxrss also counts the launching process's peak, which a child inherits."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2 ** 20
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024                     # kB
    except OSError:
        pass
    import resource     # here: POSIX only

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024          # KiB on Linux


def bench_train(cfg: dict, batch: int, steps: int, warmup: int = 2, device: str = "cpu",
                epoch: int | None = None) -> dict:
    """Time the training step as the trainer builds it from ``cfg`` (``trainer.amp``, ``channels_last``,
    ``compile``, ``clip_grad_norm``, ``optimizer.impl``) on a synthetic batch; count its FLOPs and compare the
    achieved rate with a matmul in the step's compute dtype timed in the same process. The actor is told
    ``epoch`` (default: the config's last), for actors whose work follows the epoch."""
    from torch.utils.flop_counter import FlopCounterMode   # here: only the FLOP count needs it (slow import)


    device = torch.device(device)
    tcfg = cfg["trainer"]
    torch.manual_seed(cfg["seed"])
    net = build_net(cfg, pretrained=False).to(device)
    optimizer = build_optimizer(net, cfg["optimizer"])
    step = build_train_step(cfg, net, optimizer, device)
    data = step.to_device(synthetic_batch(cfg, batch))
    epoch = tcfg["epochs"] if epoch is None else epoch
    if hasattr(step.actor, "set_epoch"):
        step.actor.set_epoch(epoch, tcfg["epochs"])
    step.actor.train(True)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    bar = Progress(warmup + steps, "bench train", every=1)
    for i in range(warmup + steps):
        _sync(device)
        t0 = time.perf_counter()
        step(data)
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
        bar.update(1)
    seconds = float(np.median(times))
    memory = peak_memory_mib(device)                   # before the FLOP count below adds its own
    # FLOPs of the same step, counted eagerly (a compiled network does the same arithmetic)
    eager = step if not tcfg["compile"] else build_train_step({**cfg, "trainer": {**tcfg, "compile": False}}, net,
                                                              optimizer, device)
    counter = FlopCounterMode(display=False)
    with counter:
        eager(data)
    flops = counter.get_total_flops()
    dtype = AMP_DTYPES.get(tcfg["amp"], torch.float32)
    peak, peak_size = matmul_peak(dtype, device, n=8192 if device.type == "cuda" else 2048)
    achieved = flops / seconds / 1e9
    return {"batch": batch, "steps": steps, "ms_per_step": 1000 * seconds, "samples_per_s": batch / seconds,
            "threads": torch.get_num_threads(), "gflop_per_step": flops / 1e9, "gflops": achieved,
            "peak_gflops": peak, "peak_size": peak_size, "peak_dtype": str(dtype).replace("torch.", ""),
            "fraction_of_peak": achieved / peak, "peak_memory_mib": memory, "epoch": epoch, "epochs": tcfg["epochs"],
            "amp": tcfg["amp"], "channels_last": tcfg["channels_last"], "compile": tcfg["compile"],
            "optimizer_impl": cfg["optimizer"]["impl"]}


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


# -- tracking -----------------------------------------------------------------------------------------------
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


def median_round(rounds: list[dict]) -> dict:
    """The round of :func:`bench_track` with the median time per frame (the lower middle one for an even count)."""
    ordered = sorted(rounds, key=lambda r: r["ms_per_frame"])
    return ordered[(len(ordered) - 1) // 2]


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


# -- batched tracking ---------------------------------------------------------------------------------------------
def reset_peak_memory(device: torch.device) -> None:
    """Start a new peak for :func:`peak_memory_mib`: the CUDA allocator's, or on Linux the RSS high-water mark
    (``/proc/self/clear_refs``)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


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
