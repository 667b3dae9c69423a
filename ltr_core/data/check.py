"""``ltr data check``: a dataset tree read as ltr's readers will read it, before a training that runs for days.

Per sequence: the annotations parse (boxes and flags, with the file and line of the first problem), the box
count equals the frame count, every frame exists (``--decode``: and decodes), and the boxes are counted by kind:
without the target (zero size or NaN), entirely outside the first frame. Negative sizes, missing or unreadable
frames, count mismatches and flags of the wrong length are errors; boxes without the target or outside the frame
are reported, since datasets use them on purpose (LaSOT marks absent targets with 0 0 0 0).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ltr_core.config import factory_params
from ltr_core.data.dataset import DataError
from ltr_core.data.image import ImageReadError, read_bytes, read_image, video_frames
from ltr_core.errors import UserError
from ltr_core.registry import RegistryError, get_registry


@dataclass
class CheckReport:
    root: str
    layout: str
    sequences: int = 0
    frames: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        bad = len(self.errors)
        return (f"{self.sequences} sequences ({self.frames} frames) in {self.root} read as {self.layout}: "
                f"{self.sequences - bad} ok, {bad} with errors")


def open_layout(root: str, layout: str):
    """The reader of ``layout`` (a registered dataset, else a benchmark) on ``root``, taking every sequence."""
    reg = get_registry()
    try:
        comp = reg.get("dataset", layout)
        kwargs = {"split": "all"} if "split" in factory_params(comp.factory) else {}
        return reg.build("dataset", comp.qualname, root, **kwargs)
    except RegistryError:
        pass
    try:
        bench = reg.get("benchmark", layout)
    except RegistryError:
        raise UserError(f"--layout {layout}: not a dataset reader ({', '.join(reg.names('dataset'))}) nor a "
                        f"benchmark ({', '.join(reg.names('benchmark'))})") from None
    splits = bench.factory.splits
    split = "all" if splits is None or "all" in splits else splits[0]
    return reg.build("benchmark", bench.qualname, split, Path("."), root)


def check_sequence(ds, seq_id: int, decode: bool) -> tuple[str, int]:
    """One line about a sequence and its frame count; raises DataError at the first error."""
    info = ds.sequence_info(seq_id)
    gt, _ = ds.eval_annotations(seq_id)
    n = len(info)
    video = ds.video_file(seq_id)
    if video:
        count, shape = 0, None
        for image in video_frames(video):
            shape = image.shape if shape is None else shape
            count += 1
            if not decode:
                break
        if decode and count != n:
            raise DataError(f"{video} decodes to {count} frames but its boxes describe {n}")
    else:
        missing = [ds.frame_path(seq_id, i) for i in range(n) if not _exists(ds.frame_path(seq_id, i))]
        if missing:
            raise DataError(f"{missing[0]}: missing ({len(missing)} of the {n} frames are)")
        shape = None
        for i in range(n) if decode else [0]:
            try:
                image = read_image(ds.frame_path(seq_id, i))[0]
            except ImageReadError as e:
                raise DataError(str(e)) from None
            shape = image.shape if shape is None else shape
    without = int((~np.isfinite(gt).all(1) | (np.nan_to_num(gt)[:, 2:] <= 0).any(1)).sum())
    outside = 0
    if shape is not None:
        h, w = shape[:2]
        b = np.nan_to_num(gt)
        has = (b[:, 2:] > 0).all(1)
        outside = int((has & ((b[:, 0] >= w) | (b[:, 1] >= h) | (b[:, 0] + b[:, 2] <= 0)
                               | (b[:, 1] + b[:, 3] <= 0))).sum())
    hidden = int((~info.visible).sum())
    return (f"{n} frames, {n} boxes, {without} without the target, {hidden} not visible, {outside} outside the "
            f"frame" + (f" ({shape[1]}x{shape[0]})" if shape is not None else "")), n


def _exists(path: str) -> bool:
    if os.path.isfile(path) or "#" in os.path.basename(path):
        return True
    try:
        read_bytes(path)            # a packed frame
        return True
    except ImageReadError:
        return False


def check_tree(root: str, layout: str, decode: bool = False, echo=print, quiet: bool = False) -> CheckReport:
    ds = open_layout(root, layout)
    report = CheckReport(str(root), layout)
    for seq_id, name in enumerate(ds.sequence_names()):
        report.sequences += 1
        try:
            line, n = check_sequence(ds, seq_id, decode)
            report.frames += n
            if not quiet:
                echo(f"ok    {name}: {line}")
        except (DataError, ImageReadError) as e:
            report.errors.append(f"{name}: {e}")
            echo(f"ERROR {name}: {' '.join(str(e).split())}")
    return report
