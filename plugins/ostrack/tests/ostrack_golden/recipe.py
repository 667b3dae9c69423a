"""Seeded weights under the original's parameter names and the inputs of the golden fixtures, rebuilt bit for
bit from integers, so neither is stored: only the outputs the original code produced from them are."""

from __future__ import annotations

import zlib

import numpy as np
import torch


def weights(names_shapes: dict[str, tuple], seed: int = 0, peak: float = 1.0,
            size_bias: float = 0.0) -> dict[str, torch.Tensor]:
    """A state dict for the given names and shapes: weights ~ N(0, 0.02^2) (fan-in scaled for convolutions),
    LayerNorm and BatchNorm scales near 1, running variances positive; ``peak`` multiplies the centre branch's
    last layer so the score map has one clear maximum, ``size_bias`` is added to the size branch's last bias
    (its logit: -1.1 makes boxes about a quarter of the search crop, the size they were cropped around)."""
    out = {}
    for name, shape in sorted(names_shapes.items()):
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        if name.endswith("num_batches_tracked"):
            out[name] = torch.zeros((), dtype=torch.long)
            continue
        if name.endswith("running_var"):
            value = 1.0 + 0.2 * np.abs(rng.standard_normal(shape))
        elif name.endswith("running_mean"):
            value = 0.05 * rng.standard_normal(shape)
        elif name.endswith("weight") and len(shape) == 1:              # LayerNorm and BatchNorm scales
            value = 1.0 + 0.1 * rng.standard_normal(shape)
        elif len(shape) == 4:                                           # convolutions
            value = rng.standard_normal(shape) / np.sqrt(int(np.prod(shape[1:])))
        else:                                                           # linear layers, biases, embeddings
            value = 0.02 * rng.standard_normal(shape)
        if "conv5_ctr" in name:
            value = value * peak
        if "conv5_size" in name and name.endswith("bias"):
            value = value + size_bias
        out[name] = torch.from_numpy(np.asarray(value, dtype=np.float32).reshape(shape))
    return out


def images(seed: int, batch: int, size: int) -> torch.Tensor:
    """ImageNet-normalised-looking inputs (B, 3, size, size)."""
    rng = np.random.default_rng([seed, size, batch])
    return torch.from_numpy(rng.standard_normal((batch, 3, size, size)).astype(np.float32))


def boxes(seed: int, batch: int) -> torch.Tensor:
    """Normalised x, y, w, h boxes in a search crop, some near its borders."""
    rng = np.random.default_rng([seed, 99])
    wh = rng.uniform(0.08, 0.45, (batch, 2))
    xy = rng.uniform(-0.05, 1.0, (batch, 2)) - wh * rng.uniform(0.0, 1.0, (batch, 1))
    return torch.from_numpy(np.concatenate([xy, wh], 1).astype(np.float32))
