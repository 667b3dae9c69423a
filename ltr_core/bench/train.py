"""``ltr bench train``: the training step as ``ltr train`` builds it, on synthetic batches of the config's
processing, timed after a warm-up, with its peak memory and its share of the device's matrix-multiply peak."""

from __future__ import annotations

import time

import numpy as np
import torch

from ltr_core.bench.measure import matmul_peak, peak_memory_mib, sync
from ltr_core.components import build_net
from ltr_core.data.build import build_processing
from ltr_core.data.loader import StackCollate
from ltr_core.progress import Progress
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


def bench_train(cfg: dict, batch: int, steps: int, warmup: int = 2, device: str = "cpu",
                epoch: int | None = None) -> dict:
    """Time the training step as the trainer builds it from ``cfg`` (``trainer.amp``, ``channels_last``,
    ``compile``, ``clip_grad_norm``, ``optimizer.impl``) on a synthetic batch; count its FLOPs and compare the
    achieved rate with a matmul in the step's compute dtype timed in the same process. The actor is told
    ``epoch`` (default: the config's last), for actors whose work follows the epoch."""
    from torch.utils.flop_counter import FlopCounterMode  # here: only the FLOP count needs it (slow import)


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
        sync(device)
        t0 = time.perf_counter()
        step(data)
        sync(device)
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
