"""Processing: turn the sampler's frames and boxes into network inputs.

:class:`Processing` is the interface. :class:`CropPairProcessing` is the shared template/search pair
processing most trackers use: jitter each box, crop a square of ``area_factor`` times the box's size around the
jittered centre (zero padding outside the image; corner and side on whole decoded pixels, as pytracking does),
resize, augment, normalise, and map the ground-truth boxes into the crops. When a crop shrinks the frame, it is
decoded at a reduced size in the DCT domain (the smallest M/8 scale that keeps the crop's output resolution).
Trackers add their targets by subclassing and overriding :meth:`CropPairProcessing.targets`.
"""

from __future__ import annotations

from typing import Literal, Union

import cv2
import numpy as np
import torch

from ltr_core.data.batch import BATCH_CONTRACT, IMAGENET_MEAN, IMAGENET_STD, Processing  # noqa: F401  (0.2 path)
from ltr_core.data.dataset import FrameRef
from ltr_core.data.geometry import (box_center, box_in_crop, box_in_window, context_side, crop_side, crop_square,
                                    jitter_box, snap_crop, window_corner)
from ltr_core.registry import get_registry
from ltr_core.valuetypes import CropSize, NonNegativeFloat, PositiveFloat

class CropPairProcessing(Processing):
    """Jittered square crops of template and search frames, augmented and normalised (ImageNet)."""

    def __init__(self, search_area_factor: PositiveFloat = 4.0, search_size: CropSize = 256,
                 template_area_factor: PositiveFloat = 2.0, template_size: CropSize = 128,
                 search_center_jitter: NonNegativeFloat = 3.0, search_scale_jitter: NonNegativeFloat = 0.25,
                 template_center_jitter: NonNegativeFloat = 0.0, template_scale_jitter: NonNegativeFloat = 0.0,
                 transforms: Union[list, None] = None, dct_downscale: bool = True, normalize: bool = True,
                 center_jitter_base: Literal["mean_side", "sqrt_area"] = "mean_side", fast_decode: bool = True,
                 crop_style: Literal["area", "context"] = "area"):
        """``transforms``: list of ``{name: <transform>, ...}`` applied to the crops (see ``ltr list transform``).
        ``center_jitter_base``: the centre offset scales with (w + h) / 2 (``mean_side``) or sqrt(w * h).
        ``crop_style``: ``area`` is pytracking's crop (side ceil(sqrt(w * h) * f), zero padding, boxes mapped with
        the crop's middle at out / 2); ``context`` is the Siamese trackers' (the pysot family trains
        with it): side ceil(sqrt((w + p)(h + p))) with p = (f - 1)(w + h) / 2, a window of whole pixels from
        floor(c - (side + 1) / 2 + 0.5), padding with the frame's per-channel mean (truncated to an integer),
        the padded slice resized, and boxes mapped with the crop's middle at (out - 1) / 2.
        ``fast_decode``: libjpeg-turbo's fast IDCT and upsampling (about 1 grey level of difference, ~8% faster)."""
        self.search = (search_area_factor, search_size, search_center_jitter, search_scale_jitter)
        self.template = (template_area_factor, template_size, template_center_jitter, template_scale_jitter)
        self.transforms = build_transforms(transforms or [])
        self.dct_downscale = dct_downscale
        self.normalize = normalize
        self.center_jitter_base = center_jitter_base
        self.fast_decode = fast_decode
        if crop_style not in ("area", "context"):
            raise ValueError(f"crop_style {crop_style!r}: use area or context")
        self.crop_style = crop_style
        values = np.arange(256, dtype=np.float32)[:, None]
        mean = np.array(IMAGENET_MEAN, dtype=np.float32) * 255
        std = np.array(IMAGENET_STD, dtype=np.float32) * 255
        lut = (values - mean) / std if normalize else np.repeat(values, 3, 1)
        self._lut = np.ascontiguousarray(lut.reshape(256, 1, 3))

    def __call__(self, sample: dict, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        t_imgs, t_boxes = self._crop_all(sample["template_frames"], sample["template_boxes"], self.template, rng)
        s_imgs, s_boxes = self._crop_all(sample["search_frames"], sample["search_boxes"], self.search, rng)
        images, boxes = t_imgs + s_imgs, t_boxes + s_boxes
        for transform in self.transforms:
            if getattr(transform, "geometric", False):
                images, boxes = transform(images, rng, boxes)
            else:
                images = transform(images, rng)
        n = len(t_imgs)
        t_boxes, s_boxes = boxes[:n], boxes[n:]
        out = {
            "template_images": self._to_tensor(images[:n]),
            "template_anno": torch.from_numpy(np.stack(t_boxes)),
            "search_images": self._to_tensor(images[n:]),
            "search_anno": torch.from_numpy(np.stack(s_boxes)),
        }
        out.update(self.targets(out, rng))
        return out

    def targets(self, data: dict[str, torch.Tensor], rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """Extra training targets derived from the crops and boxes (random ones from ``rng``); trackers
        override this."""
        return {}

    def _crop_all(self, frames: list[FrameRef], boxes: np.ndarray, params, rng):
        area_factor, out_size, center_jitter, scale_jitter = params
        crops, crop_boxes = [], []
        for frame, box in zip(frames, boxes):
            jittered = (jitter_box(box, center_jitter, scale_jitter, rng, self.center_jitter_base)
                        if (center_jitter or scale_jitter) else box)
            crop, crop_box = self.crop(frame, box, jittered, area_factor, out_size)
            crops.append(crop)
            crop_boxes.append(crop_box)
        return crops, crop_boxes

    def crop(self, frame: FrameRef, box: np.ndarray, around: np.ndarray, area_factor: float,
             out_size: int) -> tuple[np.ndarray, np.ndarray]:
        """Crop ``frame`` around the (jittered) box ``around`` and map ``box`` into the crop."""
        context = self.crop_style == "context"
        side = context_side(around, area_factor) if context else crop_side(around, area_factor)
        min_scale = min(1.0, out_size / side) if self.dct_downscale else 1.0
        image, scale = frame.read(min_scale, self.fast_decode, transient=True)  # cropped before the next read
        if not context:
            center, side = snap_crop(box_center(around), side, scale)
            return crop_square(image, center, side, out_size, image_scale=scale), box_in_crop(box, center, side,
                                                                                                out_size)
        x0, y0 = window_corner(box_center(around), side)
        # on a reduced decode the window moves by at most half a decoded pixel (see snap_crop)
        center, snapped = snap_crop((x0 + side / 2, y0 + side / 2), side, scale)
        h, w = image.shape[:2]
        x_dec, y_dec, n_dec = (center[0] - snapped / 2) * scale, (center[1] - snapped / 2) * scale, snapped * scale
        inside = x_dec >= 0 and y_dec >= 0 and x_dec + n_dec <= w and y_dec + n_dec <= h
        # the frame's mean costs a pass over the frame: only when the window needs padding
        pad = 0 if inside else tuple(float(np.floor(v)) for v in cv2.mean(image)[:3])
        crop = crop_square(image, center, snapped, out_size, image_scale=scale, pad_value=pad, pad_then_resize=True)
        return crop, box_in_window(box, box_center(around), side, out_size)

    def _to_tensor(self, images: list[np.ndarray]) -> torch.Tensor:
        """(n, 3, H, W) float32 in channels-last memory. Normalisation is a per-channel lookup table from uint8,
        written straight into the output, one pass per image."""
        batch = np.empty((len(images),) + images[0].shape, dtype=np.float32)
        for im, out in zip(images, batch):
            cv2.LUT(im, self._lut, dst=out)
        return torch.from_numpy(batch).permute(0, 3, 1, 2)


def build_transforms(specs: list) -> list:
    reg = get_registry()
    out = []
    for spec in specs:
        spec = dict(spec)
        out.append(reg.build("transform", spec.pop("name"), **spec))
    return out
