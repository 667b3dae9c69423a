"""Box jitter and square crops around a box: the geometry every tracker's processing shares.

Boxes are ``x, y, w, h`` in pixels with a continuous top-left origin: pixel ``i`` covers ``[i, i+1)``.
A crop of side ``s`` centred at ``c`` and resized to ``out`` pixels maps an image point ``p`` to
``(p - (c - s/2)) * out / s``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def jitter_box(box: np.ndarray, center_jitter: float, scale_jitter: float, rng: np.random.Generator,
               base: str = "mean_side") -> np.ndarray:
    """size * exp(N(0,1) * scale_jitter); centre + (U(0,1) - 0.5) * s * center_jitter per axis, where s is the
    jittered box's (w + h) / 2 (``base="mean_side"``) or sqrt(w * h) (``"sqrt_area"``)."""
    x, y, w, h = (float(v) for v in box)
    size = np.array([w, h]) * np.exp(rng.standard_normal(2) * scale_jitter)
    scale = (size[0] + size[1]) / 2 if base == "mean_side" else float(np.sqrt(size[0] * size[1]))
    max_offset = scale * center_jitter
    center = np.array([x + w / 2, y + h / 2]) + (rng.random(2) - 0.5) * max_offset
    return np.array([center[0] - size[0] / 2, center[1] - size[1] / 2, size[0], size[1]], dtype=np.float64)


def crop_side(box: np.ndarray, area_factor: float) -> float:
    """Side of the square crop: ceil(sqrt(w*h) * area_factor)."""
    return float(math.ceil(math.sqrt(max(box[2] * box[3], 1e-6)) * area_factor))


def context_side(box: np.ndarray, area_factor: float) -> int:
    """Side of the Siamese trackers' context crop: ceil(sqrt((w + p)(h + p))) with p = (f - 1)(w + h) / 2.

    Computed in the box's own dtype (a float32 box gives the float32 arithmetic the original trackers use)."""
    p = (area_factor - 1) * (box[2] + box[3]) * 0.5
    return max(1, math.ceil(math.sqrt(max((box[2] + p) * (box[3] + p), 0.0))))


def window_corner(center: tuple[float, float], side: int) -> tuple[int, int]:
    """First pixel of a ``side``-pixel window around ``center``: floor(c - (side + 1) / 2 + 0.5) per axis."""
    first = (side + 1) / 2
    return int(np.floor(center[0] - first + 0.5)), int(np.floor(center[1] - first + 0.5))


def box_in_window(box: np.ndarray, center: tuple[float, float], side: float, out_size: int) -> np.ndarray:
    """Map a box into a crop of ``side`` around ``center`` with the pixel-centre convention of the Siamese
    trackers' training code: the crop's middle is ``(out - 1) / 2``, sizes scale by ``out / side``."""
    s = out_size / side
    cx = (out_size - 1) / 2 + (box[0] + box[2] / 2 - center[0]) * s
    cy = (out_size - 1) / 2 + (box[1] + box[3] / 2 - center[1]) * s
    w, h = box[2] * s, box[3] * s
    return np.array([cx - w / 2, cy - h / 2, w, h], dtype=np.float32)


def snap_crop(center: tuple[float, float], side: float, image_scale: float = 1.0) -> tuple[tuple[float, float], float]:
    """Move a crop's corner and side to whole pixels of an image decoded at ``image_scale`` (at most half a
    decoded pixel each), so :func:`crop_square` can resize a slice instead of warping (about 2x faster).
    pytracking rounds its crops to whole pixels the same way; use the returned values for the boxes too."""
    n = max(1, round(side * image_scale))
    x0 = round((center[0] - side / 2) * image_scale)
    y0 = round((center[1] - side / 2) * image_scale)
    side = n / image_scale
    return ((x0 + n / 2) / image_scale, (y0 + n / 2) / image_scale), side


