"""LaSOT: ``ROOT/<class>/<class>-<n>/{img/00000001.jpg, groundtruth.txt, full_occlusion.txt, out_of_view.txt}``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Union

import numpy as np

from ltr_core.data.dataset import DataError, SequenceInfo, VideoDataset, read_box_file, read_flag_file
from ltr_core.data.splits import read_split
from ltr_core.evaluation.attributes import shipped

LAYOUT = "ROOT/<class>/<class>-<n>/img/00000001.jpg with groundtruth.txt, full_occlusion.txt, out_of_view.txt"


class LaSOT(VideoDataset):
    """LaSOT (protocol II train/test splits, a split list file, or explicit sequence ids)."""

    root_env = "LTR_LASOT_DIR"
    eval_rules = "lasot"     # the scoring rules of ltr_core.evaluation.metrics

    def __init__(self, root, split: str = "train", split_file: Union[str, None] = None,
                 sequences: Union[list, None] = None, name: str = "lasot"):
        """``split``: train | test | all. ``split_file``: a file of sequence names (relative to ROOT or
        absolute) that replaces the official list. ``sequences``: explicit ids such as ``airplane-1``."""
        super().__init__(root, name)
        if not self.root.is_dir():
            raise DataError(f"LaSOT root {self.root} does not exist. Expected layout: {LAYOUT}")
        present = self._scan()
        if sequences is not None:
            wanted = [str(s) for s in sequences]
        elif split_file is not None:
            path = Path(split_file) if os.path.isabs(split_file) else self.root / split_file
            try:
                wanted = [l.strip() for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
            except OSError as e:
                raise DataError(f"cannot read LaSOT split file {path}: {e.strerror}") from None
        elif split in ("train", "test"):
            wanted = read_split(f"lasot_{split}_split.txt")
        elif split == "all":
            wanted = sorted(present)
        else:
            raise DataError(f"LaSOT split {split!r}: use train, test or all, or give split_file")
        self._names = [s for s in wanted if s in present]
        self.require_sequences(LAYOUT + f" (split {split_file or split})")

    def _scan(self) -> set[str]:
        """Sequence folders present on disk: one directory listing per class, no per-sequence stat."""
        present = set()
        with os.scandir(self.root) as classes:
            for c in classes:
                if not c.is_dir():
                    continue
                with os.scandir(c.path) as seqs:
                    present.update(s.name for s in seqs if s.name.startswith(c.name + "-"))
        return present

    def sequence_names(self) -> list[str]:
        return self._names

    def _seq_dir(self, seq_id: int) -> Path:
        name = self._names[seq_id]
        return self.root / name.rsplit("-", 1)[0] / name

    def parse_sequence(self, seq_id: int) -> SequenceInfo:
        d = self._seq_dir(seq_id)
        bbox = read_box_file(d / "groundtruth.txt")
        visible = np.ones(len(bbox), dtype=bool)
        for flag_file in ("full_occlusion.txt", "out_of_view.txt"):
            if (d / flag_file).exists():
                visible &= read_flag_file(d / flag_file, len(bbox)) == 0
        return SequenceInfo(bbox, visible)

    def eval_annotations(self, seq_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Raw float64 ground truth; visibility from ``full_occlusion.txt`` and ``out_of_view.txt`` only (a
        zero-size box is invalid for scoring, not invisible)."""
        d = self._seq_dir(seq_id)
        gt = read_box_file(d / "groundtruth.txt", raw=True)
        visible = np.ones(len(gt), dtype=bool)
        for flag_file in ("full_occlusion.txt", "out_of_view.txt"):
            if (d / flag_file).exists():
                visible &= read_flag_file(d / flag_file, len(gt)) == 0
        return gt, visible

    def annotation_file(self, seq_id: int) -> str:
        return str(self._seq_dir(seq_id) / "groundtruth.txt")

    def frame_path(self, seq_id: int, frame_id: int) -> str:
        name = self._names[seq_id]        # os.path, not pathlib: this runs for every frame read
        return os.path.join(self.root, name.rsplit("-", 1)[0], name, "img", f"{frame_id + 1:08d}.jpg")

    def eval_attributes(self):
        """LaSOT's 14 attributes from its evaluation toolkit, for the benchmark itself (not for other trees in its
        layout, such as the demo's, whose sequence names may be LaSOT's)."""
        return shipped("lasot") if self.name == "lasot" else None

    def class_name(self, seq_id: int) -> str:
        return self._names[seq_id].rsplit("-", 1)[0]
