"""Track through a video file or a folder of frames, drawing the box into an output video."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from ltr_core.data.image import read_image
from ltr_core.progress import Progress
from ltr_core.track.runner import tracker_step

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def _frames_from_dir(frames_dir: Path):
    paths = sorted(p for p in Path(frames_dir).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise FileNotFoundError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {frames_dir}")
    for p in paths:
        yield read_image(p)[0]


def _frames_from_video(video: Path):
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise FileNotFoundError(f"cannot open video {video}")
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()


def track_frames(tracker, init_box: np.ndarray, video=None, frames_dir=None, out_video=None, out_boxes=None,
                 fps_out: float = 25.0) -> dict:
    frames = _frames_from_video(video) if video else _frames_from_dir(frames_dir)
    writer = None
    boxes = []
    track_time = 0.0
    bar = Progress(0, "track", every=50)
    for i, image in enumerate(frames):
        t0 = time.perf_counter()
        box = tracker_step(tracker, image, i, init_box if i == 0 else None, str(video or frames_dir))
        track_time += time.perf_counter() - t0
        boxes.append(box)
        if out_video:
            if writer is None:
                Path(out_video).parent.mkdir(parents=True, exist_ok=True)
                writer = cv2.VideoWriter(str(out_video), cv2.VideoWriter_fourcc(*"mp4v"), fps_out,
                                         (image.shape[1], image.shape[0]))
            bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
            x, y, w, h = (int(round(v)) for v in box)
            cv2.rectangle(bgr, (x, y), (x + w, y + h), (0, 255, 0), 2)
            writer.write(bgr)
        bar.total = i + 1
        bar.update(1)
    if writer is not None:
        writer.release()
    if not boxes:
        raise FileNotFoundError(f"no frames could be read from {video or frames_dir}")
    if out_boxes:
        Path(out_boxes).parent.mkdir(parents=True, exist_ok=True)
        np.savetxt(out_boxes, np.asarray(boxes), fmt="%.2f", delimiter=",")
    return {"frames": len(boxes), "fps": len(boxes) / track_time if track_time else 0.0}
