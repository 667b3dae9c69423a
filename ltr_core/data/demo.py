"""Generator of small synthetic tracking datasets in LaSOT's exact on-disk layout.

Each sequence shows one textured target moving over a textured, slowly panning background, with scale and
aspect changes, look-alike distractors (same texture family and shape, other colours), an occluder that
passes over the target (partial, then full occlusion), spells out of view, and motion blur when it moves
fast. The ground truth, ``full_occlusion.txt``, ``out_of_view.txt`` and ``nlp.txt`` follow LaSOT, and the
tree gets ``train_split.txt`` / ``test_split.txt`` lists. Output is byte-identical for a given seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ltr_core.progress import Progress

CLASS_STYLES = ["stripes", "checker", "dots", "rings", "blobs", "waves", "grid", "noise"]
CLASS_NAMES = {"stripes": "zebra", "checker": "board", "dots": "ladybug", "rings": "target",
               "blobs": "cow", "waves": "fish", "grid": "crate", "noise": "rock"}
COLOR_NAMES = ["red", "green", "blue", "yellow", "purple", "orange", "cyan", "white"]
COLORS = np.array([[220, 40, 40], [40, 200, 60], [50, 80, 230], [230, 220, 40], [150, 50, 200],
                   [240, 140, 30], [40, 210, 220], [235, 235, 235]], dtype=np.float32)


@dataclass
class DemoSpec:
    classes: int = 8
    per_class: int = 6
    frames: int = 150
    width: int = 480
    height: int = 360
    seed: int = 0
    test_per_class: int = 2
    quality: int = 90


def class_names(n: int) -> list[str]:
    names = [CLASS_NAMES[s] for s in CLASS_STYLES]
    return [names[i] if i < len(names) else f"{names[i % len(names)]}{i // len(names)}" for i in range(n)]


def make_demo(out: Path, spec: DemoSpec, progress: bool = True) -> dict:
    """Write the dataset under ``out``; returns a summary (sequence and frame counts, split sizes)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = class_names(spec.classes)
    train, test = [], []
    bar = Progress(spec.classes * spec.per_class, "make-demo", every=1, enabled=progress)
    for ci, cls in enumerate(names):
        for k in range(1, spec.per_class + 1):
            seq = f"{cls}-{k}"
            rng = np.random.default_rng([spec.seed, ci, k])
            _write_sequence(out / cls / seq, CLASS_STYLES[ci % len(CLASS_STYLES)], cls, spec, rng)
            (test if k > spec.per_class - spec.test_per_class else train).append(seq)
            bar.update(1, sequence=seq)
    (out / "train_split.txt").write_text("\n".join(train) + "\n")
    (out / "test_split.txt").write_text("\n".join(test) + "\n")
    return {"root": str(out), "sequences": len(train) + len(test), "train": len(train), "test": len(test),
            "frames": (len(train) + len(test)) * spec.frames}


