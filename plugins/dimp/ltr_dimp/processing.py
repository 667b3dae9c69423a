"""DiMP's and PrDiMP's processing: jittered crops of the template (pytracking: train) and search (test) frames
from the core, plus the targets the actors read (keys in :mod:`ltr_dimp.actor`):

* DiMP: ``search_label``, a Gaussian on the classifier's grid at each search box's centre, and ``proposals`` with
  ``proposal_iou`` drawn as ATOM's (``ltr_atom.processing.perturb_box``);
* PrDiMP (``proposal_method: gmm``): ``proposals`` drawn from a Gaussian mixture in the box's relative
  parametrisation with their ``proposal_density`` and the ground truth's ``gt_density`` at them, and
  ``search_label_density``, the label as a density (thresholded, optionally normalised, shrunk).

pytracking's ``DiMPProcessing``/``KLDiMPProcessing`` arithmetic (its ``gaussian_label_function``,
``sample_box_gmm``); the golden test replays the same draws through both.
"""

from __future__ import annotations

import math
from typing import Literal, Union

import cv2
import numpy as np
import torch

from ltr_atom.processing import SIGMA_FACTORS, iou_xywh, perturb_box
from ltr_core.api import CropSize, NonNegativeFloat, PositiveFloat, PositiveInt, Probability
from ltr_core.data.processing import CropPairProcessing


CROP_MODES = ("replicate", "inside", "inside_major")


