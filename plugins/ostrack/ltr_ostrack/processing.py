"""OSTrack's training crops: pytracking's ``sample_target`` as OSTrack has it, and the targets its loss needs.

A crop is a square of side ceil(sqrt(w * h) * factor) around the jittered box, its corner at round(centre - side
/ 2) (Python's rounding, halves to even), zero padding outside the frame (the last column and row inside the
frame are dropped and padded when the square reaches the frame's right or bottom edge, as the original's padding
arithmetic does), resized bilinearly to the output size. Boxes map into the crop with the crop's middle at
(out - 1) / 2, as the original's ``transform_image_to_crop`` does.
"""

from __future__ import annotations

import math
from typing import Union

import cv2
import numpy as np
import torch

from ltr_core.api import CropSize, NonNegativeFloat, PositiveFloat, PositiveInt
from ltr_core.data.processing import CropPairProcessing
from ltr_ostrack.objective import centre_heatmaps

# the original's augmentation: grayscale 0.05 for the whole sample; each crop flipped on its own (a joint flip
# before cropping, then one per crop: independent in effect); one brightness factor in U(0.8, 1.2) per crop
DEFAULT_TRANSFORMS = [{"name": "core/grayscale", "p": 0.05}, {"name": "core/hflip", "p": 0.5, "per_frame": True},
                      {"name": "core/brightness", "jitter": 0.2}]


def sample_target(image: np.ndarray, box, factor: float, out_size: int) -> tuple[np.ndarray, float]:
    """The crop of ``image`` around ``box`` (x, y, w, h) and its resize factor (out_size / side)."""
    x, y, w, h = (float(v) for v in box)
    side = math.ceil(math.sqrt(w * h) * factor)
    if side < 1:
        raise ValueError(f"box {list(box)} is too small to crop around")
    x1 = round(x + 0.5 * w - side * 0.5)
    y1 = round(y + 0.5 * h - side * 0.5)
    x2, y2 = x1 + side, y1 + side
    x1_pad, y1_pad = max(0, -x1), max(0, -y1)
    x2_pad, y2_pad = max(x2 - image.shape[1] + 1, 0), max(y2 - image.shape[0] + 1, 0)
    inside = image[y1 + y1_pad:y2 - y2_pad, x1 + x1_pad:x2 - x2_pad, :]
    padded = cv2.copyMakeBorder(inside, y1_pad, y2_pad, x1_pad, x2_pad, cv2.BORDER_CONSTANT)
    return cv2.resize(padded, (out_size, out_size)), out_size / side


def box_in_crop(box, around, resize_factor: float, out_size: int) -> np.ndarray:
    """``box`` in the pixels of the crop made around ``around`` (float32 arithmetic, as the original's)."""
    box = np.asarray(box, dtype=np.float32)
    around = np.asarray(around, dtype=np.float32)
    size = np.float32(out_size)
    centre = (size - 1) / 2 + ((box[:2] + np.float32(0.5) * box[2:]) - (around[:2] + np.float32(0.5) * around[2:])) \
        * np.float32(resize_factor)
    wh = box[2:] * np.float32(resize_factor)
    return np.concatenate([centre - np.float32(0.5) * wh, wh]).astype(np.float32)


class OSTrackProcessing(CropPairProcessing):
    """OSTrack's crops (template 2x / 128 px, search 4x / 256 px with jitter 3 and 0.25 scaled by sqrt(w*h)),
    grayscale, flip and brightness jitter, and its targets: normalised search box and centre heat map."""

    def __init__(self, search_area_factor: PositiveFloat = 4.0, search_size: CropSize = 256,
                 template_area_factor: PositiveFloat = 2.0, template_size: CropSize = 128,
                 search_center_jitter: NonNegativeFloat = 3.0, search_scale_jitter: NonNegativeFloat = 0.25,
                 template_center_jitter: NonNegativeFloat = 0.0, template_scale_jitter: NonNegativeFloat = 0.0,
                 transforms: Union[list, None] = None, patch_size: PositiveInt = 16, dct_downscale: bool = True,
                 fast_decode: bool = True):
        """``patch_size``: the network's stride, for the heat map's size. ``dct_downscale``: crops that shrink the
        frame are cut from a frame decoded at a reduced size (faster; the original decodes in full)."""
        super().__init__(search_area_factor, search_size, template_area_factor, template_size, search_center_jitter,
                         search_scale_jitter, template_center_jitter, template_scale_jitter,
                         DEFAULT_TRANSFORMS if transforms is None else transforms, dct_downscale,
                         center_jitter_base="sqrt_area", fast_decode=fast_decode)
        if search_size % patch_size:
            raise ValueError(f"search_size {search_size} is not a multiple of patch_size {patch_size}")
        self.search_size, self.feat_sz = search_size, search_size // patch_size

    def crop(self, frame, box, around, area_factor, out_size):
        side = math.ceil(math.sqrt(max(float(around[2] * around[3]), 1e-12)) * area_factor)
        min_scale = min(1.0, out_size / side) if self.dct_downscale else 1.0
        image, scale = frame.read(min_scale, self.fast_decode, transient=True)
        crop, factor = sample_target(image, np.asarray(around, dtype=np.float64) * scale, area_factor, out_size)
        return crop, box_in_crop(box, around, factor * scale, out_size)

    def targets(self, data: dict[str, torch.Tensor], rng) -> dict[str, torch.Tensor]:
        box = data["search_anno"][:1] / self.search_size                  # the first search frame's
        return {"search_box": box[0], "heatmap": centre_heatmaps(box, self.feat_sz)[0]}
