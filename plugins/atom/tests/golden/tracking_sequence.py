"""A generated sequence for the trackers' golden tests against pytracking: 72 frames of 240 x 320, a textured
target that runs over the right border, a look-alike distractor that passes close by, and an out-of-view spell
(frames 50-57: the target wholly outside the image). Used by ltr-atom's and ltr-dimp's tracker goldens.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

SEED = 20261208              # of the frames' noise (and of the trackers' torch generator)
FRAMES, HEIGHT, WIDTH = 72, 240, 320
TARGET = (36, 44)                  # height, width
OUT_OF_VIEW = range(50, 58)


def _texture(rng, height, width, cells, contrast):
    coarse = rng.uniform(0, 1, (cells, cells, 3)).astype(np.float32)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC) * contrast


def target_centre(t: int) -> tuple[float, float]:
    """(row, column) of the target's centre at frame ``t``: a sweep right past the border and back, a fall out of
    view at the top and a return."""
    if t < 22:
        return 120 + 30 * math.sin(t / 7), 90 + t * 10.4
    if t < 40:
        return 120 + 30 * math.sin(t / 7), 318 - (t - 22) * 9.0
    if t < 50:
        return 120 + 30 * math.sin(40 / 7) - (t - 40) * 12.0, 156 + (t - 40) * 2.0
    if t in OUT_OF_VIEW:
        return -60.0, 176.0
    return 40 + (t - 58) * 5.0, 176 - (t - 58) * 4.0


def make_sequence(seed: int = SEED) -> tuple[list[np.ndarray], list[float], list[list[float]]]:
    """-> (72 RGB uint8 frames, the first frame's box x, y, w, h, the true boxes (x = -1 when out of view))."""
    rng = np.random.default_rng(seed)
    background = _texture(rng, HEIGHT, WIDTH, 9, 160) + 40 + rng.normal(0, 6, (HEIGHT, WIDTH, 3))
    yy, xx = np.mgrid[0:TARGET[0], 0:TARGET[1]]
    pattern = np.stack([128 + 110 * np.sin(xx / 3.0) * np.cos(yy / 4.0), 60 + 150 * (((xx // 7) + (yy // 6)) % 2),
                        200 - 3 * yy], -1)
    lookalike = pattern[:, ::-1] * 0.85 + 20
    frames, truth = [], []
    for t in range(FRAMES):
        image = background + rng.normal(0, 3, background.shape)
        if 14 <= t < 34:                              # the distractor crosses near the target's path
            r, c = 150 - (t - 14) * 2.5, 40 + (t - 14) * 12.0
            _paste(image, lookalike, r, c)
        r, c = target_centre(t)
        inside = _paste(image, pattern, r, c)
        x, y = c - TARGET[1] / 2, r - TARGET[0] / 2
        truth.append([x, y, TARGET[1], TARGET[0]] if inside else [-1.0, -1.0, -1.0, -1.0])
        frames.append(np.clip(image, 0, 255).astype(np.uint8))
    return frames, truth[0], truth


def _paste(image: np.ndarray, patch: np.ndarray, row: float, col: float) -> bool:
    """Paste ``patch`` centred at (row, col), rounded to whole pixels, clipped at the borders; False if none of it
    lands inside."""
    h, w = patch.shape[:2]
    top, left = int(round(row - h / 2)), int(round(col - w / 2))
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + h, image.shape[0]), min(left + w, image.shape[1])
    if r0 >= r1 or c0 >= c1:
        return False
    image[r0:r1, c0:c1] = patch[r0 - top:r1 - top, c0 - left:c1 - left]
    return True
