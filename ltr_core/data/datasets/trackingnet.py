"""TrackingNet: ``ROOT/TRAIN_<k>/frames/<video>/<i>.jpg`` (0-based) and ``ROOT/TRAIN_<k>/anno/<video>.txt``."""

from __future__ import annotations

import os
from typing import Union

import numpy as np

from ltr_core.data.dataset import SequenceInfo, VideoDataset, read_box_file
from ltr_core.data.image import list_images

LAYOUT = "ROOT/TRAIN_<k>/frames/<video>/0.jpg and ROOT/TRAIN_<k>/anno/<video>.txt"


class TrackingNet(VideoDataset):
    """TrackingNet training chunks TRAIN_0..TRAIN_11."""

    root_env = "LTR_TRACKINGNET_DIR"

    def __init__(self, root, chunks: Union[list, None] = None, name: str = "trackingnet"):
        """``chunks``: chunk numbers to use (default: all twelve, those present)."""
        super().__init__(root, name)
        chunks = list(range(12)) if chunks is None else [int(c) for c in chunks]
        self._seqs: list[tuple[str, str]] = []
        for k in chunks:
            anno = self.root / f"TRAIN_{k}" / "anno"
            if not anno.is_dir():
                continue
            with os.scandir(anno) as it:
                self._seqs += [(f"TRAIN_{k}", e.name[:-4]) for e in sorted(it, key=lambda e: e.name)
                               if e.name.endswith(".txt")]
        self.require_sequences(LAYOUT + f" (chunks {chunks})")

    def sequence_names(self) -> list[str]:
        return [f"{c}/{v}" for c, v in self._seqs]

    def parse_sequence(self, seq_id: int) -> SequenceInfo:
        chunk, video = self._seqs[seq_id]
        bbox = read_box_file(self.root / chunk / "anno" / f"{video}.txt")
        return SequenceInfo(bbox, np.ones(len(bbox), dtype=bool))

    def frame_path(self, seq_id: int, frame_id: int) -> str:
        chunk, video = self._seqs[seq_id]
        return str(self.root / chunk / "frames" / video / f"{frame_id}.jpg")


class TrackingNetTest(VideoDataset):
    """TrackingNet's test set (ROOT/TEST): only the first frame's box is public; results go to the server."""

    root_env = "LTR_TRACKINGNET_DIR"

    def __init__(self, root, name: str = "trackingnet"):
        super().__init__(root, name)
        anno = self.root / "TEST" / "anno"
        self._videos = sorted(p.stem for p in anno.glob("*.txt")) if anno.is_dir() else []
        self.require_sequences("ROOT/TEST/frames/<video>/0.jpg and ROOT/TEST/anno/<video>.txt")

    def sequence_names(self) -> list[str]:
        return self._videos

    def parse_sequence(self, seq_id: int) -> SequenceInfo:
        """The first box, repeated for every frame on disk (the rest of the ground truth is not public)."""
        video = self._videos[seq_id]
        first = read_box_file(self.root / "TEST" / "anno" / f"{video}.txt")[:1]
        n = sum(1 for name in list_images(self.root / "TEST" / "frames" / video) if name.endswith(".jpg"))
        return SequenceInfo(np.repeat(first, max(n, 1), 0), np.ones(max(n, 1), dtype=bool))

    def frame_path(self, seq_id: int, frame_id: int) -> str:
        return str(self.root / "TEST" / "frames" / self._videos[seq_id] / f"{frame_id}.jpg")
