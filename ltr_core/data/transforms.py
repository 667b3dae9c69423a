"""Augmentations on uint8 RGB crops. A *joint* transform draws once and applies the same change to every
frame of a sample (template and search alike); a per-frame transform draws for each frame. Every draw comes from
the sample's own generator, seeded by ``(seed, epoch, index)``, so the augmented stream is the same in any
worker and after a resume. A *geometric* transform also moves the boxes (``x, y, w, h`` in crop pixels)."""

from __future__ import annotations

import abc

import cv2
import numpy as np

from ltr_core.valuetypes import PositiveFloat, Probability


class Transform(abc.ABC):
    joint: bool = False
    geometric: bool = False       # True: apply_box moves the boxes with the pixels

    def __call__(self, images: list[np.ndarray], rng: np.random.Generator, boxes: list | None = None):
        """The transformed images; with ``boxes``, ``(images, boxes)`` with the boxes moved alike."""
        params = [self.draw(rng)] * len(images) if self.joint else [self.draw(rng) for _ in images]
        out = [self.apply(im, p) for im, p in zip(images, params)]
        if boxes is None:
            return out
        return out, [self.apply_box(np.asarray(b, dtype=np.float32), im.shape, p)
                     for b, im, p in zip(boxes, images, params)]

    def apply_box(self, box: np.ndarray, shape: tuple, params) -> np.ndarray:
        """Where ``box`` (in an image of ``shape``) goes; unchanged for photometric transforms."""
        return box

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


class HorizontalFlip(Transform):
    """Mirror left-right with probability p, the same for all frames of a sample (or, ``per_frame: true``, drawn
    for each frame, for recipes that flip template and search crops independently); boxes are mirrored too."""

    geometric = True

    def __init__(self, p: Probability = 0.5, per_frame: bool = False):
        self.p = p
        self.joint = not per_frame

    def draw(self, rng):
        return rng.random() < self.p

    def apply(self, image, params):
        return np.ascontiguousarray(image[:, ::-1]) if params else image

    def apply_box(self, box, shape, params):
        if not params:
            return box
        x, y, w, h = box
        return np.array([shape[1] - x - w, y, w, h], dtype=np.float32)


class ChannelBrightness(Transform):
    """Multiply each colour channel by its own U(1 - jitter, 1 + jitter), clamped to [0, 255]; drawn once per
    sample (``per_frame: false``) or for each frame. (pytracking's ToTensorAndJitter draws one factor for all
    three channels, as ``brightness`` does.)"""

    def __init__(self, jitter: Probability = 0.2, per_frame: bool = False):
        self.jitter = jitter
        self.joint = not per_frame

    def draw(self, rng):
        return 1.0 + (rng.random(3) * 2 - 1) * self.jitter

    def apply(self, image, params):
        return cv2.convertScaleAbs(image.astype(np.float32) * params.astype(np.float32).reshape(1, 1, 3))


class GaussianBlur(Transform):
    """With probability p per frame, blur with a Gaussian whose sigma is drawn from U(sigma_min, sigma_max)
    pixels (kernel side 2 * ceil(3 sigma) + 1)."""

    def __init__(self, p: Probability = 0.1, sigma_min: PositiveFloat = 0.2, sigma_max: PositiveFloat = 2.0):
        if sigma_min > sigma_max:
            raise ValueError(f"sigma_min {sigma_min} is above sigma_max {sigma_max}")
        self.p, self.sigma_min, self.sigma_max = p, sigma_min, sigma_max

    def draw(self, rng):
        return rng.uniform(self.sigma_min, self.sigma_max) if rng.random() < self.p else 0.0

    def apply(self, image, params):
        if not params:
            return image
        k = 2 * int(np.ceil(3 * params)) + 1
        return cv2.GaussianBlur(image, (k, k), params)

