"""ATOM's processing: jittered crops of the template (reference) and search frames (pytracking's train and test
frames), plus Gaussian proposals around the search box with their IoU mapped to [-1, 1]. The 0.2 keys
``test_center_jitter``/``test_scale_jitter`` are read as ``search_*`` until ltr-core 0.4."""

from __future__ import annotations

from typing import Union

import numpy as np
import torch

from ltr_core.api import CropSize, NonNegativeFloat, PositiveFloat, PositiveInt, Probability, renamed_keys
from ltr_core.data.processing import CropPairProcessing

SIGMA_FACTORS = (0.01, 0.05, 0.1, 0.2, 0.3)


def iou_xywh(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    tl = np.maximum(a[..., :2], b[..., :2])
    br = np.minimum(a[..., :2] + a[..., 2:], b[..., :2] + b[..., 2:])
    inter = np.clip(br - tl, 0, None).prod(-1)
    union = a[..., 2:].prod(-1) + b[..., 2:].prod(-1) - inter
    return inter / np.maximum(union, 1e-9)


def perturb_box(box: np.ndarray, rng, min_iou: float, sigma_factors=SIGMA_FACTORS,
                max_tries: int = 100) -> np.ndarray:
    """A proposal around ``box`` (x, y, w, h), as pytracking's ``perturb_box`` draws it: one sigma factor ``s`` per
    proposal, sigma = sqrt(w*h) * s; centre and size drawn from normals, a drawn size <= 1 replaced by
    ``U(0.15, 0.5)`` of the box's; the box rounded to whole pixels (half to even), a rounded size <= 1 replaced
    the same way; accepted when its IoU with ``box`` exceeds ``min_iou``, otherwise sigma shrinks by 0.9 and it is
    drawn again. After ``max_tries`` the last draw is kept, whatever its IoU.

    ``rng`` needs ``integers(n)``, ``normal(loc, scale)`` and ``uniform(low, high)`` (a NumPy ``Generator``); the
    draws come in pytracking's order, which the golden test replays through both."""
    x, y, w, h = (float(v) for v in box)
    sigma = np.sqrt(w * h) * sigma_factors[int(rng.integers(len(sigma_factors)))]
    target = np.array([x, y, w, h])
    for _ in range(max_tries):
        cx, cy = rng.normal(x + 0.5 * w, sigma), rng.normal(y + 0.5 * h, sigma)
        pw, ph = rng.normal(w, sigma), rng.normal(h, sigma)
        if pw <= 1:
            pw = w * rng.uniform(0.15, 0.5)
        if ph <= 1:
            ph = h * rng.uniform(0.15, 0.5)
        cand = np.round(np.array([cx - 0.5 * pw, cy - 0.5 * ph, pw, ph], dtype=np.float64))
        if cand[2] <= 1:
            cand[2] = w * rng.uniform(0.15, 0.5)
        if cand[3] <= 1:
            cand[3] = h * rng.uniform(0.15, 0.5)
        if iou_xywh(cand, target) > min_iou:
            break
        sigma *= 0.9
    return cand


@renamed_keys(test_center_jitter="search_center_jitter", test_scale_jitter="search_scale_jitter")
class ATOMProcessing(CropPairProcessing):
    """Crops at 5x the target's size (288 px); 16 proposals per search frame (:func:`perturb_box`, in crop pixels)
    with IoU targets 2*IoU - 1."""

    def __init__(self, area_factor: PositiveFloat = 5.0, output_size: CropSize = 288,
                 search_center_jitter: NonNegativeFloat = 4.5, search_scale_jitter: NonNegativeFloat = 0.5,
                 proposals_per_frame: PositiveInt = 16, min_iou: Probability = 0.1,
                 sigma_factors: list = list(SIGMA_FACTORS), transforms: Union[list, None] = None):
        super().__init__(area_factor, output_size, area_factor, output_size, search_center_jitter, search_scale_jitter,
                         0.0, 0.0, transforms if transforms is not None else [{"name": "core/grayscale", "p": 0.05}],
                         center_jitter_base="sqrt_area")
        self.proposals_per_frame = proposals_per_frame
        self.min_iou = min_iou
        self.sigma_factors = tuple(sigma_factors)

    def targets(self, data: dict[str, torch.Tensor], rng: np.random.Generator) -> dict[str, torch.Tensor]:
        boxes = data["search_anno"].numpy().astype(np.float64)            # (n_test, 4) in crop pixels
        proposals = np.stack([[perturb_box(b, rng, self.min_iou, self.sigma_factors)
                               for _ in range(self.proposals_per_frame)] for b in boxes])
        iou = iou_xywh(proposals, boxes[:, None, :])
        return {"proposals": torch.from_numpy(proposals).float(),
                "proposal_iou": torch.from_numpy(2 * iou - 1).float()}
