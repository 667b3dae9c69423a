"""COCO 2017 as one-frame sequences: every non-crowd object annotation is a sequence of one frame."""

from __future__ import annotations

import json

import numpy as np

from ltr_core.data.dataset import DataError, SequenceInfo, VideoDataset

LAYOUT = "ROOT/annotations/instances_<split>.json and ROOT/images/<split>/*.jpg"


class COCOSequences(VideoDataset):
    """COCO 2017 object annotations, each a one-frame sequence (template and search share the frame)."""

    root_env = "LTR_COCO_DIR"
    is_video = False

    def __init__(self, root, split: str = "train2017", min_area: float = 0.0, name: str = "coco"):
        """``split``: train2017 or val2017; ``min_area``: drop objects smaller than this (pixels^2)."""
        super().__init__(root, name)
        ann_file = self.root / "annotations" / f"instances_{split}.json"
        try:
            with open(ann_file, encoding="utf-8") as f:
                data = json.load(f)
        except OSError as e:
            raise DataError(f"COCO: cannot read {ann_file}: {e.strerror}. Expected layout: {LAYOUT}") from None
        except json.JSONDecodeError as e:
            raise DataError(f"COCO: {ann_file} is not valid JSON ({e})") from None
        files = {img["id"]: img["file_name"] for img in data.get("images", [])}
        anns = [a for a in data.get("annotations", [])
                if not a.get("iscrowd", 0) and a["image_id"] in files and a["bbox"][2] * a["bbox"][3] > min_area]
        self._files = [files[a["image_id"]] for a in anns]
        self._boxes = np.asarray([a["bbox"] for a in anns], dtype=np.float32).reshape(-1, 4)
        self._image_dir = self.root / "images" / split
        self.require_sequences(LAYOUT)

    def sequence_names(self) -> list[str]:
        return [f"{f}#{i}" for i, f in enumerate(self._files)]

    def __len__(self) -> int:
        return len(self._files)

    def parse_sequence(self, seq_id: int) -> SequenceInfo:
        return SequenceInfo(self._boxes[seq_id:seq_id + 1], np.ones(1, dtype=bool))

    def frame_path(self, seq_id: int, frame_id: int) -> str:
        return str(self._image_dir / self._files[seq_id])
