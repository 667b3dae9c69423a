"""Per-sequence OPE curves and dataset scores.

Two conventions (REFERENCE: evaluation protocols):

* ``pytracking``: the first prediction is replaced by the ground truth; a prediction of zero size takes the
  previous frame's box; boxes use the "-1 pixel" convention (last pixel ``x + w - 1``, centre
  ``x + (w - 1) / 2``); invalid frames (GT w or h <= 0, or target not visible) get IoU -1 and centre error
  inf, and stay in the denominator.
* ``pysot``: boxes as given (centre ``x + w / 2``), IoU clipped to [0, 1]; frames where the target is absent
  are removed before scoring.

Curves: success at IoU thresholds 0, 0.05, ..., 1 (fraction with IoU > t; AUC is their mean), precision at
0..50 px (score at 20), normalised precision at 0..0.5 (score at 0.2); fractions are of the scored frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ltr_core.data.dataset import split_numbers

SUCCESS_T = np.linspace(0, 1, 21)
PRECISION_T = np.arange(0, 51, dtype=np.float64)
NORM_PRECISION_T = np.arange(0, 51, dtype=np.float64) / 100
PROTOCOLS = ("pytracking", "pysot")


class ResultError(ValueError):
    """A result that cannot be scored (wrong length, NaN, negative size...)."""


@dataclass
class SequenceCurves:
    success: np.ndarray        # (21,)
    precision: np.ndarray      # (51,)
    norm_precision: np.ndarray  # (51,)
    frames: int

    @property
    def auc(self) -> float:
        return float(self.success.mean())

    @property
    def prec20(self) -> float:
        return float(self.precision[20])

    @property
    def norm_prec(self) -> float:
        return float(self.norm_precision[20])


def sequence_curves(pred: np.ndarray, gt: np.ndarray, visible: np.ndarray | None = None,
                    protocol: str = "pytracking") -> SequenceCurves:
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    if len(pred) != len(gt):
        raise ResultError(f"prediction has {len(pred)} frames but the ground truth has {len(gt)}")
    visible = np.ones(len(gt), dtype=bool) if visible is None else np.asarray(visible, dtype=bool)
    if protocol == "pytracking":
        iou, err, nerr = _pytracking_errors(pred, gt, visible)
    elif protocol == "pysot":
        iou, err, nerr = _pysot_errors(pred, gt, visible)
    else:
        raise ValueError(f"unknown protocol {protocol!r}; use one of {PROTOCOLS}")
    n = max(len(iou), 1)
    return SequenceCurves(
        success=(iou[None, :] > SUCCESS_T[:, None]).sum(1) / n,
        precision=(err[None, :] <= PRECISION_T[:, None]).sum(1) / n,
        norm_precision=(nerr[None, :] <= NORM_PRECISION_T[:, None]).sum(1) / n,
        frames=len(iou))


def _pytracking_errors(pred, gt, visible):
    pred = pred.copy()
    pred[0] = gt[0]
    # a zero-size prediction keeps the previous box (sequentially: runs of them all take the last good one)
    bad = (pred[:, 2] <= 0) | (pred[:, 3] <= 0)
    if bad.any():
        idx = np.where(~bad, np.arange(len(pred)), 0)
        np.maximum.accumulate(idx, out=idx)
        pred = pred[idx]
    valid = (gt[:, 2] > 0) & (gt[:, 3] > 0) & visible
    tl = np.maximum(pred[:, :2], gt[:, :2])
    br = np.minimum(pred[:, :2] + pred[:, 2:] - 1, gt[:, :2] + gt[:, 2:] - 1)
    inter = np.clip(br - tl + 1, 0, None).prod(1)
    union = pred[:, 2:].prod(1) + gt[:, 2:].prod(1) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
        pc = pred[:, :2] + (pred[:, 2:] - 1) / 2
        gc = gt[:, :2] + (gt[:, 2:] - 1) / 2
        err = np.sqrt(((pc - gc) ** 2).sum(1))
        nerr = np.sqrt((((pc - gc) / gt[:, 2:]) ** 2).sum(1))
    iou[~valid] = -1.0
    err[~valid] = np.inf
    nerr[~valid] = np.inf
    return iou, err, nerr


def _pysot_errors(pred, gt, visible):
    keep = visible
    pred, gt = pred[keep], gt[keep]
    tl = np.maximum(pred[:, :2], gt[:, :2])
    br = np.minimum(pred[:, :2] + pred[:, 2:], gt[:, :2] + gt[:, 2:])
    inter = np.clip(br - tl, 0, None).prod(1)
    union = np.clip(pred[:, 2:], 0, None).prod(1) + np.clip(gt[:, 2:], 0, None).prod(1) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.clip(np.where(union > 0, inter / union, 0.0), 0, 1)
        pc = pred[:, :2] + pred[:, 2:] / 2
        gc = gt[:, :2] + gt[:, 2:] / 2
        err = np.sqrt(((pc - gc) ** 2).sum(1))
        nerr = np.sqrt((((pc - gc) / np.where(gt[:, 2:] > 0, gt[:, 2:], np.nan)) ** 2).sum(1))
    nerr = np.nan_to_num(nerr, nan=np.inf)
    return iou, err, nerr


def dataset_scores(curves: list[SequenceCurves]) -> dict:
    """Mean over sequences of each curve, and the three headline scores (in percent)."""
    if not curves:
        raise ResultError("no sequences to score")
    success = np.mean([c.success for c in curves], 0)
    precision = np.mean([c.precision for c in curves], 0)
    norm = np.mean([c.norm_precision for c in curves], 0)
    return {"auc": 100 * float(success.mean()), "precision": 100 * float(precision[20]),
            "norm_precision": 100 * float(norm[20]), "sequences": len(curves),
            "success_curve": success.tolist(), "precision_curve": precision.tolist(),
            "norm_precision_curve": norm.tolist()}


def read_result_file(path, expected_frames: int | None = None) -> np.ndarray:
    """Parse one result file (``x,y,w,h`` per line); errors name the file and line."""
    from pathlib import Path

    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ResultError(f"{path}: cannot read ({e})") from None
    rows = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            values = split_numbers(line)
        except ValueError:
            raise ResultError(f"{path}:{i}: not numbers: {line!r}") from None
        if len(values) != 4:
            raise ResultError(f"{path}:{i}: expected x,y,w,h (4 values), got {len(values)}")
        if not all(np.isfinite(values)):
            raise ResultError(f"{path}:{i}: NaN or infinite value in {line!r}")
        if values[2] < 0 or values[3] < 0:
            raise ResultError(f"{path}:{i}: negative width or height in {line!r}")
        rows.append(values)
    if expected_frames is not None and len(rows) != expected_frames:
        raise ResultError(f"{path}: {len(rows)} lines but the sequence has {expected_frames} frames")
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)
