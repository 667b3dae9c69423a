"""Writing a generated tree: the sequences in parallel (each from its own random stream), the split lists and
``demo_info.json``; each sequence's frames rendered from its :class:`~ltr_core.data.demo.scene.ScenePlan`."""

from __future__ import annotations

import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from ltr_core.data.demo.photos import _load_photos, find_photos
from ltr_core.data.demo.scene import CLASS_STYLES, COLOR_NAMES, DemoSpec, _paste, class_names, plan_sequence
from ltr_core.progress import Progress


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
    write_sequence(Path(folder), style, cls, _WORKER["spec"], np.random.default_rng(list(seed)),
                    _WORKER["colour"], _WORKER["grey"])
    return Path(folder).name


def write_sequence(folder: Path, style: str, cls: str, spec: DemoSpec, rng: np.random.Generator,
                   colour: list | None = None, grey: list | None = None) -> None:
    """Plan a sequence, then render its frames into ``folder`` in LaSOT's layout (``img/``, ``groundtruth.txt``,
    ``full_occlusion.txt``, ``out_of_view.txt``, ``nlp.txt``)."""
    plan = plan_sequence(style, spec, rng, colour, grey)
    (folder / "img").mkdir(parents=True, exist_ok=True)
    n, W, H = spec.frames, spec.width, spec.height
    bg, pan, tw, th, cx, cy = plan.bg, plan.pan, plan.tw, plan.th, plan.cx, plan.cy
    target, distractors, occl = plan.target, plan.distractors, plan.occl
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
    look = "photographic" if plan.target_photo is not None else f"{COLOR_NAMES[plan.color]} {style}"
    (folder / "nlp.txt").write_text(f"a {look} {cls} moving among look-alikes\n")
