"""Track through a video file or a folder of frames, drawing the box into an output video.

Frames of a folder are taken in natural order (``frame2`` before ``frame10``); a video is read by OpenCV
front to back without seeking. A video that cannot be decoded, an unreadable frame, a first box outside the frame
and an output container OpenCV cannot write each stop with one line naming the file or argument, before any
output is written.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from ltr_core.data.dataset import DataError
from ltr_core.data.datasets.sequences import natural_key
from ltr_core.data.image import IMAGE_SUFFIXES, ImageReadError, VideoTruncated, list_images, read_image, video_frames
from ltr_core.errors import UserError
from ltr_core.progress import Progress
from ltr_core.track.runner import tracker_step

VIDEO_WRITERS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}


def image_files(folder: Path) -> list[Path]:
    return [Path(folder) / n for n in sorted(list_images(folder), key=natural_key)]


def frames_from_dir(frames_dir: Path):
    paths = image_files(frames_dir)
    if not paths:
        raise DataError(f"--frames {frames_dir}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in it")
    for p in paths:
        try:
            yield read_image(p)[0]
        except ImageReadError as e:
            raise DataError(f"{e}: replace or remove that frame") from None


def frames_from_video(video: Path):
    """RGB frames of ``video``, in order. An empty, corrupt or undecodable file is a :class:`DataError`; one cut
    short raises :class:`VideoTruncated` after its last decodable frame."""
    try:
        yield from video_frames(video)
    except VideoTruncated:
        raise
    except ImageReadError as e:
        raise DataError(str(e)) from None


def check_init_box(box, shape: tuple, what: str = "--init") -> np.ndarray:
    """The first frame's box must be finite, positive in size, overlap the frame and not dwarf it."""
    box = np.asarray(box, dtype=np.float64)
    h, w = shape[:2]
    x, y, bw, bh = box
    if not np.isfinite(box).all() or bw <= 0 or bh <= 0:
        raise UserError(f"{what} {box.tolist()}: expected x, y, w, h as finite numbers with w, h > 0")
    if x >= w or y >= h or x + bw <= 0 or y + bh <= 0:
        raise UserError(f"{what} {box.tolist()}: the box lies outside the first frame ({w}x{h}); give it in that "
                        "frame's pixels")
    if bw > 10 * w or bh > 10 * h:
        raise UserError(f"{what} {box.tolist()}: the box is more than 10 times the first frame ({w}x{h}); give it in "
                        "that frame's pixels")
    return box


def check_video_output(out: Path) -> str:
    """The fourcc to write ``out`` with; refused before any tracking when OpenCV cannot write that container
    (tried on a temporary file beside it)."""
    out = Path(out)
    fourcc = VIDEO_WRITERS.get(out.suffix.lower())
    if fourcc is None:
        raise UserError(f"--out {out}: ltr writes videos as {', '.join(sorted(VIDEO_WRITERS))}; pick one of these")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"--out {out}: cannot create {out.parent} ({e.strerror})") from None
    probe = out.with_name(f".{out.stem}.probe{out.suffix}")
    writer = cv2.VideoWriter(str(probe), cv2.VideoWriter_fourcc(*fourcc), 25.0, (64, 64))
    ok = writer.isOpened()
    writer.release()
    probe.unlink(missing_ok=True)
    if not ok:
        raise UserError(f"--out {out}: this OpenCV build cannot write {out.suffix} files with {fourcc} (or "
                        f"{out.parent} is not writable); try .mp4 or .avi")
    return fourcc


def track_frames(tracker, init_box: np.ndarray, video=None, frames_dir=None, out_video=None, out_boxes=None,
                 fps_out: float = 25.0) -> dict:
    fourcc = check_video_output(Path(out_video)) if out_video else None
    frames = frames_from_video(video) if video else frames_from_dir(frames_dir)
    writer = None
    boxes = []
    track_time = 0.0
    bar = Progress(None, "track", every=50)         # frames: until the video or folder ends
    cut_short: list[VideoTruncated] = []
    try:
        for i, image in enumerate(_until_cut_short(frames, cut_short)):
            if i == 0:
                init_box = check_init_box(init_box, image.shape)
            t0 = time.perf_counter()
            box = tracker_step(tracker, image, i, init_box if i == 0 else None, str(video or frames_dir))
            track_time += time.perf_counter() - t0
            boxes.append(box)
            if out_video:
                if writer is None:
                    writer = cv2.VideoWriter(str(out_video), cv2.VideoWriter_fourcc(*fourcc), fps_out,
                                             (image.shape[1], image.shape[0]))
                bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
                x, y, w, h = (int(round(v)) if np.isfinite(v) else 0 for v in box)
                cv2.rectangle(bgr, (x, y), (x + w, y + h), (0, 255, 0), 2)
                writer.write(bgr)
            bar.update(1)
    finally:
        bar.close()
        if writer is not None:
            writer.release()
    if out_boxes:
        try:
            Path(out_boxes).parent.mkdir(parents=True, exist_ok=True)
            np.savetxt(out_boxes, np.asarray(boxes), fmt="%.2f", delimiter=",")
        except OSError as e:
            raise UserError(f"cannot write the boxes to {out_boxes}: {e.strerror or e}") from None
    if cut_short:
        written = " and ".join(str(p) for p in (out_boxes, out_video) if p)
        raise DataError(f"{cut_short[0]}: tracked those {len(boxes)} frames"
                        + (f"; their boxes are in {written}" if written else "")
                        + ". Repair or re-encode the video for the rest")
    return {"frames": len(boxes), "fps": len(boxes) / track_time if track_time else 0.0}


def _until_cut_short(frames, cut_short: list):
    """``frames``, stopping quietly at a :class:`VideoTruncated` (kept in ``cut_short``), so that what was tracked
    is written before the error is reported."""
    try:
        yield from frames
    except VideoTruncated as e:
        cut_short.append(e)
