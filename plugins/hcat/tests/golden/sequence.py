"""A small generated sequence for the tracker fixture: a textured target that starts at the image border,
crosses the frame, leaves it for a few frames and comes back, over a textured background.

Pure NumPy integer arithmetic from one PCG64 stream, so the frames are the same bytes wherever they are built.
"""

from __future__ import annotations

import hashlib

import numpy as np

HEIGHT, WIDTH, FRAMES = 240, 320, 36
TARGET_W, TARGET_H = 48, 36


def _path() -> np.ndarray:
    """Top-left corners per frame: in from the left border, across, out past the right border (frames 24-28),
    back in, up to the top border."""
    xs = np.concatenate([np.arange(0, 24) * 13 + 2,                   # 2 .. 301: crosses and leaves (w=48)
                         np.full(5, WIDTH + 10),                      # out of view
                         WIDTH - 30 - np.arange(0, 7) * 20])          # back in from the right
    ys = np.concatenate([100 + (np.arange(0, 24) % 6) * 3,
                         np.full(5, 100),
                         90 - np.arange(0, 7) * 14])                  # up towards (and past) the top border
    return np.stack([xs, ys], 1)[:FRAMES]


def build(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """``(frames, gt, out_of_view)``: RGB uint8 (240, 320, 3) frames, (36, 4) ``x, y, w, h`` boxes clipped to
    the image (zero size while out of view) and the out-of-view flags."""
    rng = np.random.default_rng([seed, 7])
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    base = np.stack([(xx * 3 + yy) % 160, (yy * 2 + 40) % 200, (xx + yy * 3) % 120 + 60], -1).astype(np.int32)
    texture = np.repeat(np.repeat(rng.integers(0, 256, (TARGET_H // 6, TARGET_W // 6, 3)), 6, 0), 6, 1)
    frames, gt, oov = [], [], []
    for x, y in _path():
        noise = rng.integers(-12, 13, (HEIGHT, WIDTH, 3))
        img = np.clip(base + noise, 0, 255).astype(np.uint8)
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + TARGET_W, WIDTH), min(y + TARGET_H, HEIGHT)
        if x1 > x0 and y1 > y0:
            img[y0:y1, x0:x1] = texture[y0 - y:y1 - y, x0 - x:x1 - x]
            gt.append([x0, y0, x1 - x0, y1 - y0])
            oov.append(0)
        else:
            gt.append([0, 0, 0, 0])
            oov.append(1)
        frames.append(img)
    return frames, np.array(gt, np.float64), np.array(oov, np.uint8)


def checksum(frames: list[np.ndarray]) -> str:
    h = hashlib.sha256()
    for f in frames:
        h.update(np.ascontiguousarray(f).tobytes())
    return h.hexdigest()
