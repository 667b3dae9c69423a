"""ATOM's first-frame augmentation: the target's neighbourhood is cropped at twice the sample size, transformed
(shifts, a horizontal flip, blurs, rotations) and cut back to the sample size, so the online classifier sees
the target under small changes of appearance and position before the second frame arrives.

Each sample comes with ``shift``: where the target's centre moved in the sample, in sample pixels, which is
where its label's peak goes, and whether its target box is still the plain sample's box moved by ``shift``
(true for shifts, the flip and blurs; not for rotations). Feature dropout (the ``dropout`` entry) is applied
later, to features.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from ltr_core.data.geometry import crop_square

DEFAULT_AUGMENTATION = {
    "fliplr": True,
    "rotate": [5, -5, 10, -10, 20, -20, 30, -30, 45, -45, -60, 60],
    "blur": [[2, 0.2], [0.2, 2], [3, 1], [1, 3], [2, 2]],
    "relativeshift": [[0.6, 0.6], [-0.6, 0.6], [0.6, -0.6], [-0.6, -0.6]],
    "dropout": [7, 0.2],
}
KEYS = ("shift", "relativeshift", "fliplr", "blur", "rotate", "dropout")


def check_augmentation(spec: dict, path: str = "tracker.augmentation") -> dict:
    """Validate an augmentation spec (``DEFAULT_AUGMENTATION``'s keys); raises ``ValueError`` naming the key."""
    for key, value in spec.items():
        if key not in KEYS:
            raise ValueError(f"{path}.{key}: unknown augmentation; choose from {', '.join(KEYS)}")
        ok = {
            "fliplr": isinstance(value, bool),
            "rotate": isinstance(value, list) and all(isinstance(a, (int, float)) for a in value),
            "dropout": isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
            and 0 <= value[1] < 1,
        }.get(key, isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value))
        if not ok:
            raise ValueError(f"{path}.{key}: malformed value {value!r} (default: {DEFAULT_AUGMENTATION.get(key)!r}; "
                             "shift: [[dx, dy], ...] pixels, relativeshift: fractions of half the sample, "
                             "blur: [[sigma_x, sigma_y], ...], dropout: [count, probability])")
    return spec


def _window(big: np.ndarray, out_size: int, shift: tuple[int, int]) -> np.ndarray:
    """The ``out_size`` window of ``big`` in which the centre of ``big`` appears displaced by ``shift``."""
    margin = (big.shape[0] - out_size) // 2
    dx, dy = (int(np.clip(s, -margin, margin)) for s in shift)
    x0, y0 = margin - dx, margin - dy
    return big[y0:y0 + out_size, x0:x0 + out_size]


def augment_first_frame(image: np.ndarray, center: tuple[float, float], side: float, out_size: int, spec: dict,
                        expansion_factor: float = 2.0, random_shift_factor: float = 1 / 3,
                        pad_value=0) -> list[tuple[np.ndarray, tuple[int, int], bool]]:
    """``[(sample, (dx, dy), box_kept), ...]``: the plain sample first, then every transform of ``spec`` in the order
    shifts, relative shifts, flip, blurs, rotations. Flips, blurs and rotations also get a random shift of up to
    ``random_shift_factor / 2`` of the sample side (torch's global generator, so a seeded run repeats)."""
    big_size = int(out_size * expansion_factor)
    big_size += (big_size - out_size) % 2                   # the window sits exactly in the middle
    big = crop_square(image, center, side * big_size / out_size, big_size, pad_value=pad_value)

    def random_shift() -> tuple[int, int]:
        if random_shift_factor <= 0:
            return 0, 0
        s = ((torch.rand(2) - 0.5) * out_size * random_shift_factor).long().tolist()
        return int(s[0]), int(s[1])

    samples = [(_window(big, out_size, (0, 0)), (0, 0), True)]
    for dx, dy in spec.get("shift", []):
        samples.append((_window(big, out_size, (int(dx), int(dy))), (int(dx), int(dy)), True))
    for fx, fy in spec.get("relativeshift", []):
        shift = (int(fx * out_size / 2), int(fy * out_size / 2))
        samples.append((_window(big, out_size, shift), shift, True))
    if spec.get("fliplr", False):
        shift = random_shift()
        samples.append((_window(np.ascontiguousarray(big[:, ::-1]), out_size, shift), shift, True))
    for sx, sy in spec.get("blur", []):
        shift = random_shift()
        samples.append((_window(cv2.GaussianBlur(big, (0, 0), sigmaX=float(sx), sigmaY=float(sy)), out_size, shift),
                        shift, True))
    mid = (big_size - 1) / 2
    for angle in spec.get("rotate", []):
        shift = random_shift()
        m = cv2.getRotationMatrix2D((mid, mid), float(angle), 1.0)
        rotated = cv2.warpAffine(big, m, (big_size, big_size), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
        samples.append((_window(rotated, out_size, shift), shift, False))
    return samples
