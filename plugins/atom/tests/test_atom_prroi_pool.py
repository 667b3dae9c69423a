"""Precise RoI pooling against a brute-force integral of the bilinear map, and gradcheck in float64."""

import numpy as np
import pytest
import torch

from ltr_atom.prroi_pool import prroi_pool2d, prroi_pool_boxes


def bilinear(fmap: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear interpolation with zeros outside the map (cells at integer coordinates)."""
    H, W = fmap.shape
    out = np.zeros_like(x)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    for dy in (0, 1):
        for dx in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            w = (1 - np.abs(x - xi)) * (1 - np.abs(y - yi))
            ok = (xi >= 0) & (xi < W) & (yi >= 0) & (yi < H)
            out[ok] += w[ok] * fmap[yi[ok], xi[ok]]
    return out


def brute_force(fmap, box, ph, pw, n=240):
    x1, y1, x2, y2 = box
    out = np.zeros((ph, pw))
    for p in range(ph):
        for q in range(pw):
            bx0, bx1 = x1 + (x2 - x1) * q / pw, x1 + (x2 - x1) * (q + 1) / pw
            by0, by1 = y1 + (y2 - y1) * p / ph, y1 + (y2 - y1) * (p + 1) / ph
            xs = bx0 + (np.arange(n) + 0.5) / n * (bx1 - bx0)      # midpoint rule
            ys = by0 + (np.arange(n) + 0.5) / n * (by1 - by0)
            gx, gy = np.meshgrid(xs, ys)
            out[p, q] = bilinear(fmap, gx, gy).mean()
    return out


@pytest.mark.parametrize("box", [
    (1.3, 0.7, 5.9, 4.2),        # inside
    (-2.5, -1.0, 3.2, 2.6),      # partly outside (top-left)
    (4.1, 3.3, 9.7, 8.8),        # partly outside (bottom-right)
    (2.2, 2.4, 2.6, 2.7),        # sub-pixel
])
def test_matches_a_brute_force_integral(box):
    rng = np.random.default_rng(0)
    fmap = rng.standard_normal((7, 8))
    feats = torch.from_numpy(np.stack([fmap, -2 * fmap]))[None]        # (1, 2, 7, 8), float64
    rois = torch.tensor([[0.0, *box]], dtype=torch.float64)
    got = prroi_pool2d(feats, rois, 3, 2, 1.0)[0].numpy()
    want = brute_force(fmap, box, 3, 2)
    np.testing.assert_allclose(got[0], want, atol=2e-4)
    np.testing.assert_allclose(got[1], -2 * want, atol=4e-4)


def test_spatial_scale_and_batch_index():
    feats = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    rois = torch.tensor([[1, 8.0, 8.0, 24.0, 32.0]], dtype=torch.float64)
    scaled = prroi_pool2d(feats, rois, 2, 2, 1 / 8)
    direct = prroi_pool2d(feats[1:], torch.tensor([[0, 1.0, 1.0, 3.0, 4.0]], dtype=torch.float64), 2, 2, 1.0)
    torch.testing.assert_close(scaled, direct)


def test_gradients_wrt_features_and_box_coordinates():
    torch.manual_seed(0)
    feats = torch.randn(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    boxes = torch.tensor([[0.6, 0.9, 4.3, 3.7], [-1.2, 1.1, 2.3, 5.4]], dtype=torch.float64, requires_grad=True)

    def f(feats, boxes):
        rois = torch.cat([torch.zeros(2, 1, dtype=torch.float64), boxes], 1)
        return prroi_pool2d(feats, rois, 2, 3, 1.0)

    assert torch.autograd.gradcheck(f, (feats, boxes), eps=1e-6, atol=1e-5)


def test_per_image_pooling_equals_pooling_by_batch_index_and_has_the_same_gradients():
    torch.manual_seed(1)
    feats = torch.randn(2, 3, 7, 9, dtype=torch.float64, requires_grad=True)
    xywh = torch.tensor([[[0.5, 1.0, 4.0, 3.0], [-1.0, 2.0, 3.5, 6.0], [6.0, 5.0, 4.0, 2.5]],
                         [[1.2, 0.3, 2.2, 2.9], [3.0, 3.0, 1.5, 2.0], [2.0, 1.0, 7.0, 5.0]]],
                        dtype=torch.float64, requires_grad=True)

    def by_index(feats, xywh):
        b = xywh.reshape(-1, 4)
        idx = torch.arange(2, dtype=torch.float64).repeat_interleave(3)[:, None]
        return prroi_pool2d(feats, torch.cat([idx, b[:, :2], b[:, :2] + b[:, 2:]], 1), 3, 2, 0.5)

    torch.testing.assert_close(prroi_pool_boxes(feats, xywh, 3, 2, 0.5), by_index(feats, xywh))
    flat = xywh.detach().clone()
    flat[1, 1, 2] = 0.0
    assert float(prroi_pool_boxes(feats, flat, 3, 2, 0.5)[4].detach().abs().max()) == 0.0   # zero width pools 0
    assert torch.autograd.gradcheck(lambda f, b: prroi_pool_boxes(f, b, 3, 2, 0.5), (feats, xywh), eps=1e-6,
                                    atol=1e-5)