def adaptive_crop(image: np.ndarray, around, box, area_factor: float, out_size: int, mode: str = "replicate",
                  max_scale_change: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """pytracking's ``sample_target_adaptive`` and ``transform_box_to_crop``: the square of side
    ``ceil(sqrt(w * h) * area_factor)`` around ``around`` (the jittered box), shifted to lie inside the frame where
    it fits; ``inside`` / ``inside_major`` shrink it to fit the frame in both axes / in the smaller one (by at
    most ``max_scale_change``); what still sticks out is padded by replicating the border (one pixel more on the
    right and bottom than needed, as pytracking's code does), then resized to ``out_size`` (bilinear). Returns the
    crop and ``box`` in crop pixels. The side is computed in float32, as pytracking computes it from its tensors."""
    h_img, w_img = image.shape[:2]
    t = torch.tensor([float(v) for v in around], dtype=torch.float32)
    out = torch.tensor([float(out_size), float(out_size)], dtype=torch.float32)
    sx, sy = (out * (t[2:].prod() / out.prod()).sqrt() * area_factor).ceil().long().tolist()
    if mode in ("inside", "inside_major"):
        factors = [sx / w_img, sy / h_img]
        factor = max(factors) if mode == "inside" else min(factors)
        factor = min(max(1.0, factor), math.inf if max_scale_change is None else max_scale_change)
        sx, sy = math.floor(sx / factor), math.floor(sy / factor)
    if sx < 1 or sy < 1:
        raise ValueError(f"box {list(around)} gives an empty crop")
    bx, by, bw, bh = t.tolist()
    x1 = round(bx + 0.5 * bw - sx * 0.5)
    y1 = round(by + 0.5 * bh - sy * 0.5)
    x2, y2 = x1 + sx, y1 + sy
    dx, dy = max(0, -x1) + min(0, w_img - x2), max(0, -y1) + min(0, h_img - y2)     # move inside where it fits
    x1, x2, y1, y2 = x1 + dx, x2 + dx, y1 + dy, y2 + dy
    out_x = (max(0, -x1) + max(0, x2 - w_img)) // 2                                  # larger than the frame: centre
    out_y = (max(0, -y1) + max(0, y2 - h_img)) // 2
    dx, dy = (-x1 - out_x) * (out_x > 0), (-y1 - out_y) * (out_y > 0)
    x1, x2, y1, y2 = x1 + dx, x2 + dx, y1 + dy, y2 + dy
    pad_l, pad_r = max(0, -x1), max(x2 - w_img + 1, 0)
    pad_t, pad_b = max(0, -y1), max(y2 - h_img + 1, 0)
    crop = image[y1 + pad_t:y2 - pad_b, x1 + pad_l:x2 - pad_r]
    crop = cv2.copyMakeBorder(crop, pad_t, pad_b, pad_l, pad_r, cv2.BORDER_REPLICATE)
    crop = cv2.resize(crop, (int(out_size), int(out_size)))
    window = torch.tensor([x1, y1, x2 - x1, y2 - y1], dtype=torch.float32)
    b = torch.tensor([float(v) for v in box], dtype=torch.float32)
    scale = out / window[2:]
    mapped = torch.cat([(b[:2] - window[:2]) * scale, b[2:] * scale])
    return crop, mapped.numpy()


def gaussian_label(boxes: np.ndarray, sigma_factor: float, kernel_size: int, feature_size: int, image_size: float,
                   end_pad_if_even: bool = True, density: bool = False, uni_bias: float = 0.0) -> np.ndarray:
    """(N, L, L) labels on the classifier's grid for (N, 4) boxes ``x, y, w, h`` in crop pixels; ``L`` is the
    feature size, one more for an even kernel with ``end_pad_if_even``. Cell ``j`` sits at ``j - (feature_size -
    1) / 2`` cells from the crop's middle; sigma = ``sigma_factor * feature_size`` cells. ``density`` divides each
    axis by ``sqrt(2 pi) sigma`` and mixes in a uniform ``uni_bias``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    centre = boxes[:, :2] + 0.5 * boxes[:, 2:]
    cells = feature_size * (centre - image_size / 2) / image_size + 0.5 * ((kernel_size + 1) % 2)
    sigma = sigma_factor * feature_size
    pad = int(kernel_size % 2 == 0) if end_pad_if_even else 0
    k = np.arange(-(feature_size - 1) / 2, (feature_size + 1) / 2 + pad)
    gx = np.exp(-0.5 / sigma ** 2 * (k[None, :] - cells[:, 0, None]) ** 2)
    gy = np.exp(-0.5 / sigma ** 2 * (k[None, :] - cells[:, 1, None]) ** 2)
    if density:
        gx, gy = gx / (math.sqrt(2 * math.pi) * sigma), gy / (math.sqrt(2 * math.pi) * sigma)
    label = gy[:, :, None] * gx[:, None, :]
    if density:
        return (1.0 - uni_bias) * label + uni_bias / (len(k) * len(k))
    return label + uni_bias


def label_density(boxes, sigma_factor, kernel_size, feature_size, image_size, end_pad_if_even=True,
                  uni_weight=0.0, threshold=0.0, normalize=False, shrink=0.0) -> np.ndarray:
    """PrDiMP's label density: :func:`gaussian_label` as a density, cut below ``threshold``; ``normalize`` makes
    each sum 1 (a map summing under 0.01, its target off the grid, becomes uniform); scaled by ``1 - shrink``."""
    g = gaussian_label(boxes, sigma_factor, kernel_size, feature_size, image_size, end_pad_if_even, True, uni_weight)
    g = g * (g > threshold)
    if normalize:
        total = g.sum((-2, -1))
        valid = total > 0.01
        g[valid] /= total[valid][:, None, None]
        g[~valid] = 1.0 / (g.shape[-2] * g.shape[-1])
    return g * (1.0 - shrink)


def sample_box_gmm(box, proposal_sigma, gt_sigma, count: int, rng):
    """``count`` proposals around ``box`` (x, y, w, h) from a Gaussian mixture in the parametrisation
    ``[cx / w, cy / h, log w, log h]`` (``proposal_sigma``: [centre std, size std] per component, equally
    weighted), their mixture density and the ground truth's density ``N(0, gt_sigma)`` at them. ``rng`` needs
    ``integers(n, size=)`` and ``standard_normal(size)``; the draws are pytracking's: components, then normals."""
    std = np.array([[c, c, s, s] for c, s in proposal_sigma], dtype=np.float64).T          # (4, components)
    components = std.shape[1]
    k = np.asarray(rng.integers(components, size=count))
    x = std[:, k].T * np.asarray(rng.standard_normal((count, 4)))
    gauss = np.exp(-0.5 * (x[:, :, None] / std[None]) ** 2) / (math.sqrt(2 * math.pi) * std[None])
    proposal_density = gauss.prod(1).mean(-1)
    if gt_sigma is None or (gt_sigma[0] == 0 and gt_sigma[1] == 0):
        gt_density = np.zeros_like(proposal_density)
    else:
        gstd = np.array([gt_sigma[0], gt_sigma[0], gt_sigma[1], gt_sigma[1]], dtype=np.float64)
        gt_density = (np.exp(-0.5 * (x / gstd) ** 2) / (math.sqrt(2 * math.pi) * gstd)).prod(-1)
    b = np.asarray(box, dtype=np.float64)
    size = b[2:]
    mean_rel = np.concatenate([(b[:2] + 0.5 * size) / size, np.log(size)])
    rel = x + mean_rel
    wh = np.exp(rel[:, 2:])
    proposals = np.concatenate([rel[:, :2] * size - 0.5 * wh, wh], 1)
    return proposals, proposal_density, gt_density


class DiMPProcessing(CropPairProcessing):
    """Crops of 5x the target (288 px), DiMP's or PrDiMP's targets. Defaults: pytracking's ``dimp50.py``
    (``proposal_method: gmm`` with ``label_density: true`` for ``prdimp50.py``'s)."""

    def __init__(self, area_factor: PositiveFloat = 5.0, output_size: CropSize = 288,
                 search_center_jitter: NonNegativeFloat = 4.5, search_scale_jitter: NonNegativeFloat = 0.5,
                 template_center_jitter: NonNegativeFloat = 3.0, template_scale_jitter: NonNegativeFloat = 0.25,
                 feature_size: PositiveInt = 18, kernel_size: PositiveInt = 4, label_sigma_factor: PositiveFloat = 0.05,
                 end_pad_if_even: bool = True, proposal_method: Literal["perturb", "gmm"] = "perturb",
                 proposals_per_frame: PositiveInt = 8, min_iou: Probability = 0.1,
                 sigma_factors: list = list(SIGMA_FACTORS), proposal_sigma: list = [[0.05, 0.05], [0.5, 0.5]],
                 gt_sigma: list = [0.05, 0.05], label: bool = True, label_density: bool = False,
                 density_normalize: bool = True, density_threshold: NonNegativeFloat = 0.0,
                 density_uni_weight: Probability = 0.0, density_shrink: Probability = 0.0,
                 crop_mode: Literal["replicate", "inside", "inside_major"] = "replicate",
                 max_scale_change: Union[PositiveFloat, None] = None, transforms: Union[list, None] = None):
        """``feature_size``/``kernel_size``: the classifier's grid and filter; ``label_sigma_factor``: the label's
        sigma relative to the grid (output_sigma_factor / search_area_factor). ``proposal_method``: ``perturb``
        (DiMP: ``min_iou``, ``sigma_factors``; targets ``proposal_iou``) or ``gmm`` (PrDiMP: ``proposal_sigma``
        [[centre, size], ...], ``gt_sigma``; targets ``proposal_density``, ``gt_density``). ``label``: the hinge
        label ``search_label``; ``label_density``: ``search_label_density`` (``density_*``: pytracking's
        ``normalize``, ``threshold``, ``uni_weight``, ``shrink``). ``crop_mode``/``max_scale_change``: pytracking's
        ``crop_type`` (:func:`adaptive_crop`; SuperDiMP: ``inside_major``, 1.5); frames are decoded in full with
        the accurate inverse DCT, as pytracking reads them."""
        super().__init__(area_factor, output_size, area_factor, output_size, search_center_jitter, search_scale_jitter,
                         template_center_jitter, template_scale_jitter,
                         transforms if transforms is not None else [{"name": "core/grayscale", "p": 0.05}],
                         center_jitter_base="sqrt_area", dct_downscale=False, fast_decode=False)
        if crop_mode not in CROP_MODES:
            raise ValueError(f"crop_mode {crop_mode!r}: use {', '.join(CROP_MODES)}")
        self.crop_mode, self.max_scale_change = crop_mode, max_scale_change
        if proposal_method not in ("perturb", "gmm"):
            raise ValueError(f"proposal_method {proposal_method!r}: use perturb (DiMP) or gmm (PrDiMP)")
        if not all(isinstance(p, (list, tuple)) and len(p) == 2 and p[0] > 0 and p[1] > 0 for p in proposal_sigma):
            raise ValueError(f"proposal_sigma {proposal_sigma!r}: expected [[centre std, size std], ...], all > 0")
        self.output_size = output_size
        self.grid = (feature_size, kernel_size, label_sigma_factor, end_pad_if_even)
        self.proposal_method, self.proposals_per_frame = proposal_method, proposals_per_frame
        self.min_iou, self.sigma_factors = min_iou, tuple(sigma_factors)
        self.proposal_sigma, self.gt_sigma = [tuple(p) for p in proposal_sigma], tuple(gt_sigma)
        self.label, self.label_density = label, label_density
        self.density = dict(normalize=density_normalize, threshold=density_threshold, uni_weight=density_uni_weight,
                            shrink=density_shrink)

    def crop(self, frame, box, around, area_factor, out_size):
        image, _ = frame.read(1.0, False, transient=True)
        return adaptive_crop(image, around, box, area_factor, out_size, self.crop_mode, self.max_scale_change)

    def targets(self, data: dict[str, torch.Tensor], rng) -> dict[str, torch.Tensor]:
        boxes = data["search_anno"].numpy().astype(np.float64)            # (Ns, 4) in crop pixels
        feature_size, kernel_size, sigma_factor, end_pad = self.grid
        out = {}
        if self.proposal_method == "perturb":
            proposals = np.stack([[perturb_box(b, rng, self.min_iou, self.sigma_factors)
                                   for _ in range(self.proposals_per_frame)] for b in boxes])
            out["proposals"] = torch.from_numpy(proposals).float()
            out["proposal_iou"] = torch.from_numpy(2 * iou_xywh(proposals, boxes[:, None, :]) - 1).float()
        else:
            drawn = [sample_box_gmm(b, self.proposal_sigma, self.gt_sigma, self.proposals_per_frame, rng)
                     for b in boxes]
            for i, key in enumerate(("proposals", "proposal_density", "gt_density")):
                out[key] = torch.from_numpy(np.stack([d[i] for d in drawn])).float()
        if self.label:
            out["search_label"] = torch.from_numpy(
                gaussian_label(boxes, sigma_factor, kernel_size, feature_size, self.output_size, end_pad)).float()
        if self.label_density:
            out["search_label_density"] = torch.from_numpy(label_density(
                boxes, sigma_factor, kernel_size, feature_size, self.output_size, end_pad, **self.density)).float()
        return out
