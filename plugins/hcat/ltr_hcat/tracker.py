"""HCAT's tracker: template branch once, search branch per frame, Hanning-window penalty, no smoothing.

It reproduces the original CPU tracker (``pysot_toolkit/trackers/tracker_cpu.py`` in chenxin-dlut/HCAT) box
for box: the Siamese subwindow crop with its roundings, padding with the first frame's per-channel mean, and
the same float32/float64 arithmetic for sizes and scores (``tests/test_hcat_golden.py`` checks it against the
original's boxes).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ltr_core.api import CropSize, NonNegativeFloat, Probability, Tracker
from ltr_core.data.geometry import context_side, subwindow_crop


class HCATTracker(Tracker):
    """Crop 2x context for the template and 4x for the search, pick the best window-penalised token."""

    def __init__(self, net, window_influence: Probability = 0.42, template_size: CropSize = 128,
                 search_size: CropSize = 256, min_size: NonNegativeFloat = 10.0, device: str = "cpu"):
        super().__init__(net, device)
        self.window_influence = window_influence
        self.template_size = template_size
        self.search_size = search_size
        self.min_size = min_size
        self.window = None

    def _crop(self, image: np.ndarray, side: int, out_size: int) -> torch.Tensor:
        """The float32 crop as a (1, 3, S, S) CPU tensor, not yet normalised."""
        crop = subwindow_crop(image, self.center, side, out_size, self.pad_value, np.float32)
        return torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1)[None]))

    def _normalise(self, crops: torch.Tensor) -> torch.Tensor:
        return (crops / 255 - self.mean) / self.std

    @torch.no_grad()
    def initialize(self, image: np.ndarray, box) -> None:
        x, y, w, h = (float(v) for v in box)
        self.center = np.array([x + w / 2, y + h / 2])
        self.size = np.array([w, h])
        self.pad_value = np.mean(image, axis=(0, 1))         # the first frame's, kept for every later crop
        s_z = context_side((0, 0, w, h), 2.0)
        self.queries = self.net.template_branch(self._normalise(self._crop(image, s_z, self.template_size)
                                                                .to(self.device)))

    def track(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        return self.track_in_steps(image)

    # -- the frame in three steps (ltr eval --batch runs the network step for many sequences at once) ----------
    batchable = True

    def prepare(self, image: np.ndarray) -> dict[str, torch.Tensor]:
        # self.size keeps the network's float32 values as they come (the original's s_x is computed in float32
        # whenever neither side was clipped), so the ceil rounds exactly as the original's does
        self.s_x = context_side((0, 0, *self.size), 4.0)
        return {"search": self._crop(image, self.s_x, self.search_size), "queries": self.queries}

    @torch.no_grad()
    def network(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out = self.net.search_branch(self._normalise(inputs["search"]), inputs["queries"])
        # scores and boxes of every token in one tensor: one copy back (one wait for the GPU) per frame
        return {"tokens": torch.cat([out["pred_logits"].float().softmax(-1)[..., :1], out["pred_boxes"].float()], -1)}

    def finish(self, outputs: dict[str, torch.Tensor], image: np.ndarray) -> tuple[np.ndarray, float]:
        s_x = self.s_x
        tokens = outputs["tokens"][0].numpy()
        score = tokens[:, 0]
        if self.window is None or self.window.size != score.size:
            n = math.isqrt(score.size)
            self.window = np.outer(np.hanning(n), np.hanning(n)).flatten()
        penalised = score * (1 - self.window_influence) + self.window * self.window_influence
        best = int(np.argmax(penalised))
        bx, by, bw, bh = tokens[best, 1:] * s_x   # float32, as the original
        cx = bx + self.center[0] - s_x / 2
        cy = by + self.center[1] - s_x / 2
        H, W = image.shape[:2]
        cx, cy = max(0, min(cx, W)), max(0, min(cy, H))
        bw, bh = max(self.min_size, min(bw, W)), max(self.min_size, min(bh, H))
        self.center = np.array([cx, cy])
        self.size = np.array([bw, bh])
        box = np.array([cx - bw / 2, cy - bh / 2, bw, bh], dtype=np.float64)
        return box, float(score[best])
