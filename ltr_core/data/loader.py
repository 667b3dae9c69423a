"""Batching: per-rank index streams, collation of dicts of tensors, and the training DataLoader.

Batch ``k`` of an epoch holds sample indices ``[k*B*W, (k+1)*B*W)`` over all ``W`` ranks, rank ``r`` taking
the ``r``-th slice of ``B``. So ``W`` ranks with batch ``B`` see exactly the samples one process with batch
``W*B`` sees, and the stream is fixed by the seed whatever the number of workers.
"""

from __future__ import annotations

from typing import Iterator

import torch


class EpochBatches(torch.utils.data.Sampler):
    """Yields lists of ``(epoch, index)`` keys: this rank's share of each global batch."""

    def __init__(self, num_samples: int, batch_size: int, rank: int = 0, world_size: int = 1, epoch: int = 0):
        self.num_samples = num_samples
        self.batch_size = batch_size
        self.rank = rank
        self.world_size = world_size
        self.epoch = epoch

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_samples // (self.batch_size * self.world_size)

    def __iter__(self) -> Iterator[list]:
        global_batch = self.batch_size * self.world_size
        for k in range(len(self)):
            start = k * global_batch + self.rank * self.batch_size
            yield [(self.epoch, i) for i in range(start, start + self.batch_size)]


class StackCollate:
    """Collate a list of dicts of tensors by stacking each key along ``stack_dim``.

    pytracking stacks along dimension 1 (frames, batch, ...); 0 gives the usual (batch, frames, ...).
    Non-tensor values are gathered into lists.
    """

    def __init__(self, stack_dim: int = 0):
        self.stack_dim = stack_dim

    def __call__(self, samples: list[dict]) -> dict:
        out = {}
        for key in samples[0]:
            values = [s[key] for s in samples]
            if isinstance(values[0], torch.Tensor):
                out[key] = torch.stack(values, dim=self.stack_dim)
            else:
                out[key] = values
        return out


def warm_allocator(nbytes: int = 16 << 20) -> None:
    """Free one large block so glibc's malloc raises its mmap threshold to that size.

    Until a process has freed a block that big, glibc hands out every allocation above 128 KB as fresh
    mmapped memory, so each crop, normalised image and batch pays its page faults again (on 1280x720 training
    frames, ~0.5 ms per sample in the pipeline and ~2 ms per cv2.imread). Other allocators just ignore it."""
    block = bytearray(nbytes)
    del block


def _worker_init(worker_id: int) -> None:
    warm_allocator()


def build_loader(dataset, loader_cfg: dict, rank: int = 0, world_size: int = 1, epoch: int = 0):
    """A DataLoader over ``dataset`` (a sampler such as :class:`TrackingSampler`) for this rank."""
    batches = EpochBatches(len(dataset), loader_cfg["batch_size"], rank, world_size, epoch)
    workers = loader_cfg["workers"]
    warm_allocator()
    kwargs = {}
    if workers > 0:
        kwargs = {"prefetch_factor": loader_cfg["prefetch_factor"], "persistent_workers": False,
                  "worker_init_fn": _worker_init}
    return torch.utils.data.DataLoader(dataset, batch_sampler=batches, num_workers=workers,
                                       collate_fn=StackCollate(loader_cfg["stack_dim"]),
                                       pin_memory=bool(loader_cfg["pin_memory"]), **kwargs)