# -- textures ------------------------------------------------------------------------------------------
def _smooth_noise(h: int, w: int, scale: float, rng: np.random.Generator, channels: int = 1) -> np.ndarray:
    small = rng.random((max(2, int(h / scale)), max(2, int(w / scale)), channels)).astype(np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return big.reshape(h, w, channels)


def texture(style: str, h: int, w: int, c1: np.ndarray, c2: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = rng.uniform(6, 12)
    angle = rng.uniform(0, math.pi)
    if style == "stripes":
        m = np.sin((xx * math.cos(angle) + yy * math.sin(angle)) * 2 * math.pi / period) > 0
    elif style == "checker":
        m = ((xx // period).astype(int) + (yy // period).astype(int)) % 2 == 0
    elif style == "dots":
        m = (np.sin(xx * 2 * math.pi / period) * np.sin(yy * 2 * math.pi / period)) > 0.4
    elif style == "rings":
        r = np.hypot(xx - w / 2, yy - h / 2)
        m = np.sin(r * 2 * math.pi / period) > 0
    elif style == "blobs":
        m = _smooth_noise(h, w, period, rng)[..., 0] > 0.5
    elif style == "waves":
        m = np.sin(xx * 2 * math.pi / period + 3 * np.sin(yy * 2 * math.pi / (3 * period))) > 0
    elif style == "grid":
        m = ((xx % period) < period / 4) | ((yy % period) < period / 4)
    else:
        m = _smooth_noise(h, w, period / 2, rng)[..., 0] > 0.5
    m = m[..., None].astype(np.float32)
    return m * c1 + (1 - m) * c2


def _background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    base = _smooth_noise(h, w, rng.uniform(30, 80), rng, 3) * 160 + 40
    detail = _smooth_noise(h, w, 4, rng, 1) * 40 - 20
    bg = base + detail
    for _ in range(int(rng.integers(8, 20))):  # clutter: random soft rectangles
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(10, max(w // 6, 11))), y0 + int(rng.integers(10, max(h // 6, 11)))
        bg[y0:y1, x0:x1] = bg[y0:y1, x0:x1] * 0.5 + rng.uniform(30, 220, 3) * 0.5
    return np.clip(bg, 0, 255)


# -- motion --------------------------------------------------------------------------------------------
def _smooth_walk(n: int, rng: np.random.Generator, step: float, smooth: int = 15) -> np.ndarray:
    raw = np.cumsum(rng.standard_normal(n + smooth) * step)
    kernel = np.ones(smooth) / smooth
    return np.convolve(raw, kernel, mode="valid")[:n]


def _reflect(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    span = hi - lo
    m = np.mod(v - lo, 2 * span)
    return lo + np.where(m > span, 2 * span - m, m)


def _spell(n: int, rng: np.random.Generator, min_len: int, max_len: int) -> tuple[int, int]:
    length = int(rng.integers(min_len, max_len + 1))
    start = int(rng.integers(n // 5, max(n // 5 + 1, n - length - 5)))
    return start, min(n, start + length)


def _ramp(n: int, start: int, end: int, edge: int) -> np.ndarray:
    r = np.zeros(n, dtype=np.float64)
    t = np.arange(n)
    inside = (t >= start) & (t < end)
    r[inside] = np.minimum(np.minimum(t[inside] - start + 1, end - t[inside]) / edge, 1.0)
    return r


class _Object:
    """A textured shape whose texture is drawn once at a large size and resized per frame."""

    def __init__(self, style, ellipse, color_idx, size, rng):
        c1 = COLORS[color_idx]
        c2 = np.clip(c1 * rng.uniform(0.15, 0.4), 0, 255)
        side = int(max(size) * 2.5) + 8
        self.tex = texture(style, side, side, c1, c2, rng)
        self.ellipse = ellipse

    def render(self, w: int, h: int, blur: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        patch = cv2.resize(self.tex, (w, h), interpolation=cv2.INTER_AREA)
        mask = np.ones((h, w), np.float32)
        if self.ellipse:
            mask = np.zeros((h, w), np.float32)
            cv2.ellipse(mask, (w // 2, h // 2), (max(1, w // 2), max(1, h // 2)), 0, 0, 360, 1.0, -1)
        if blur[0] > 1 or blur[1] > 1:
            patch = cv2.blur(patch, blur)
            mask = cv2.blur(mask, blur)
        return patch, mask


def _paste(frame: np.ndarray, patch: np.ndarray, mask: np.ndarray, x: int, y: int) -> None:
    H, W = frame.shape[:2]
    h, w = mask.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x1 <= x0 or y1 <= y0:
        return
    m = mask[y0 - y:y1 - y, x0 - x:x1 - x, None]
    frame[y0:y1, x0:x1] = frame[y0:y1, x0:x1] * (1 - m) + patch[y0 - y:y1 - y, x0 - x:x1 - x] * m


def _write_sequence(folder: Path, style: str, cls: str, spec: DemoSpec, rng: np.random.Generator) -> None:
    n, W, H = spec.frames, spec.width, spec.height
    (folder / "img").mkdir(parents=True, exist_ok=True)
    pad = 0.35
    bg = _background(int(H * (1 + pad)), int(W * (1 + pad)), rng)
    pan = np.stack([_reflect(_smooth_walk(n, rng, 1.5) + W * pad / 2, 0, W * pad),
                    _reflect(_smooth_walk(n, rng, 1.0) + H * pad / 2, 0, H * pad)], 1)

    base = rng.uniform(0.10, 0.22) * min(W, H)
    ellipse = style in ("dots", "rings", "blobs")
    color = int(rng.integers(len(COLORS)))
    sizes = base * np.exp(_reflect(_smooth_walk(n, rng, 0.05), -0.5, 0.5))
    aspect = np.exp(_reflect(_smooth_walk(n, rng, 0.03) + rng.uniform(-0.4, 0.4), -0.6, 0.6))
    tw, th = sizes * np.sqrt(aspect), sizes / np.sqrt(aspect)
    speed = rng.uniform(3.0, 7.0)
    cx = _reflect(_smooth_walk(n, rng, speed, 8) + rng.uniform(0.3, 0.7) * W, 0.15 * W, 0.85 * W)
    cy = _reflect(_smooth_walk(n, rng, speed, 8) + rng.uniform(0.3, 0.7) * H, 0.15 * H, 0.85 * H)

    # an out-of-view spell: the target leaves through the nearest edge and comes back
    oov = np.zeros(n)
    if rng.random() < 0.6:
        s, e = _spell(n, rng, 10, 25)
        oov = _ramp(n, s, e, 6)
        edge = int(rng.integers(4))
        out_x = {0: -0.4 * W, 1: 1.4 * W}.get(edge)
        out_y = {2: -0.4 * H, 3: 1.4 * H}.get(edge)
        if out_x is not None:
            cx = cx * (1 - oov) + out_x * oov
        else:
            cy = cy * (1 - oov) + out_y * oov

    target = _Object(style, ellipse, color, (tw.max(), th.max()), rng)
    distractors = []
    for _ in range(int(rng.integers(1, 4))):
        other = int((color + rng.integers(1, len(COLORS))) % len(COLORS))
        d_obj = _Object(style, ellipse, other, (tw.max(), th.max()), rng)
        d_scale = rng.uniform(0.7, 1.2)
        d_cx = _reflect(_smooth_walk(n, rng, speed, 8) + rng.uniform(0.1, 0.9) * W, 0.05 * W, 0.95 * W)
        d_cy = _reflect(_smooth_walk(n, rng, speed, 8) + rng.uniform(0.1, 0.9) * H, 0.05 * H, 0.95 * H)
        distractors.append((d_obj, d_scale, d_cx, d_cy))

    # an occluder that slides across the target
    occl = None
    if rng.random() < 0.7:
        s, e = _spell(n, rng, 12, 30)
        occ_tex = _background(int(base * 3), int(base * 3), rng)
        horizontal = rng.random() < 0.5
        occl = (s, e, occ_tex, horizontal, rng.uniform(1.5, 2.0))

    gt = np.zeros((n, 4), dtype=np.int64)
    full_occ = np.zeros(n, dtype=np.int64)
    out_view = np.zeros(n, dtype=np.int64)
    for t in range(n):
        px, py = int(pan[t, 0]), int(pan[t, 1])
        frame = bg[py:py + H, px:px + W].copy()
        for d_obj, d_scale, d_cx, d_cy in distractors:
            dw, dh = max(4, int(tw[t] * d_scale)), max(4, int(th[t] * d_scale))
            patch, mask = d_obj.render(dw, dh, (1, 1))
            _paste(frame, patch, mask, int(d_cx[t] - dw / 2), int(d_cy[t] - dh / 2))
        w, h = max(4, int(round(tw[t]))), max(4, int(round(th[t])))
        vx = cx[t] - cx[t - 1] if t else 0.0
        vy = cy[t] - cy[t - 1] if t else 0.0
        blur = (max(1, int(abs(vx) * 0.8)), max(1, int(abs(vy) * 0.8)))
        patch, mask = target.render(w, h, blur)
        x, y = int(round(cx[t] - w / 2)), int(round(cy[t] - h / 2))
        _paste(frame, patch, mask, x, y)
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
        if x1 - x0 < 2 or y1 - y0 < 2:
            out_view[t] = 1
        else:
            gt[t] = (x0, y0, x1 - x0, y1 - y0)
        if occl is not None and occl[0] <= t < occl[1]:
            s, e, occ_tex, horizontal, grow = occl
            frac = (t - s) / max(1, e - s - 1)
            ow, oh = int(w * grow), int(h * grow)
            ox = int(cx[t] - ow / 2 + ((frac - 0.5) * 3 * ow if horizontal else 0))
            oy = int(cy[t] - oh / 2 + (0 if horizontal else (frac - 0.5) * 3 * oh))
            occ = cv2.resize(occ_tex, (ow, oh), interpolation=cv2.INTER_AREA)
            _paste(frame, occ, np.ones((oh, ow), np.float32), ox, oy)
            if ox <= x and oy <= y and ox + ow >= x + w and oy + oh >= y + h:
                full_occ[t] = 1
        frame = np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8)
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, spec.quality])
        (folder / "img" / f"{t + 1:08d}.jpg").write_bytes(buf.tobytes())
    (folder / "groundtruth.txt").write_text("\n".join(",".join(str(int(v)) for v in row) for row in gt) + "\n")
    (folder / "full_occlusion.txt").write_text(",".join(str(int(v)) for v in full_occ) + "\n")
    (folder / "out_of_view.txt").write_text(",".join(str(int(v)) for v in out_view) + "\n")
    (folder / "nlp.txt").write_text(f"a {COLOR_NAMES[color]} {style} {cls} moving among look-alikes\n")
