"""Evaluation-only benchmarks: OTB100, UAV123, NfS (30 fps), TNL2K and the LaSOT extension.

Layouts (as pytracking reads them):

* OTB100 (``LTR_OTB_DIR``): ``ROOT/<Video>/img/0001.jpg`` and ``ROOT/<Video>/groundtruth_rect.txt`` (commas,
  tabs or spaces). A sequence is a frame range of a folder (``specs/otb100.txt``): some start late (David at
  frame 300, BlurCar1 at 247), Tiger1 drops its first 5 frames and boxes, and Jogging and Skating2 hold two
  targets each (``Jogging_1`` / ``Jogging_2`` read ``groundtruth_rect.1.txt`` / ``.2.txt`` over the same frames).
* UAV123 (``LTR_UAV123_DIR``): ``ROOT/data_seq/UAV123/<video>/000001.jpg`` and ``ROOT/anno/UAV123/<seq>.txt``.
  Several sequences are cut from one video by frame ranges (``car1_1``, ``car1_2``, ... of ``car1``); frames
  without the target have ``NaN,NaN,NaN,NaN`` ground truth.
* NfS 30 fps (``LTR_NFS_DIR``), pytracking's preparation of it: ``ROOT/sequences/<Video>/00001.jpg`` and
  ``ROOT/anno/nfs_<Video>.txt`` (tab separated ``x y w h``), 100 sequences.
* TNL2K (``LTR_TNL2K_DIR``, its test set): ``ROOT/<seq>/imgs/*.jpg|png`` (in name order),
  ``ROOT/<seq>/groundtruth.txt`` and ``ROOT/<seq>/language.txt``.
* LaSOT extension (``LTR_LASOT_EXTENSION_DIR``): LaSOT's layout, the 150 sequences of 15 new classes
  (``ROOT/<class>/<class>-<n>/img/00000001.jpg``, ``groundtruth.txt``, ``full_occlusion.txt``, ``out_of_view.txt``).

Readers keep the sequences present on disk (a partial copy evaluates what it has; ``ltr eval`` prints the count)
and stop, naming the root and the expected layout, when none is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ltr_core.data.dataset import DataError, SequenceInfo, VideoDataset, read_box_file
from ltr_core.data.image import list_images
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.evaluation.attributes import Attributes, read_flag_row, shipped

SPECS = Path(__file__).resolve().parents[2] / "evaluation" / "specs"


@dataclass(frozen=True)
class TableEntry:
    name: str
    folder: str
    first: int
    last: int
    digits: int
    ext: str
    anno: str
    init_omit: int

    @property
    def frames(self) -> int:
        return self.last - self.first + 1 - self.init_omit


def read_table(name: str) -> list[TableEntry]:
    rows = []
    for line in (SPECS / f"{name}.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            n, folder, first, last, digits, ext, anno, omit = line.split()
            rows.append(TableEntry(n, folder, int(first), int(last), int(digits), ext, anno, int(omit)))
    return rows


class TableBenchmark(VideoDataset):
    """A benchmark whose sequences are frame ranges of folders, listed in ``specs/<table>.txt``."""

    table = ""
    layout = ""
    eval_rules = "default"

    def __init__(self, root, name: str | None = None):
        super().__init__(root, name or self.table)
        if not self.root.is_dir():
            raise DataError(f"{type(self).__name__}: {self.root} does not exist. Expected layout: {self.layout}")
        self._entries = [e for e in read_table(self.table) if (self.root / e.anno).is_file()]
        self.require_sequences(self.layout)

    def sequence_names(self) -> list[str]:
        return [e.name for e in self._entries]

    def eval_annotations(self, seq_id: int) -> tuple[np.ndarray, None]:
        """The boxes as written (float64, NaN kept), from the sequence's first frame on."""
        e = self._entries[seq_id]
        path = self.root / e.anno
        gt = read_box_file(path, raw=True)[e.init_omit:]
        if len(gt) != e.frames:
            raise DataError(f"{path}: {len(gt) + e.init_omit} boxes, but {e.name} spans frames {e.first}..{e.last} "
                            f"({e.frames + e.init_omit}); is this the official annotation file?")
        return gt, None

    def parse_sequence(self, seq_id: int) -> SequenceInfo:
        gt, _ = self.eval_annotations(seq_id)
        visible = np.isfinite(gt).all(1) & (np.nan_to_num(gt[:, 2:]) > 0).all(1)
        return SequenceInfo(np.nan_to_num(gt).astype(np.float32), visible)

    def annotation_file(self, seq_id: int) -> str:
        return str(self.root / self._entries[seq_id].anno)

    def frame_path(self, seq_id: int, frame_id: int) -> str:
        e = self._entries[seq_id]
        number = e.first + e.init_omit + frame_id
        return str(self.root / e.folder / f"{number:0{e.digits}d}.{e.ext}")


class OTB100(TableBenchmark):
    """OTB-2015 (100 sequences; Jogging and Skating2 twice, one per target)."""

    table = "otb100"
    root_env = "LTR_OTB_DIR"
    layout = "ROOT/<Video>/img/0001.jpg and ROOT/<Video>/groundtruth_rect.txt"

    def eval_attributes(self) -> Attributes:
        return shipped("otb100")