def crop_square(image: np.ndarray, center: tuple[float, float], side: float, out_size: int,
                image_scale: float = 1.0, pad_value=0, interpolation=cv2.INTER_LINEAR,
                pad_then_resize: bool = False) -> np.ndarray:
    """Crop the square of ``side`` (full-resolution pixels) around ``center`` and resize to ``out_size``.

    ``image`` may be a reduced decode of the frame (``image_scale`` = its size / the full size); coordinates
    stay in full-resolution pixels. Only the output pixels are computed, so cost does not grow with the frame
    size; outside the image is filled with ``pad_value``. A crop on whole decoded pixels (see
    :func:`snap_crop`) is a slice resize; any other an affine warp with the same pixel-centre convention.
    ``pad_then_resize`` always pads the slice and resizes it (on whole pixels), as the original training code
    of the Siamese trackers does, even where a warp would be cheaper.
    """
    border = tuple(float(b) for b in (pad_value if isinstance(pad_value, (tuple, list)) else (pad_value,) * 3))
    n = side * image_scale
    x0 = (center[0] - side / 2) * image_scale
    y0 = (center[1] - side / 2) * image_scale
    if all(abs(v - round(v)) < 1e-6 for v in (n, x0, y0)):
        x0, y0, n = round(x0), round(y0), round(n)
        inside = x0 >= 0 and y0 >= 0 and x0 + n <= image.shape[1] and y0 + n <= image.shape[0]
        if inside or pad_then_resize or n <= 2 * out_size:  # else padding would cost more than warping
            return _resize_slice(image, x0, y0, n, out_size, border, interpolation)
    s = out_size / side
    # u + 0.5 = ((x_dec + 0.5) / image_scale - x0) * s, for decoded pixel x_dec and output pixel u
    a = s / image_scale
    m = np.array([[a, 0, (0.5 - x0) * a - 0.5],
                  [0, a, (0.5 - y0) * a - 0.5]], dtype=np.float64)
    return cv2.warpAffine(image, m, (out_size, out_size), flags=interpolation,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def _resize_slice(image: np.ndarray, x0: int, y0: int, n: int, out_size: int, border: tuple,
                  interpolation: int) -> np.ndarray:
    h, w = image.shape[:2]
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + n, w), min(y0 + n, h)
    if xa >= xb or ya >= yb:                      # entirely outside the image
        return np.full((out_size, out_size) + image.shape[2:], border[0] if image.ndim == 2 else
                       border[:image.shape[2]], dtype=image.dtype)
    part = image[ya:yb, xa:xb]
    if (xa, ya, xb, yb) != (x0, y0, x0 + n, y0 + n):
        part = cv2.copyMakeBorder(part, ya - y0, y0 + n - yb, xa - x0, x0 + n - xb, cv2.BORDER_CONSTANT,
                                  value=border)
    return cv2.resize(part, (out_size, out_size), interpolation=interpolation)


def subwindow_crop(image: np.ndarray, center, side: int, out_size: int, pad_value,
                   dtype=np.float64) -> np.ndarray:
    """The Siamese trackers' crop (pysot's ``get_subwindow`` and its descendants): a window of ``side`` whole pixels around
    ``center``, the part inside the image resized on its own and the padding added at output scale.

    The window's first pixel is ``floor(c - (side + 1) / 2 + 0.5)`` on each axis. The inside part is resized to
    ``round(part / (side / out_size))`` pixels and each of the four pad widths is rounded the same way
    (round half to even), then filled with ``pad_value`` (per channel). Those roundings can leave the pieces a
    pixel short of ``out_size``: such a last row or column stays 0, as in the original; a piece a pixel too
    long is cut (the original stops with a shape error there). Returns ``(out, out, C)`` in ``dtype``
    (float32 gives the same values as building in float64 and converting, at less cost).
    """
    h, w = image.shape[:2]
    factor = side / out_size
    x0, y0 = window_corner(center, side)
    x1, y1 = x0 + side - 1, y0 + side - 1
    part = image[max(0, y0):min(y1 + 1, h), max(0, x0):min(x1 + 1, w)]
    rows, cols = round(part.shape[0] / factor), round(part.shape[1] / factor)
    top, left = round(max(0, -y0) / factor), round(max(0, -x0) / factor)
    bottom, right = round(max(0, y1 - h + 1) / factor), round(max(0, x1 - w + 1) / factor)
    out = np.zeros((out_size, out_size, image.shape[2]), dtype)
    rows, cols = min(rows, out_size - top), min(cols, out_size - left)
    out[top:top + rows, left:left + cols] = cv2.resize(part, (cols, rows)).reshape(rows, cols, -1)
    pad = np.asarray(pad_value, np.float64).astype(dtype)
    if top:
        out[:top, left:left + cols] = pad
    if bottom:
        out[top + rows:, left:left + cols] = pad
    if left:
        out[:, :left] = pad
    if right:
        out[:, left + cols:] = pad
    return out


def box_in_crop(box: np.ndarray, center: tuple[float, float], side: float, out_size: int) -> np.ndarray:
    """Map a full-resolution ``x, y, w, h`` box into the crop's pixel coordinates."""
    s = out_size / side
    return np.array([(box[0] - (center[0] - side / 2)) * s, (box[1] - (center[1] - side / 2)) * s,
                     box[2] * s, box[3] * s], dtype=np.float32)


def box_center(box) -> tuple[float, float]:
    return float(box[0] + box[2] / 2), float(box[1] + box[3] / 2)
