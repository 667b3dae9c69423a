"""What a generated sequence shows: the spec of a tree, procedural textures and backgrounds, smooth random motion,
textured objects, and :func:`plan_sequence`, which draws a whole sequence's scene before any frame is rendered."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ltr_core.data.demo.photos import _photo_region

CLASS_STYLES = ["stripes", "checker", "dots", "rings", "blobs", "waves", "grid", "noise"]
CLASS_NAMES = {"stripes": "zebra", "checker": "board", "dots": "ladybug", "rings": "target",
               "blobs": "cow", "waves": "fish", "grid": "crate", "noise": "rock"}
COLOR_NAMES = ["red", "green", "blue", "yellow", "purple", "orange", "cyan", "white"]
COLORS = np.array([[220, 40, 40], [40, 200, 60], [50, 80, 230], [230, 220, 40], [150, 50, 200],
                   [240, 140, 30], [40, 210, 220], [235, 235, 235]], dtype=np.float32)


@dataclass
class DemoSpec:
    classes: int = 8
    per_class: int = 8
    frames: int = 150
    width: int = 480
    height: int = 360
    seed: int = 0
    test_per_class: int = 4     # 32 held-out sequences: 16 left the seed-to-seed spread to which ones they were
    quality: int = 90
    photos: str = "auto"   # auto: use scikit-image's photographs when installed; on: require them; off: never


def class_names(n: int) -> list[str]:
    names = [CLASS_NAMES[s] for s in CLASS_STYLES]
    return [names[i] if i < len(names) else f"{names[i % len(names)]}{i // len(names)}" for i in range(n)]


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


def _photo_background(h: int, w: int, rng: np.random.Generator, colour: list, grey: list) -> np.ndarray:
    """A view of a photograph (a grey one tinted), with a little procedural clutter on top."""
    pool = colour + grey
    photo = pool[int(rng.integers(len(pool)))]
    bg = _photo_region(photo, h, w, rng, rng.uniform(1.0, 1.8))
    if bg.shape[2] == 1:
        bg = bg * (rng.uniform(0.6, 1.0, 3).astype(np.float32) * 0.9 + 0.1) + rng.uniform(0, 40, 3).astype(np.float32)
    for _ in range(int(rng.integers(0, 6))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(10, max(w // 6, 11))), y0 + int(rng.integers(10, max(h // 6, 11)))
        bg[y0:y1, x0:x1] = bg[y0:y1, x0:x1] * 0.5 + rng.uniform(30, 220, 3) * 0.5
    return np.clip(bg, 0, 255)


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
    """A textured shape whose texture is drawn once at a large size and resized per frame. With ``photo``
    (an RGB array) the texture is a region of that photograph instead of a procedural pattern."""

    def __init__(self, style, ellipse, color_idx, size, rng, photo=None):
        side = int(max(size) * 2.5) + 8
        if photo is None:
            c1 = COLORS[color_idx]
            c2 = np.clip(c1 * rng.uniform(0.15, 0.4), 0, 255)
            self.tex = texture(style, side, side, c1, c2, rng)
        else:
            self.tex = _photo_region(photo, side, side, rng, rng.uniform(1.0, 2.0))
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


@dataclass
class ScenePlan:
    """Everything a sequence's frames are drawn from, decided before any frame is: the panning background, the
    target's path, size and look, its look-alikes, the out-of-view spell and the occluder."""

    bg: np.ndarray
    pan: np.ndarray
    tw: np.ndarray
    th: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    target: _Object
    distractors: list
    occl: tuple | None
    color: int
    target_photo: np.ndarray | None


def plan_sequence(style: str, spec: DemoSpec, rng: np.random.Generator, colour: list | None = None,
                  grey: list | None = None) -> ScenePlan:
    """Draw a sequence's scene from ``rng`` (the draws in a fixed order: the output is byte-identical per seed)."""
    n, W, H = spec.frames, spec.width, spec.height
    colour, grey = colour or [], grey or []
    pad = 0.35
    # with photographs: a photo background in 3 of 4 sequences, a photo target (and look-alikes cut from the
    # same photograph) in half of them; the procedural textures otherwise
    photo_bg = bool(colour or grey) and rng.random() < 0.75
    target_photo = colour[int(rng.integers(len(colour)))] if colour and rng.random() < 0.5 else None
    if photo_bg:
        bg = _photo_background(int(H * (1 + pad)), int(W * (1 + pad)), rng, colour, grey)
    else:
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

    target = _Object(style, ellipse, color, (tw.max(), th.max()), rng, target_photo)
    distractors = []
    for _ in range(int(rng.integers(1, 4))):
        other = int((color + rng.integers(1, len(COLORS))) % len(COLORS))
        d_obj = _Object(style, ellipse, other, (tw.max(), th.max()), rng, target_photo)
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

    return ScenePlan(bg, pan, tw, th, cx, cy, target, distractors, occl, color, target_photo)
