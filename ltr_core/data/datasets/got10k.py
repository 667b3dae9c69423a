"""GOT-10k: ``ROOT/train/GOT-10k_Train_000001/{00000001.jpg, groundtruth.txt, absence.label, cover.label}``."""

from __future__ import annotations

import os

import numpy as np

from ltr_core.data.dataset import DataError, SequenceInfo, VideoDataset, read_box_file, read_flag_file
from ltr_core.data.image import list_images
from ltr_core.data.splits import read_split

LAYOUT = "ROOT/train/GOT-10k_Train_000001/00000001.jpg with groundtruth.txt, absence.label, cover.label"
SPLIT_FILES = {"train": "got10k_train_split.txt", "val": "got10k_val_split.txt",
               "vottrain": "got10k_vot_train_split.txt", "votval": "got10k_vot_val_split.txt"}


class GOT10k(VideoDataset):
    """GOT-10k training set (splits: all, train, val, vottrain, votval; optional VOT exclusion)."""

    root_env = "LTR_GOT10K_DIR"

    def __init__(self, root, split: str = "vottrain", exclude_vot: bool = False, subset: str = "train",
                 name: str = "got10k"):
        """``split`` picks sequences by index into the sorted train list (pytracking's lists); ``all`` takes
        every sequence of the subset. ``exclude_vot`` drops the sequences that overlap VOT. ``subset``:
        ``train`` (ROOT/train) or ``val`` (the official validation folder ROOT/val, always split ``all``)."""
        super().__init__(root, name)
        if subset not in ("train", "val"):
            raise DataError(f"GOT-10k subset {subset!r}: use train or val")
        train_dir = self.root / subset
        if not train_dir.is_dir():
            raise DataError(f"GOT-10k: {train_dir} does not exist. Expected layout: {LAYOUT}")
        prefix = "GOT-10k_Train_" if subset == "train" else "GOT-10k_Val_"
        with os.scandir(train_dir) as it:
            all_seqs = sorted(e.name for e in it if e.is_dir() and e.name.startswith(prefix))
        if subset == "val" or split == "all":
            names = all_seqs
        elif split in SPLIT_FILES:
            idx = [int(i) for i in read_split(SPLIT_FILES[split])]
            # the lists index the complete train set; on a partial copy, keep the ones present
            full = self._full_train_names(all_seqs)
            present = set(all_seqs)
            names = [full[i] for i in idx if i < len(full) and full[i] in present]
        else:
            raise DataError(f"GOT-10k split {split!r}: use one of all, {', '.join(SPLIT_FILES)}")
        if exclude_vot:
            excluded = set(read_split("got10k_vot_exclude.txt"))
            names = [n for n in names if n not in excluded]
        self._names = names
        self._dir = train_dir
        self.require_sequences(LAYOUT + f" (split {split})")

    @staticmethod
    def _full_train_names(present: list[str]) -> list[str]:
        """Names of the complete train set in sorted order (GOT-10k_Train_000001 .. 009335)."""
        last = max([9335] + [int(n.rsplit("_", 1)[1]) for n in present])
        return [f"GOT-10k_Train_{i:06d}" for i in range(1, last + 1)]

    def sequence_names(self) -> list[str]:
        return self._names

    def parse_sequence(self, seq_id: int) -> SequenceInfo:
        d = self._dir / self._names[seq_id]
        bbox = read_box_file(d / "groundtruth.txt")
        visible = np.ones(len(bbox), dtype=bool)
        if (d / "absence.label").exists():
            visible &= read_flag_file(d / "absence.label", len(bbox)) == 0
        if (d / "cover.label").exists():
            visible &= read_flag_file(d / "cover.label", len(bbox)) > 0
        return SequenceInfo(bbox, visible)

    def eval_annotations(self, seq_id: int) -> tuple[np.ndarray, None]:
        """Raw float64 ground truth and no flags: GOT-10k is scored on its boxes alone."""
        return read_box_file(self._dir / self._names[seq_id] / "groundtruth.txt", raw=True), None

    def annotation_file(self, seq_id: int) -> str:
        return os.path.join(self._dir, self._names[seq_id], "groundtruth.txt")

    def frame_path(self, seq_id: int, frame_id: int) -> str:
        return os.path.join(self._dir, self._names[seq_id], f"{frame_id + 1:08d}.jpg")


TEST_LAYOUT = "ROOT/test/GOT-10k_Test_000001/00000001.jpg with groundtruth.txt (first frame's box only)"


class GOT10kTest(VideoDataset):
    """GOT-10k's test set (``ROOT/test``, 180 sequences): only the first frame's box is public; results go to
    the evaluation server in its submission layout (``ltr pack got10k``)."""

    root_env = "LTR_GOT10K_DIR"

    def __init__(self, root, name: str = "got10k"):
        super().__init__(root, name)
        self._dir = self.root / "test"
        if not self._dir.is_dir():
            raise DataError(f"GOT-10k: {self._dir} does not exist. Expected layout: {TEST_LAYOUT}")
        with os.scandir(self._dir) as it:
            self._names = sorted(e.name for e in it if e.is_dir() and e.name.startswith("GOT-10k_Test_"))
        self.require_sequences(TEST_LAYOUT)

    def sequence_names(self) -> list[str]:
        return self._names

    def frame_count(self, seq_id: int) -> int:
        return sum(1 for name in list_images(self._dir / self._names[seq_id]) if name.endswith(".jpg"))

    def parse_sequence(self, seq_id: int) -> SequenceInfo:
        """The first box, repeated for every frame on disk (the rest of the ground truth is not public)."""
        first = read_box_file(self._dir / self._names[seq_id] / "groundtruth.txt")[:1]
        n = max(self.frame_count(seq_id), 1)
        return SequenceInfo(np.repeat(first, n, 0), np.ones(n, dtype=bool))

    def annotation_file(self, seq_id: int) -> str:
        return os.path.join(self._dir, self._names[seq_id], "groundtruth.txt")

    def frame_path(self, seq_id: int, frame_id: int) -> str:
        return os.path.join(self._dir, self._names[seq_id], f"{frame_id + 1:08d}.jpg")
