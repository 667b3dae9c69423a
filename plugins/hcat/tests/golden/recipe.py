"""Seeded weights and inputs for HCAT's golden fixtures, identical wherever they are rebuilt.

Every tensor is drawn from its own NumPy PCG64 stream seeded by ``(seed, crc32(name))``, so the values do not
depend on the order of the state dict or on torch's RNG. The same recipe built the state dict that the
original HCAT code ran on (see ``regenerate.py``) and builds it again in the tests.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import torch

NAMES_AND_SHAPES = Path(__file__).parents[1] / "data" / "hcat_res18_N2_q16_state_dict.json"


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _tensor(name: str, shape: list[int], seed: int) -> np.ndarray:
    rng = _rng(seed, name)
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "num_batches_tracked":
        return np.zeros(shape, np.int64)
    if leaf == "running_var":
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    if leaf == "running_mean":
        return rng.uniform(-0.1, 0.1, shape).astype(np.float32)
    if len(shape) == 1 and leaf == "weight":                           # BatchNorm / LayerNorm scale
        return rng.uniform(0.9, 1.1, shape).astype(np.float32)
    if len(shape) == 1:                                                # every bias
        return rng.uniform(-0.05, 0.05, shape).astype(np.float32)
    fan_in = int(np.prod(shape[1:]))
    bound = np.sqrt(3.0 / fan_in)                                      # unit-variance preserving
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def state_dict(seed: int = 0, peaked: float = 1.0) -> dict[str, torch.Tensor]:
    """The Res18_N2_q16 state dict under the official names. ``peaked`` scales the classifier's last layer so
    the score map has clear maxima (the tracker fixture needs argmaxes that float noise cannot flip)."""
    shapes = json.loads(NAMES_AND_SHAPES.read_text())
    out = {}
    for name, shape in shapes.items():
        value = _tensor(name, shape, seed)
        if name.startswith("class_embed.layers.2."):
            value = value * np.float32(peaked)
        out[name] = torch.from_numpy(value)
    return out


def tracker_state_dict(seed: int = 5) -> dict[str, torch.Tensor]:
    """Weights for the tracker fixture: a peaked classifier, and box-size logits near -1.1 (sigmoid ~0.25, a
    quarter of the search crop, the target's own size) so the random tracker keeps boxes of a plausible size
    instead of growing to the whole frame."""
    state = state_dict(seed, peaked=8.0)
    state["bbox_embed.layers.2.bias"][2:] -= 0.8
    return state


def inputs(seed: int = 0, batch: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised-image-like search (B, 3, 256, 256) and template (B, 3, 128, 128) tensors."""
    rng = _rng(seed, "inputs")
    search = rng.standard_normal((batch, 3, 256, 256)).astype(np.float32)
    template = rng.standard_normal((batch, 3, 128, 128)).astype(np.float32)
    return torch.from_numpy(search), torch.from_numpy(template)
