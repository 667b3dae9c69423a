"""The inference interface every tracker plugin implements, and shared crop helpers."""

from __future__ import annotations

import abc

import numpy as np
import torch

from ltr_core import device as device_rule
from ltr_core.data.geometry import crop_square
from ltr_core.data.processing import IMAGENET_MEAN, IMAGENET_STD


class Tracker(abc.ABC):
    """``initialize(image, box)`` once, then ``track(image) -> (box, score)`` per frame.

    Images are RGB uint8 ``(H, W, 3)`` arrays; boxes are ``x, y, w, h`` in pixels. A tracker that never looks
    at the images (a baseline) sets ``reads_images = False``, and the evaluation runner then skips decoding them;
    one without a network sets ``needs_net = False`` and is built with ``net=None``.
    """

    reads_images = True
    #: False for trackers that run without a network (baselines): evaluation then loads no checkpoint
    needs_net = True

    def __init__(self, net: torch.nn.Module, device: str | torch.device = "cpu"):
        """``device``: ``cpu``, ``cuda``, ``cuda:N`` or ``auto`` (:mod:`ltr_core.device`); commands pass theirs."""
        self.net = net.eval()
        self.device = device_rule.resolve(device, "tracker.device")
        self.net.to(self.device)
        self.mean = torch.tensor(IMAGENET_MEAN, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD, device=self.device).view(1, 3, 1, 1)

    @abc.abstractmethod
    def initialize(self, image: np.ndarray, box) -> None:
        """Start a sequence from the first frame and its ground-truth box."""

    @abc.abstractmethod
    def track(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """Locate the target in the next frame: ``(x, y, w, h)`` and a confidence."""

    def crop_tensor(self, image: np.ndarray, center, side: float, out_size: int) -> torch.Tensor:
        """A square crop padded with the image's per-channel mean, normalised, as a (1, 3, S, S) tensor."""
        pad = tuple(float(v) for v in image.reshape(-1, 3).mean(0))
        return self.to_network([crop_square(image, center, side, out_size, pad_value=pad)])

    def to_network(self, images: list[np.ndarray]) -> torch.Tensor:
        """RGB uint8 ``(S, S, 3)`` crops -> the network's (N, 3, S, S) input, ImageNet-normalised."""
        t = torch.from_numpy(np.stack(images)).to(self.device).permute(0, 3, 1, 2).float()
        return (t / 255 - self.mean) / self.std
