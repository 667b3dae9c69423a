"""One sequence of an evaluation and its result files: what the one-at-a-time runner (:mod:`ltr_core.track.runner`)
and the batched one (:mod:`ltr_core.track.batched`) share."""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ltr_core.errors import UserError
from ltr_core.locking import tmp_name


@dataclass
class EvalSequence:
    name: str
    frames: list[str]
    gt: np.ndarray          # (N, 4)
    visible: np.ndarray | None   # (N,) bool from the dataset's visibility flags; None where it has none
    rules: str | None = None     # the dataset's scoring rules (metrics.RULES); None: lasot with flags, else default
    video: str | None = None     # frames decoded from this video, front to back, instead of read from ``frames``

    def __len__(self) -> int:
        return len(self.frames)


def tracker_label(tracker) -> str:
    """How errors name a tracker: its component and plugin when built by a TrackerFactory."""
    return getattr(tracker, "ltr_label", None) or f"tracker {type(tracker).__name__}"


def seed_sequence(seed: int, name: str) -> None:
    """Seed PyTorch's and NumPy's global generators from (seed, sequence name): a stochastic tracker gives the
    same boxes for a sequence whichever worker runs it and in whatever order."""
    s = (seed * 1_000_003 + zlib.crc32(name.encode())) % 2**32
    torch.manual_seed(s)
    np.random.seed(s)


def write_result(out_dir: Path, name: str, result: dict) -> None:
    for suffix, rows, fmt in ((".txt", result["boxes"], "%.2f"),
                              ("_time.txt", result["track_time"][:, None], "%.6f")):
        path = out_dir / f"{name}{suffix}"
        tmp = tmp_name(path)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            np.savetxt(tmp, rows, fmt=fmt, delimiter=",")
            os.replace(tmp, path)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise UserError(f"cannot write {path}: {e.strerror or e}. Free space or make {out_dir} writable (or use "
                            "another --workspace); the sequences written so far are kept") from None
