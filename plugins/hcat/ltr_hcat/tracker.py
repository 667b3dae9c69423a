"""HCAT's tracker: template branch once, search branch per frame, Hanning-window penalty, no smoothing."""

from __future__ import annotations

import math

import numpy as np
import torch

from ltr_core.track.tracker import Tracker


class HCATTracker(Tracker):
    """Crop 2x context for the template and 4x for the search, pick the best window-penalised token."""

    def __init__(self, net, window_influence: float = 0.42, template_size: int = 128, search_size: int = 256,
                 min_size: float = 10.0, device: str = "cpu"):
        super().__init__(net, device)
        self.window_influence = window_influence
        self.template_size = template_size
        self.search_size = search_size
        self.min_size = min_size
        self.window = None

    @torch.no_grad()
    def initialize(self, image: np.ndarray, box) -> None:
        x, y, w, h = (float(v) for v in box)
        self.center = np.array([x + w / 2, y + h / 2])
        self.size = np.array([w, h])
        p = (w + h) / 2
        s_z = math.ceil(math.sqrt((w + p) * (h + p)))
        self.queries = self.net.template_branch(self.crop_tensor(image, self.center, s_z, self.template_size))

    @torch.no_grad()
    def track(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        w, h = self.size
        p = (w + h) / 2
        s_x = math.ceil(math.sqrt((w + 3 * p) * (h + 3 * p)))
        out = self.net.search_branch(self.crop_tensor(image, self.center, s_x, self.search_size), self.queries)
        score = out["pred_logits"][0].softmax(-1)[:, 0]
        if self.window is None or self.window.numel() != score.numel():
            n = math.isqrt(score.numel())
            han = torch.from_numpy(np.outer(np.hanning(n), np.hanning(n))).float().flatten()
            self.window = han.to(score.device)
        penalised = score * (1 - self.window_influence) + self.window * self.window_influence
        best = int(penalised.argmax())
        cx, cy, bw, bh = (out["pred_boxes"][0, best].double().cpu().numpy() * s_x)
        cx += self.center[0] - s_x / 2
        cy += self.center[1] - s_x / 2
        H, W = image.shape[:2]
        self.center = np.array([min(max(cx, 0.0), W), min(max(cy, 0.0), H)])
        self.size = np.array([min(max(bw, self.min_size), W), min(max(bh, self.min_size), H)])
        box = np.array([self.center[0] - self.size[0] / 2, self.center[1] - self.size[1] / 2, *self.size])
        return box, float(score[best])
