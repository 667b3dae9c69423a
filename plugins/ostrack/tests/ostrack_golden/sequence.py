"""A generated sequence for the tracker fixture: a bright square textured target on a striped background that
enters from the top-left corner (crops past two borders), crosses, leaves past the right border for five frames,
and returns along the bottom. Integer NumPy arithmetic from one PCG64 stream: the same bytes everywhere."""

from __future__ import annotations

import numpy as np

H, W, N = 240, 320, 36
SIDE = 40


def corners() -> np.ndarray:
    across = [(-10 + 9 * i, -8 + 5 * i) for i in range(22)]          # from past the top-left corner
    gone = [(W + 20, 110)] * 5                                         # out of view past the right border
    back = [(W - 45 - 22 * i, H - 50) for i in range(N - 27)]         # back in, along the bottom
    return np.array(across + gone + back)


def build(seed: int = 3) -> tuple[list[np.ndarray], np.ndarray]:
    """``(frames, gt)``: (240, 320, 3) uint8 RGB frames and x, y, w, h boxes clipped to the frame (0 0 0 0 while
    the target is out of view)."""
    rng = np.random.default_rng([seed, 11])
    yy, xx = np.mgrid[0:H, 0:W]
    background = np.stack([(xx // 7 * 23) % 140 + 30, (yy // 5 * 17) % 120 + 40, ((xx + yy) // 9 * 31) % 100 + 50],
                          -1)
    target = np.repeat(np.repeat(rng.integers(150, 256, (SIDE // 4, SIDE // 4, 3)), 4, 0), 4, 1)
    frames, gt = [], []
    for x, y in corners():
        img = np.clip(background + rng.integers(-10, 11, (H, W, 3)), 0, 255)
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + SIDE, W), min(y + SIDE, H)
        if x1 > x0 and y1 > y0:
            img[y0:y1, x0:x1] = target[y0 - y:y1 - y, x0 - x:x1 - x]
            gt.append([x0, y0, x1 - x0, y1 - y0])
        else:
            gt.append([0, 0, 0, 0])
        frames.append(img.astype(np.uint8))
    return frames, np.array(gt, np.float64)
