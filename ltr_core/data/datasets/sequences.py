"""Your own sequences: any folder of frame folders or videos with their boxes, for training and evaluation.

Layout (``ROOT`` holds one entry per sequence; names are the folder or video names, in natural order):

* ``ROOT/<seq>/`` with its frames in ``img/`` or in the folder itself (JPEG or PNG, any numbering, taken in
  natural order: ``2.jpg`` before ``10.jpg``) and ``groundtruth.txt``;
* or ``ROOT/<seq>.mp4`` (any container OpenCV reads) with ``ROOT/<seq>.txt``, read front to back by OpenCV
  (``ltr data pack`` gives a video random access by frame, which training wants).

Boxes: one line per frame, numbers separated by commas, tabs or spaces: ``x,y,w,h`` or an 8-value polygon
``x1,y1,...,x4,y4``, turned into its axis-aligned bounding box as the VOT toolkit does (min and max of the
corners); ``nan`` rows or ``0,0,0,0`` mark frames without the target. Optional flags, one value per frame
(comma- or line-separated), where 1 means the target is not visible: ``absence.label``, ``out_of_view.txt``,
``full_occlusion.txt`` (for a video: ``<seq>.absence.label`` and so on). Optional splits: ``ROOT/<split>_split.txt``
with one sequence name per line (``--split NAME``; ``all`` takes every sequence).

In configs ``{name: sequences, root: PATH}``; on the command line ``--dataset sequences:PATH``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Union

import cv2
import numpy as np

from ltr_core.data.dataset import DataError, SequenceInfo, VideoDataset, read_flag_file, split_numbers
from ltr_core.data.image import IMAGE_SUFFIXES, list_images

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv")
FLAG_FILES = ("absence.label", "out_of_view.txt", "full_occlusion.txt")
LAYOUT = ("ROOT/<seq>/img/*.jpg|png (or the frames in ROOT/<seq>/) with ROOT/<seq>/groundtruth.txt, or "
          "ROOT/<seq>.mp4 with ROOT/<seq>.txt")


def natural_key(name: str) -> list:
    """Orders the numbers inside names by value: img2 before img10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def read_boxes(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(boxes (N, 4) float64 with NaN rows kept, absent (N,) bool)`` from ``x,y,w,h`` or 8-value polygon lines;
    a malformed line is a :class:`DataError` naming the file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read annotation {path}: {e}") from None
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            values = split_numbers(line.strip())
        except ValueError:
            raise DataError(f"{path}:{lineno}: expected numbers (x,y,w,h or 8 polygon values), got {line.strip()!r}") \
                from None
        if len(values) == 8:
            xs, ys = values[0::2], values[1::2]
            values = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        elif len(values) != 4:
            raise DataError(f"{path}:{lineno}: expected 4 values (x,y,w,h) or 8 (a polygon), got {len(values)}")
        if np.isfinite(values).all() and (values[2] < 0 or values[3] < 0):
            raise DataError(f"{path}:{lineno}: negative width or height in {values}: a box is x, y, w, h with "
                            "w, h >= 0")
        if np.isinf(values).any():
            raise DataError(f"{path}:{lineno}: infinite value in {values}")
        rows.append(values)
    if not rows:
        raise DataError(f"annotation {path} is empty")
    boxes = np.asarray(rows, dtype=np.float64)
    absent = np.isnan(boxes).any(1) | (boxes[:, 2:] <= 0).any(1)
    return boxes, absent


class Sequences(VideoDataset):
    """Any folder of sequences: frame folders or videos, with x,y,w,h or polygon boxes and optional flags."""

    root_env = "LTR_SEQUENCES_DIR"

    def __init__(self, root, split: str = "all", split_file: Union[str, None] = None,
                 sequences: Union[list, None] = None, name: str = "sequences"):
        """``split``: ``all``, or a name with ``ROOT/<split>_split.txt``; ``split_file``: a list of names (relative
        to ROOT or absolute); ``sequences``: explicit names."""
        super().__init__(root, name)
        if not self.root.is_dir():
            raise DataError(f"sequences root {self.root} does not exist. Expected layout: {LAYOUT}")
        self._entries = self._scan()
        if sequences is not None:
            wanted = [str(s) for s in sequences]
        elif split_file is not None or split != "all":
            path = Path(split_file) if split_file else self.root / f"{split}_split.txt"
            path = path if path.is_absolute() else self.root / path
            if not path.is_file():
                raise DataError(f"split {split!r}: there is no {path} (one sequence name per line); use split all "
                                "(--split all) for every sequence of the folder")
            try:
                wanted = [l.strip() for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
            except (OSError, UnicodeDecodeError) as e:
                raise DataError(f"cannot read the split list {path}: {getattr(e, 'strerror', e)}") from None
        else:
            wanted = sorted(self._entries, key=natural_key)
        unknown = [w for w in wanted if w not in self._entries]
        if unknown:
            raise DataError(f"{self.root}: no sequence named {unknown[0]!r} (listed in the split; {len(self._entries)} "
                            f"sequences found). Expected layout: {LAYOUT}")
        self._names = wanted
        self._frames: dict[int, list[str]] = {}
        self._cursor: dict = {}
        self.require_sequences(LAYOUT)

    def _scan(self) -> dict[str, tuple[str, Path]]:
        """name -> ("frames", folder) or ("video", file)."""
        found = {}
        with os.scandir(self.root) as it:
            for e in it:
                p = Path(e.path)
                if e.is_dir() and (p / "groundtruth.txt").is_file():
                    found[e.name] = ("frames", p)
                elif e.is_file() and p.suffix.lower() in VIDEO_SUFFIXES and p.with_suffix(".txt").is_file():
                    found[p.stem] = ("video", p)
        return found

    def sequence_names(self) -> list[str]:
        return self._names

    def _entry(self, seq_id: int) -> tuple[str, Path]:
        return self._entries[self._names[seq_id]]

    def annotation_file(self, seq_id: int) -> str:
        kind, path = self._entry(seq_id)
        return str(path / "groundtruth.txt" if kind == "frames" else path.with_suffix(".txt"))

    def video_file(self, seq_id: int) -> str | None:
        kind, path = self._entry(seq_id)
        return str(path) if kind == "video" else None

    def _frame_names(self, seq_id: int) -> list[str]:
        if seq_id not in self._frames:
            kind, path = self._entry(seq_id)
            if kind == "video":
                n = len(read_boxes(path.with_suffix(".txt"))[0])
                self._frames[seq_id] = [f"{path}#{i}" for i in range(n)]
            else:
                folder = path / "img" if (path / "img").is_dir() else path
                names = sorted(list_images(folder), key=natural_key)
                if not names:
                    raise DataError(f"{folder}: no frames ({', '.join(sorted(IMAGE_SUFFIXES))}). Expected layout: "
                                    f"{LAYOUT}")
                self._frames[seq_id] = [str(folder / n) for n in names]
        return self._frames[seq_id]

    def _flags(self, seq_id: int, n: int) -> np.ndarray | None:
        kind, path = self._entry(seq_id)
        hidden, any_flag = np.zeros(n, dtype=bool), False
        for flag in FLAG_FILES:
            f = path / flag if kind == "frames" else path.with_name(f"{path.stem}.{flag}")
            if f.is_file():
                hidden |= read_flag_file(f, n) != 0
                any_flag = True
        return hidden if any_flag else None

    def eval_annotations(self, seq_id: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Boxes as written (NaN rows kept) and visibility when the sequence has flags or NaN rows."""
        boxes, _ = self._checked(seq_id)
        hidden = self._flags(seq_id, len(boxes))
        nan = np.isnan(boxes).any(1)
        if hidden is None and not nan.any():
            return boxes, None
        hidden = (hidden if hidden is not None else np.zeros(len(boxes), dtype=bool)) | nan
        return np.nan_to_num(boxes), ~hidden

    def _checked(self, seq_id: int) -> tuple[np.ndarray, np.ndarray]:
        path = self.annotation_file(seq_id)
        boxes, absent = read_boxes(Path(path))
        frames = len(self._frame_names(seq_id))
        if frames != len(boxes):
            raise DataError(f"{path} has {len(boxes)} boxes but the sequence has {frames} frames")
        return boxes, absent

    def parse_sequence(self, seq_id: int) -> SequenceInfo:
        boxes, absent = self._checked(seq_id)
        hidden = self._flags(seq_id, len(boxes))
        visible = ~absent if hidden is None else ~absent & ~hidden
        return SequenceInfo(np.nan_to_num(boxes).astype(np.float32), visible)

    def frame_path(self, seq_id: int, frame_id: int) -> str:
        return self._frame_names(seq_id)[frame_id]

    def read_frame(self, seq_id: int, frame_id: int, min_scale: float = 1.0, fast: bool = False,
                   transient: bool = False) -> tuple[np.ndarray, float]:
        video = self.video_file(seq_id)
        if video is None:
            return super().read_frame(seq_id, frame_id, min_scale, fast, transient)
        return self._video_frame(video, frame_id), 1.0

    def _video_frame(self, video: str, frame_id: int) -> np.ndarray:
        """Decode forward from where this process last stopped in ``video`` (reopening it to go back), so the
        frames of a sample, drawn in increasing order, cost one pass and no seeking."""
        cap, at = self._cursor.get("cap"), self._cursor.get("at", 0)
        if cap is None or self._cursor.get("video") != video or frame_id < at:
            if cap is not None:
                cap.release()
            cap, at = cv2.VideoCapture(video), 0
            if not cap.isOpened():
                raise DataError(f"cannot read video {video}: OpenCV cannot open it")
            self._cursor.update(video=video, cap=cap)
        frame = None
        while at <= frame_id:
            ok, frame = cap.read()
            if not ok:
                raise DataError(f"{video}: frame {frame_id + 1} cannot be decoded (the video has {at} frames)")
            at += 1
        self._cursor["at"] = at
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def __getstate__(self):          # an open capture does not pickle: each worker opens its own
        return {**self.__dict__, "_cursor": {}}
