"""Generator of small synthetic tracking datasets in LaSOT's exact on-disk layout.

Each sequence shows one textured target moving over a textured, slowly panning background, with scale and
aspect changes, look-alike distractors (same texture family and shape, other colours), an occluder that
passes over the target (partial, then full occlusion), spells out of view, and motion blur when it moves
fast. The ground truth, ``full_occlusion.txt``, ``out_of_view.txt`` and ``nlp.txt`` follow LaSOT, and the
tree gets ``train_split.txt`` / ``test_split.txt`` lists.

Where scikit-image is installed, its wheel's photographs (``skimage/data/``: astronaut, chelsea, coffee, rocket,
motorcycle, grass, gravel, brick, ...; no download) serve as backgrounds and as the targets' and look-alikes'
appearance, mixed with the procedural textures, so the data looks more like real footage. Each file is checked
against its SHA-256; a photo that differs from the one this generator was written for is left out and said so.

Output is byte-identical for a given seed, photo set and OpenCV build: sequences use their own random streams,
so the number of worker processes changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from ltr_core.errors import UserError
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
    per_class: int = 8
    frames: int = 150
    width: int = 480
    height: int = 360
    seed: int = 0
    test_per_class: int = 4     # 32 held-out sequences: 16 left the seed-to-seed spread to which ones they were
    quality: int = 90
    photos: str = "auto"   # auto: use scikit-image's photographs when installed; on: require them; off: never


# The scikit-image photographs the generator uses, with the SHA-256 of the files in scikit-image 0.26.0's wheel.
# Colour photographs give targets and backgrounds; grey ones (tinted) give backgrounds only.
PHOTOS = {
    "astronaut.png":
        "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "chelsea.png":
        "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "coffee.png":
        "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    "hubble_deep_field.jpg":
        "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
    "ihc.png":
        "f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef",
    "motorcycle_left.png":
        "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
    "motorcycle_right.png":
        "5fc913ae870e42a4b662314bc904d1786bcad8e2f0b9b67dba5a229406357797",
    "retina.jpg":
        "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6",
    "rocket.jpg":
        "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
    "brick.png":
        "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
    "camera.png":
        "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
    "grass.png":
        "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
    "gravel.png":
        "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
    "moon.png":
        "78739619d11f7eb9c165bb5d2efd4772cee557812ec847532dbb1d92ef71f577",
    "coins.png":
        "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
}


class PhotoError(UserError, RuntimeError):
    pass


def photo_dir() -> Path | None:
    """scikit-image's data folder, found without importing scikit-image; None when it is not installed."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "data"
    return d if d.is_dir() else None


def find_photos(mode: str) -> tuple[dict[str, Path], list[str]]:
    """The usable photographs (name -> path) for ``mode`` and notes on what was left out and why."""
    if mode not in ("auto", "on", "off"):
        raise PhotoError(f"photos: {mode!r} is not one of auto, on, off")
    if mode == "off":
        return {}, []
    d = photo_dir()
    if d is None:
        if mode == "on":
            raise PhotoError("--photos on needs scikit-image's photographs: pip install 'ltr-core[demo]' "
                             "(or scikit-image), or use --photos off")
        return {}, ["scikit-image is not installed: procedural textures only (pip install 'ltr-core[demo]')"]
    found, notes = {}, []
    for name, digest in PHOTOS.items():
        f = d / name
        if not f.is_file():
            notes.append(f"{f}: missing, left out")
        elif hashlib.sha256(f.read_bytes()).hexdigest() != digest:
            notes.append(f"{f}: not the file this generator was written for (SHA-256 differs), left out")
        else:
            found[name] = f
    if mode == "on" and not found:
        raise PhotoError(f"--photos on: no usable photograph in {d}; " + "; ".join(notes))
    return found, notes


