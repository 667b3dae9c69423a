"""OSTrack's tracker: the template cropped once from the first frame; per frame a search crop around the last
box, the centre score map times a Hann window, the box at its maximum mapped back to the frame and clipped to it
with a margin."""

from __future__ import annotations

import math

import numpy as np
import torch

from ltr_core.api import CropSize, NonNegativeFloat, PositiveFloat, PositiveInt, Tracker
from ltr_ostrack.network import decode_boxes
from ltr_ostrack.processing import sample_target


def hann1d(n: int) -> torch.Tensor:
    return 0.5 * (1 - torch.cos((2 * math.pi / (n + 1)) * torch.arange(1, n + 1).float()))


def clip_box(box, height: int, width: int, margin: float) -> list[float]:
    """The original's clip: the box's corners kept inside the frame, at least ``margin`` pixels of it left."""
    x1, y1, w, h = box
    x2, y2 = x1 + w, y1 + h
    x1, x2 = min(max(0, x1), width - margin), min(max(margin, x2), width)
    y1, y2 = min(max(0, y1), height - margin), min(max(margin, y2), height)
    return [x1, y1, max(margin, x2 - x1), max(margin, y2 - y1)]


class OSTrackTracker(Tracker):
    """OSTrack: one-stream ViT on template and search crops, Hann-windowed centre score, box clipped to the frame."""

    def __init__(self, net, template_factor: PositiveFloat = 2.0, template_size: CropSize = 128,
                 search_factor: PositiveFloat = 4.0, search_size: CropSize = 256, patch_size: PositiveInt = 16,
                 window: bool = True, clip_margin: NonNegativeFloat = 10.0, device: str = "cpu"):
        """``patch_size``: the network's stride (its score map is search_size / patch_size cells a side)."""
        super().__init__(net, device)
        self.template_factor, self.template_size = template_factor, template_size
        self.search_factor, self.search_size = search_factor, search_size
        self.clip_margin = clip_margin
        feat = search_size // patch_size
        head = getattr(net, "box_head", None) if isinstance(net, torch.nn.Module) else None
        if head is not None and head.feat_sz != feat:
            raise ValueError(f"the network's score map is {head.feat_sz} cells a side, but search_size {search_size} / "
                             f"patch_size {patch_size} is {feat}: give the tracker the network's sizes")
        self.window = (hann1d(feat).reshape(1, 1, -1, 1) * hann1d(feat).reshape(1, 1, 1, -1)).to(self.device) \
            if window else None
        self.feat_sz = feat

    def _normalise(self, crops: torch.Tensor) -> torch.Tensor:
        """uint8 (N, 3, S, S) crops -> the network's input."""
        return ((crops.float() / 255.0) - self.mean) / self.std

    @staticmethod
    def _uint8(crop: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1).unsqueeze(0)

    @torch.no_grad()
    def initialize(self, image: np.ndarray, box) -> None:
        crop, _ = sample_target(image, box, self.template_factor, self.template_size)
        self.template = self._normalise(self._uint8(crop).to(self.device))
        self.state = [float(v) for v in box]

    def track(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        return self.track_in_steps(image)

    # -- the frame in three steps (ltr eval --batch runs the network step for many sequences at once) ----------
    batchable = True

    def prepare(self, image: np.ndarray) -> dict[str, torch.Tensor]:
        crop, self.factor = sample_target(image, self.state, self.search_factor, self.search_size)
        return {"template": self.template, "search": self._uint8(crop)}

    @torch.no_grad()
    def network(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        score, size, offset = self.net.track_forward(inputs["template"], self._normalise(inputs["search"]))
        response = score * self.window if self.window is not None else score
        box = decode_boxes(response, size, offset, self.feat_sz)
        # the box and the peak score in one tensor: one copy back (one wait for the GPU) per frame
        return {"box_peak": torch.cat([box, response.flatten(1).max(1).values[:, None]], 1)}

    def finish(self, outputs: dict[str, torch.Tensor], image: np.ndarray) -> tuple[np.ndarray, float]:
        height, width = image.shape[:2]
        factor = self.factor
        row = outputs["box_peak"][0]
        cx, cy, w, h = (row[:4] * self.search_size / factor).tolist()
        peak = float(row[4])
        prev_cx, prev_cy = self.state[0] + 0.5 * self.state[2], self.state[1] + 0.5 * self.state[3]
        half = 0.5 * self.search_size / factor
        cx, cy = cx + (prev_cx - half), cy + (prev_cy - half)
        self.state = clip_box([cx - 0.5 * w, cy - 0.5 * h, w, h], height, width, self.clip_margin)
        return np.array(self.state, dtype=np.float64), peak
