"""HCAT's processing: the core's jittered pair crops plus the normalised search box target."""

from __future__ import annotations

from typing import Literal, Union

import numpy as np
import torch

from ltr_core.api import CropSize, NonNegativeFloat, PositiveFloat
from ltr_core.data.processing import CropPairProcessing

DEFAULT_TRANSFORMS = [{"name": "core/grayscale", "p": 0.05}, {"name": "core/brightness", "jitter": 0.2}]


class HCATProcessing(CropPairProcessing):
    """Template 2x / 128 px without jitter, search 4x / 256 px with jitter, context crops padded with the frame's
    mean as the original trains (the tracker crops the same way); target box as normalised cx,cy,w,h."""

    def __init__(self, search_area_factor: PositiveFloat = 4.0, search_size: CropSize = 256,
                 template_area_factor: PositiveFloat = 2.0, template_size: CropSize = 128,
                 search_center_jitter: NonNegativeFloat = 3.0, search_scale_jitter: NonNegativeFloat = 0.25,
                 template_center_jitter: NonNegativeFloat = 0.0, template_scale_jitter: NonNegativeFloat = 0.0,
                 transforms: Union[list, None] = None, dct_downscale: bool = True, fast_decode: bool = True,
                 crop_style: Literal["area", "context"] = "context"):
        super().__init__(search_area_factor, search_size, template_area_factor, template_size,
                         search_center_jitter, search_scale_jitter, template_center_jitter, template_scale_jitter,
                         DEFAULT_TRANSFORMS if transforms is None else transforms, dct_downscale,
                         fast_decode=fast_decode, crop_style=crop_style)
        self.search_size = search_size

    def targets(self, data: dict[str, torch.Tensor], rng) -> dict[str, torch.Tensor]:
        box = data["search_anno"].numpy() / np.float32(self.search_size)   # (n, 4) x, y, w, h
        cxcywh = np.concatenate([box[:, :2] + box[:, 2:] / 2, box[:, 2:]], axis=1)
        return {"search_box": torch.from_numpy(cxcywh)}                 # numpy: a few us, not torch's dispatch