class UAV123(TableBenchmark):
    """UAV123 (123 sequences cut from 91 videos; NaN ground truth where the target is absent)."""

    table = "uav123"
    root_env = "LTR_UAV123_DIR"
    layout = "ROOT/data_seq/UAV123/<video>/000001.jpg and ROOT/anno/UAV123/<sequence>.txt"
    eval_rules = "uav"
    #: the columns of ``anno/UAV123/att/<sequence>.txt``, which the dataset ships
    attributes = (("SV", "Scale Variation"), ("ARC", "Aspect Ratio Change"), ("LR", "Low Resolution"),
                  ("FM", "Fast Motion"), ("FOC", "Full Occlusion"), ("POC", "Partial Occlusion"),
                  ("OV", "Out-of-View"), ("BC", "Background Clutter"), ("IV", "Illumination Variation"),
                  ("VC", "Viewpoint Change"), ("CM", "Camera Motion"), ("SOB", "Similar Object"))

    def eval_attributes(self) -> Attributes:
        names = tuple(a for a, _ in self.attributes)
        flags = {}
        for e in self._entries:
            anno = self.root / e.anno
            flags[e.name] = read_flag_row(anno.parent / "att" / anno.name, names)
        return Attributes(names, tuple(l for _, l in self.attributes), flags,
                          f"the dataset's own attribute files ({self.root / 'anno' / 'UAV123' / 'att'})")


class NfS30(TableBenchmark):
    """Need for Speed, 30 fps version (100 sequences), in pytracking's preparation."""

    table = "nfs30"
    root_env = "LTR_NFS_DIR"
    layout = "ROOT/sequences/<Video>/00001.jpg and ROOT/anno/nfs_<Video>.txt"


class TNL2K(VideoDataset):
    """TNL2K's test set: every folder of ROOT holding ``imgs/`` and ``groundtruth.txt``."""

    root_env = "LTR_TNL2K_DIR"
    layout = "ROOT/<seq>/imgs/00001.jpg (or .png) with ROOT/<seq>/groundtruth.txt and language.txt"
    eval_rules = "default"

    def __init__(self, root, name: str = "tnl2k"):
        super().__init__(root, name)
        if not self.root.is_dir():
            raise DataError(f"TNL2K: {self.root} does not exist. Expected layout: {self.layout}")
        with os.scandir(self.root) as it:
            self._names = sorted(e.name for e in it if e.is_dir() and (Path(e.path) / "groundtruth.txt").is_file()
                                 and (Path(e.path) / "imgs").is_dir())
        self._frames: dict[int, list[str]] = {}
        self.require_sequences(self.layout)

    def sequence_names(self) -> list[str]:
        return self._names

    def _frame_names(self, seq_id: int) -> list[str]:
        if seq_id not in self._frames:
            folder = self.root / self._names[seq_id] / "imgs"
            self._frames[seq_id] = sorted(n for n in list_images(folder)
                                          if Path(n).suffix.lower() in (".jpg", ".jpeg", ".png"))
        return self._frames[seq_id]

    def eval_annotations(self, seq_id: int) -> tuple[np.ndarray, None]:
        path = self.root / self._names[seq_id] / "groundtruth.txt"
        gt = read_box_file(path, raw=True)
        n = len(self._frame_names(seq_id))
        if n != len(gt):
            raise DataError(f"{path}: {len(gt)} boxes but {path.parent / 'imgs'} holds {n} frames")
        return gt, None

    def parse_sequence(self, seq_id: int) -> SequenceInfo:
        gt, _ = self.eval_annotations(seq_id)
        visible = np.isfinite(gt).all(1) & (np.nan_to_num(gt[:, 2:]) > 0).all(1)
        return SequenceInfo(np.nan_to_num(gt).astype(np.float32), visible)

    def annotation_file(self, seq_id: int) -> str:
        return str(self.root / self._names[seq_id] / "groundtruth.txt")

    def eval_attributes(self) -> Attributes:
        return shipped("tnl2k")

    def language(self, seq_id: int) -> str:
        path = self.root / self._names[seq_id] / "language.txt"
        return path.read_text(encoding="utf-8", errors="replace").strip() if path.is_file() else ""

    def frame_path(self, seq_id: int, frame_id: int) -> str:
        return str(self.root / self._names[seq_id] / "imgs" / self._frame_names(seq_id)[frame_id])


class LaSOTExtension(LaSOT):
    """LaSOT's extension subset (150 sequences, 15 classes), scored with its own rules (flags, no LaSOT-only
    branches; see ``ltr_core.evaluation.metrics``)."""

    root_env = "LTR_LASOT_EXTENSION_DIR"
    eval_rules = "lasot_extension"

    def __init__(self, root, name: str = "lasot_extension"):
        super().__init__(root, split="all", name=name)

    def eval_attributes(self) -> Attributes | None:
        """LaSOT's 14 attributes for the extension's 150 sequences (for the benchmark itself, as LaSOT's)."""
        return shipped("lasot_extension") if self.name == "lasot_extension" else None
