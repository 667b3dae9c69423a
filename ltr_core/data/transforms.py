"""Augmentations on uint8 RGB crops. A *joint* transform draws once and applies the same change to every
frame of a sample (template and search alike); a per-frame transform draws for each frame."""

from __future__ import annotations

import abc

import cv2
import numpy as np

from ltr_core.config import Probability


class Transform(abc.ABC):
    joint: bool = False

    def __call__(self, images: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
        if self.joint:
            params = self.draw(rng)
            return [self.apply(im, params) for im in images]
        return [self.apply(im, self.draw(rng)) for im in images]

    @abc.abstractmethod
    def draw(self, rng: np.random.Generator):
        """Draw this transform's random parameters."""

    @abc.abstractmethod
    def apply(self, image: np.ndarray, params) -> np.ndarray:
        """Apply the transform with the drawn parameters."""


class Grayscale(Transform):
    """Convert to gray (3 equal channels) with probability p, the same for all frames of a sample."""

    joint = True

    def __init__(self, p: Probability = 0.05):
        self.p = p

    def draw(self, rng):
        return rng.random() < self.p

    def apply(self, image, params):
        if not params:
            return image
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


class Brightness(Transform):
    """Multiply intensities by U(1 - jitter, 1 + jitter), clamped to [0, 255], drawn per frame."""

    def __init__(self, jitter: Probability = 0.2):
        self.jitter = jitter

    def draw(self, rng):
        return 1.0 + (rng.random() * 2 - 1) * self.jitter

    def apply(self, image, params):
        return cv2.convertScaleAbs(image, alpha=float(params), beta=0)
