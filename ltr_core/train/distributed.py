"""Process-group setup for runs under torchrun (one node or several): NCCL on CUDA, gloo on CPU."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ltr_core import device as device_rule


@dataclass
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    group: bool = False     # a process group is set up (every run under torchrun, one process included)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1 or self.group


def pick_device(setting: str, local_rank: int = 0) -> torch.device:
    """``trainer.device`` on this process (the rule of :mod:`ltr_core.device`; ``auto``/``cuda`` take the GPU of
    the local rank)."""
    return device_rule.resolve(setting, "trainer.device", local_rank)


def setup(device_setting: str = "auto") -> DistContext:
    """Join the process group torchrun describes through RANK/WORLD_SIZE/LOCAL_RANK, if any. Under torchrun the
    group is set up even for one process, so a run on one GPU takes the path of a run on eight (NCCL, DDP)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_setting, local)
    under_torchrun = "LOCAL_RANK" in os.environ and "MASTER_ADDR" in os.environ
    if (world > 1 or under_torchrun) and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
    return DistContext(rank, world, local, device, group=dist.is_initialized())


def teardown(synchronize: bool = True) -> None:
    """Leave the process group. ``synchronize`` first waits for every rank: rank 0 may still be writing the last
    checkpoint, and a rank that tears its gloo connections down early can abort the others. Pass False when
    leaving on an error, when the other ranks may never arrive."""
    if dist.is_initialized():
        if synchronize:
            dist.barrier()
        dist.destroy_process_group()


def all_true(flag: bool, ctx: DistContext) -> bool:
    """True on every rank only if ``flag`` is true on every rank (so all ranks stop together)."""
    if not ctx.distributed:
        return flag
    t = torch.tensor([0.0 if flag else 1.0], device=ctx.device)
    dist.all_reduce(t)
    return t.item() == 0.0


def broadcast_object(obj, ctx: DistContext):
    if not ctx.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def mean_over_ranks(values: dict[str, float], ctx: DistContext) -> dict[str, float]:
    if not ctx.distributed or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t)
    t /= ctx.world_size
    return dict(zip(keys, t.tolist()))
