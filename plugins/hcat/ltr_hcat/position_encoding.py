"""Normalised sine position encoding of a feature map (the DETR family's, as HCAT uses it)."""

from __future__ import annotations

import math

import torch
from torch import nn


class PositionEmbeddingSine(nn.Module):
    """``num_pos_feats`` features per axis: sin on even, cos on odd frequencies, interleaved; [y, x] channels.

    Positions are cumulative indices divided by the last index (+1e-6) times 2*pi, frequencies
    ``temperature ** (2 * floor(i / 2) / num_pos_feats)``. Depends only on the map size, so it is cached.
    """

    def __init__(self, num_pos_feats: int = 128, temperature: float = 10000.0):
        super().__init__()
        self.num_pos_feats = num_pos_feats
        self.temperature = temperature
        self._cache: dict = {}

    def forward(self, h: int, w: int, device, dtype=torch.float32) -> torch.Tensor:
        key = (h, w, device, dtype)
        if key not in self._cache:
            self._cache[key] = self._encode(h, w, device).to(dtype)
        return self._cache[key]

    def _encode(self, h: int, w: int, device) -> torch.Tensor:
        eps, scale = 1e-6, 2 * math.pi
        y = torch.arange(1, h + 1, dtype=torch.float32, device=device)[:, None].expand(h, w)
        x = torch.arange(1, w + 1, dtype=torch.float32, device=device)[None, :].expand(h, w)
        y = y / (y[-1:, :] + eps) * scale
        x = x / (x[:, -1:] + eps) * scale
        i = torch.arange(self.num_pos_feats, dtype=torch.float32, device=device)
        dim_t = self.temperature ** (2 * torch.div(i, 2, rounding_mode="floor") / self.num_pos_feats)
        px = x[..., None] / dim_t
        py = y[..., None] / dim_t
        px = torch.stack((px[..., 0::2].sin(), px[..., 1::2].cos()), dim=3).flatten(2)
        py = torch.stack((py[..., 0::2].sin(), py[..., 1::2].cos()), dim=3).flatten(2)
        return torch.cat((py, px), dim=2).permute(2, 0, 1).contiguous()  # (2*num_pos_feats, h, w)
