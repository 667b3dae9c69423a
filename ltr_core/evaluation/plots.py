"""Success and precision plots as PNG, drawn with OpenCV (no plotting library needed)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127)]


def plot_curves(path: Path, title: str, xs: np.ndarray, curves: dict[str, tuple[np.ndarray, float]],
                xlabel: str, ylabel: str = "fraction of frames") -> Path:
    """``curves``: label -> (y values, score shown in the legend)."""
    W, H, left, right, top, bottom = 720, 540, 70, 20, 40, 60
    img = np.full((H, W, 3), 255, np.uint8)
    x0, x1, y0, y1 = left, W - right, H - bottom, top

    def to_px(x, y):
        px = x0 + (x - xs[0]) / (xs[-1] - xs[0]) * (x1 - x0)
        py = y0 - y * (y0 - y1)
        return int(round(px)), int(round(py))

    for i in range(11):
        gx = xs[0] + (xs[-1] - xs[0]) * i / 10
        gy = i / 10
        cv2.line(img, to_px(gx, 0), to_px(gx, 1), (230, 230, 230), 1)
        cv2.line(img, to_px(xs[0], gy), to_px(xs[-1], gy), (230, 230, 230), 1)
        cv2.putText(img, f"{gx:g}", (to_px(gx, 0)[0] - 10, y0 + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
        cv2.putText(img, f"{gy:.1f}", (x0 - 32, to_px(xs[0], gy)[1] + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    cv2.rectangle(img, (x0, y1), (x1, y0), (0, 0, 0), 1)
    ranked = sorted(curves.items(), key=lambda kv: -kv[1][1])
    for k, (label, (ys, score)) in enumerate(ranked):
        color = PALETTE[k % len(PALETTE)][::-1]
        pts = np.array([to_px(x, y) for x, y in zip(xs, ys)], np.int32)
        cv2.polylines(img, [pts], False, color, 2, cv2.LINE_AA)
        ly = y1 + 20 + 20 * k
        cv2.line(img, (x1 - 260, ly - 4), (x1 - 235, ly - 4), color, 2)
        cv2.putText(img, f"{label} [{score:.1f}]"[:34], (x1 - 230, ly), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    cv2.putText(img, f"{title}: {ylabel}", (x0, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, xlabel, ((x0 + x1) // 2 - 60, H - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)
    return path