def _load_photos(paths: dict[str, Path]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """RGB float32 colour photographs and grey ones (H x W x 1), in the table's order."""
    colour, grey = [], []
    for name in PHOTOS:
        if name not in paths:
            continue
        im = cv2.imread(str(paths[name]), cv2.IMREAD_UNCHANGED)
        if im is None:
            raise PhotoError(f"{paths[name]}: OpenCV cannot decode it")
        if im.ndim == 2:
            grey.append(im.astype(np.float32)[..., None])
        else:
            colour.append(cv2.cvtColor(im[..., :3], cv2.COLOR_BGR2RGB).astype(np.float32))
    return colour, grey


def _photo_region(photo: np.ndarray, h: int, w: int, rng: np.random.Generator, zoom: float) -> np.ndarray:
    """A random h x w view of ``photo``: scaled to cover h x w times ``zoom``, cropped, maybe mirrored."""
    ph, pw = photo.shape[:2]
    scale = max(h / ph, w / pw) * zoom
    sh, sw = max(h, int(math.ceil(ph * scale))), max(w, int(math.ceil(pw * scale)))
    big = cv2.resize(photo, (sw, sh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    big = big.reshape(sh, sw, -1)
    y0, x0 = int(rng.integers(0, sh - h + 1)), int(rng.integers(0, sw - w + 1))
    out = big[y0:y0 + h, x0:x0 + w]
    return np.ascontiguousarray(out[:, ::-1] if rng.random() < 0.5 else out)


def class_names(n: int) -> list[str]:
    names = [CLASS_NAMES[s] for s in CLASS_STYLES]
    return [names[i] if i < len(names) else f"{names[i % len(names)]}{i // len(names)}" for i in range(n)]


def make_demo(out: Path, spec: DemoSpec, progress: bool = True, workers: int | None = None,
              report=None) -> dict:
    """Write the dataset under ``out``; returns a summary (sequence and frame counts, split sizes, photos).

    ``workers`` processes write sequences in parallel (default: the CPU count, at most 4); the output does not
    depend on it. ``report`` receives notes on left-out photographs."""
    out = Path(out)
    photos, notes = find_photos(spec.photos)
    out.mkdir(parents=True, exist_ok=True)
    for note in notes:
        (report or print)(f"make-demo: {note}")
    names = class_names(spec.classes)
    jobs, train, test = [], [], []
    for ci, cls in enumerate(names):
        for k in range(1, spec.per_class + 1):
            seq = f"{cls}-{k}"
            jobs.append((str(out / cls / seq), CLASS_STYLES[ci % len(CLASS_STYLES)], cls, (spec.seed, ci, k)))
            (test if k > spec.per_class - spec.test_per_class else train).append(seq)
    workers = max(1, min(workers or min(os.cpu_count() or 1, 4), len(jobs)))
    bar = Progress(len(jobs), "make-demo", every=1, enabled=progress)
    if workers == 1:
        _init_worker(spec, photos)
        for job in jobs:
            bar.update(1, sequence=_write_job(job))
    else:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(spec, photos)) as pool:
            for seq in pool.map(_write_job, jobs):
                bar.update(1, sequence=seq)
    (out / "train_split.txt").write_text("\n".join(train) + "\n")
    (out / "test_split.txt").write_text("\n".join(test) + "\n")
    info = {"generator": "ltr make-demo", "spec": asdict(spec), "photos": sorted(photos)}
    (out / "demo_info.json").write_text(json.dumps(info, indent=1) + "\n")
    return {"root": str(out), "sequences": len(train) + len(test), "train": len(train), "test": len(test),
            "frames": (len(train) + len(test)) * spec.frames, "photos": sorted(photos)}


def is_current(out: Path, spec: DemoSpec) -> bool:
    """Whether ``out`` holds a complete tree written for ``spec`` with the photographs available now."""
    out = Path(out)
    try:
        info = json.loads((out / "demo_info.json").read_text())
    except (OSError, ValueError):
        return False
    if info.get("spec") != asdict(spec) or info.get("photos") != sorted(find_photos(spec.photos)[0]):
        return False
    splits = [out / "train_split.txt", out / "test_split.txt"]
    if not all(p.is_file() for p in splits):
        return False
    names = [n for p in splits for n in p.read_text().split()]
    return len(names) == spec.classes * spec.per_class and all(
        (out / n.rsplit("-", 1)[0] / n / "img" / f"{spec.frames:08d}.jpg").is_file() for n in names)


def demo_frames(size: tuple[int, int], frames: int, seed: int = 0, photos: str = "off",
                sequences: int = 1) -> list[tuple[list[np.ndarray], np.ndarray]]:
    """Decoded RGB frames and the first box of ``sequences`` generated sequences, written to a temporary
    folder and read back (the JPEG round trip included), for benchmarks and calibration."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        make_demo(Path(tmp), DemoSpec(classes=1, per_class=sequences + 1, frames=frames, width=size[0],
                                      height=size[1], seed=seed, test_per_class=1, photos=photos),
                  progress=False, workers=1, report=lambda m: None)
        for seq in sorted(p for p in Path(tmp).glob("*/*-*") if p.is_dir())[:sequences]:
            images = [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in sorted((seq / "img").glob("*.jpg"))]
            out.append((images, np.loadtxt(seq / "groundtruth.txt", delimiter=",")[0]))
    return out


_WORKER: dict = {}


def _init_worker(spec: DemoSpec, photos: dict[str, Path]) -> None:
    cv2.setNumThreads(1)
    colour, grey = _load_photos(photos)
    _WORKER.update(spec=spec, colour=colour, grey=grey)


def _write_job(job) -> str:
    folder, style, cls, seed = job
    _write_sequence(Path(folder), style, cls, _WORKER["spec"], np.random.default_rng(list(seed)),
                    _WORKER["colour"], _WORKER["grey"])
    return Path(folder).name


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


def _write_sequence(folder: Path, style: str, cls: str, spec: DemoSpec, rng: np.random.Generator,
                    colour: list | None = None, grey: list | None = None) -> None:
    n, W, H = spec.frames, spec.width, spec.height
    colour, grey = colour or [], grey or []
    (folder / "img").mkdir(parents=True, exist_ok=True)
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
    look = "photographic" if target_photo is not None else f"{COLOR_NAMES[color]} {style}"
    (folder / "nlp.txt").write_text(f"a {look} {cls} moving among look-alikes\n")
