"""Regenerate the golden fixture of DiMP's and PrDiMP's training targets from pytracking's own code.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    python plugins/dimp/tests/golden/regenerate_processing.py /tmp/pytracking

pytracking's ``ltr/data/processing_utils.py`` computes, for boxes in a 288-pixel crop (one in the middle, one on a
half cell, one over the top-left border, a one-pixel box, a large one and one far outside the crop):
``gaussian_label_function`` as ``DiMPProcessing`` calls it (``dimp50.py``'s label parameters) and as
``KLDiMPProcessing``'s ``_generate_label_density`` does (``prdimp50.py``'s, normalised, and variants with a
threshold, a uniform weight and a shrink; the box outside the crop gives a map summing under 0.01, made uniform);
and ``sample_box_gmm`` (``prdimp50.py``'s proposal parameters, 32 of its 128 proposals) on replayed draws: its
``torch.randint`` and ``torch.randn`` are fed from :class:`Draws`, ltr-dimp's generator interface gets the same;
and ``target_image_crop`` (the crops of ``DiMPProcessing``, ``replicate``, ``inside`` and SuperDiMP's
``inside_major`` with ``max_scale_change`` 1.5) on a generated frame, for crops inside it, past each border, larger
than the frame and of a tiny box in a corner: each crop's SHA-256 and the box in the crop.

Writes ``pytracking_processing.json`` (values to 9 significant digits: pytracking computes them in float32).
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).parent / "pytracking_processing.json"
SEED = 20261208
BOXES = [[120.0, 110.0, 48.0, 68.0],        # centre (144, 144): the crop's middle
         [100.0, 100.0, 52.0, 52.0],        # centre on a half cell of the 16-pixel grid
         [-30.5, -12.25, 60.0, 40.0],       # over the top-left border
         [200.25, 60.5, 1.0, 1.0],          # one pixel
         [10.0, 20.0, 260.0, 250.0],        # nearly the whole crop
         [600.0, -400.0, 30.0, 30.0]]       # far outside: a density summing under 0.01
LABEL = dict(sigma_factor=0.25 / 5.0, kernel_sz=4, feat_sz=18, image_sz=288)
DENSITIES = {"prdimp50": dict(normalize=True), "plain": dict(),
             "threshold_uni_shrink": dict(threshold=0.05, uni_weight=0.1, shrink=0.05, normalize=True)}
# crops: (around (the jittered box), box, area factor, output size, crop_type, max_scale_change) on a 240 x 320 frame
CROPS = [([140.3, 100.7, 40.2, 30.9], [142.0, 102.0, 38.0, 29.0], 5.0, 288, "replicate", None),     # inside
         ([290.5, 200.25, 20.0, 30.0], [291.0, 201.0, 19.0, 28.0], 5.0, 288, "replicate", None),   # right-bottom
         ([-15.0, -10.5, 30.0, 24.0], [-14.0, -10.0, 29.0, 23.0], 5.0, 288, "replicate", None),     # top-left
         ([100.0, 60.0, 120.0, 110.0], [105.0, 62.0, 110.0, 100.0], 5.0, 288, "replicate", None),   # > frame
         ([100.0, 60.0, 120.0, 110.0], [105.0, 62.0, 110.0, 100.0], 5.0, 288, "inside", None),
         ([100.0, 60.0, 120.0, 110.0], [105.0, 62.0, 110.0, 100.0], 6.0, 352, "inside_major", 1.5),  # SuperDiMP
         ([250.0, 10.0, 50.0, 45.0], [252.0, 12.0, 48.0, 44.0], 6.0, 352, "inside_major", 1.5),
         ([10.0, 180.0, 8.0, 6.0], [10.5, 180.5, 7.5, 5.5], 5.0, 288, "inside", None)]              # tiny, corner


def frame(seed: int = SEED + 9) -> np.ndarray:
    """A 240 x 320 colour frame: a gradient with noise, so every shift and padding shows."""
    g = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:240, 0:320]
    base = np.stack([rows * 0.9, cols * 0.7, (rows + cols) * 0.4], -1)
    return np.clip(base + g.normal(0, 20, base.shape), 0, 255).astype(np.uint8)


GMM = dict(proposal_sigma=[(0.05, 0.05), (0.5, 0.5)], gt_sigma=(0.05, 0.05), num_samples=32)


class Draws:
    """Replayed draws: component indices and standard normals (float32 values, as ``torch.randn`` makes them),
    with NumPy ``Generator``'s names for ltr-dimp and torch's for pytracking."""

    def __init__(self, seed: int):
        g = np.random.default_rng(seed)
        self.ints = g.integers(0, 2, 4096)
        self.normals = g.standard_normal(16384).astype(np.float32).astype(np.float64)
        self.used_ints = self.used_normals = 0

    def integers(self, n, size):
        out = self.ints[self.used_ints:self.used_ints + size] % n
        self.used_ints += size
        return out

    def standard_normal(self, size):
        count = int(np.prod(size))
        out = self.normals[self.used_normals:self.used_normals + count].reshape(size)
        self.used_normals += count
        return out

    # pytracking's calls: torch.randint(n, (count,), dtype=...), torch.randn(count, dims)
    def randint(self, n, size, dtype=torch.int64):
        return torch.from_numpy(self.integers(n, size[0])).to(dtype)

    def randn(self, *size):
        return torch.from_numpy(self.standard_normal(size)).float()


def short(t: torch.Tensor):
    """Nested lists of the values to 9 significant digits (float32's precision and a little more), magnitudes
    under 1e-12 as 0 (the test compares to 1e-7)."""
    return np.vectorize(lambda v: 0.0 if abs(v) < 1e-12 else float(f"{v:.9g}"))(t.double().numpy()).tolist()


def label_density(prutils, boxes, normalize=False, threshold=0.0, uni_weight=0.0, shrink=0.0):
    """``KLDiMPProcessing._generate_label_density``'s steps, on pytracking's ``gaussian_label_function``."""
    g = prutils.gaussian_label_function(boxes, LABEL["sigma_factor"], LABEL["kernel_sz"], LABEL["feat_sz"],
                                        LABEL["image_sz"], end_pad_if_even=True, density=True, uni_bias=uni_weight)
    g *= (g > threshold).float()
    if normalize:
        total = g.sum(dim=(-2, -1))
        valid = total > 0.01
        g[valid, :, :] /= total[valid].view(-1, 1, 1)
        g[~valid, :, :] = 1.0 / (g.shape[-2] * g.shape[-1])
    return g * (1.0 - shrink)


def main(root: str) -> None:
    sys.path.insert(0, str(Path(root).resolve()))
    sys.path.insert(0, str(Path(__file__).parents[3] / "atom" / "tests" / "golden"))
    from regenerate_proposals import pytracking_processing          # ltr-atom's harness: the same stubs
    _, prutils = pytracking_processing(Path(root).resolve())
    boxes = torch.tensor(BOXES, dtype=torch.float32)
    golden = {"label": short(prutils.gaussian_label_function(boxes, **LABEL)), "density": {}, "gmm": []}
    for name, params in DENSITIES.items():
        golden["density"][name] = short(label_density(prutils, boxes, **params))
    for i, box in enumerate(BOXES[:5]):
        draws = Draws(SEED + i)
        prutils.torch = types.SimpleNamespace(**{k: getattr(torch, k) for k in dir(torch) if not k.startswith("__")})
        prutils.torch.randint, prutils.torch.randn = draws.randint, draws.randn
        proposals, density, gt = prutils.sample_box_gmm(torch.tensor(box), **GMM)
        prutils.torch = torch
        golden["gmm"].append({"proposals": short(proposals), "proposal_density": short(density),
                              "gt_density": short(gt), "used": [draws.used_ints, draws.used_normals]})
    import hashlib
    golden["crops"] = []
    for around, box, factor, size, mode, change in CROPS:
        crops, boxes_out = prutils.target_image_crop([frame()], [torch.tensor(around)], [torch.tensor(box)], factor,
                                                     size, mode=mode, max_scale_change=change)
        golden["crops"].append({"sha256": hashlib.sha256(np.ascontiguousarray(crops[0]).tobytes()).hexdigest(),
                                "shape": list(crops[0].shape), "mean": float(crops[0].mean()),
                                "box": [float(v) for v in boxes_out[0]]})
    sums = [float(s) for s in torch.tensor(golden["density"]["prdimp50"]).sum((-2, -1))]
    print(f"label maps {np.array(golden['label']).shape}; prdimp50 density sums {np.round(sums, 6).tolist()}")
    OUT.write_text(json.dumps(golden, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
