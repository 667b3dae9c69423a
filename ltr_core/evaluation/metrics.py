"""Per-sequence OPE curves and dataset scores, in each reference toolkit's convention.

Curves: success at IoU thresholds 0, 0.05, ..., 1 (built as each toolkit builds them: torch.arange for
pytracking, numpy.arange for pysot, which differ at 0.65 and 0.75) (fraction of frames with IoU > t; AUC is their
mean), precision at 0..50 px (``<= t``; the score at 20 px) and normalized precision at 0..0.5 (the score at
0.2). A sequence's curve is a fraction of ALL its frames in every convention; the dataset curve is the mean
over sequences. ``visible`` (per-frame target visibility from the dataset's flags) is given only for datasets
that have such flags (LaSOT and the demo); ``None`` selects each toolkit's rules for datasets without them.

``pytracking`` (visionml/pytracking, ``analysis/extract_results.py``):
  * a NaN or a negative predicted size is an error;
  * from frame 1 on, a prediction with a zero width or height takes the previous frame's (already fixed) box,
    the raw frame-0 prediction included, unless the ground truth of that frame has a NaN; only then is frame 0
    set to the ground truth;
  * a longer result is cut to the ground truth's length; a shorter one is an error with visibility flags and
    is padded with zero boxes without;
  * a frame is valid when all four GT values are > 0 (a box touching the left or top border is invalid) and
    the target is visible; invalid frames get IoU -1, centre error inf and normalized centre error -1 (a
    success at every threshold), except that frames whose target is not visible get inf for both errors;
  * centres ``x + (w - 1) / 2``; normalized centres divide each centre by the GT size before subtracting.
``pysot`` (the pysot toolkit as trackers copy it into their releases, and report paper numbers with):
  * with visibility flags, frames where the target is absent are dropped, but the denominator stays the full
    sequence length;
  * IoU (clipped to [0, 1]) only where the GT width and height are > 0, -1 elsewhere; NaN never succeeds;
  * centres ``x + (w - 1) / 2``; the centre error is -1 (a success) where a GT centre coordinate is <= 0;
    normalized centres are centres divided by GT (w, h) + 1e-16, with the same -1 rule on them;
  * a result whose length differs from the ground truth's is an error.
Per-dataset rules (``rules``; pytracking keys them on the dataset's name, the pysot toolkits have none):
  * ``lasot`` (LaSOT and the demo): everything above, with visibility flags;
  * ``lasot_extension``: flags make frames invalid, but invisible frames are not forced to inf and a short
    result is zero-padded (pytracking's ``dataset == 'lasot'`` branches do not apply to it);
  * ``uav`` (UAV123): NaN ground truth is allowed (the frame is invalid and skips the zero-size fix), and an
    invalid frame's centre error is -1, a success at every precision threshold;
  * ``default`` (OTB, NfS, TNL2K, GOT-10k...): no flags, NaN ground truth is an error.
``pysot-upstream`` (StrangerZhang/pysot-toolkit itself): as ``pysot`` but IoU is -1 wherever ANY GT value is
<= 0. Plugins' READMEs say which variant their published numbers used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ltr_core.data.dataset import EVAL_RULES, parse_box_rows, split_numbers
from ltr_core.errors import UserError

SUCCESS_T = np.arange(0, 1.05, 0.05)          # the pysot toolkits' thresholds (NumPy's arange: 0.65, 0.75)


def pytracking_success_thresholds() -> np.ndarray:
    """pytracking's thresholds, built as it builds them: ``torch.arange(0.0, 1.05, 0.05, dtype=torch.float64)``,
    whose 14th and 16th values are 0.6500000000000001 and 0.7500000000000001 where NumPy's are 0.65 and 0.75
    (an overlap computed as 0.6500000000000001 succeeds at 0.65 in one and not in the other)."""
    global _PYTRACKING_T
    if _PYTRACKING_T is None:
        _PYTRACKING_T = torch.arange(0.0, 1.0 + 0.05, 0.05, dtype=torch.float64).numpy()
    return _PYTRACKING_T


_PYTRACKING_T = None
PRECISION_T = np.arange(0, 51, dtype=np.float64)
NORM_PRECISION_T = np.arange(0, 51, dtype=np.float64) / 100
PROTOCOLS = ("pytracking", "pysot", "pysot-upstream")
RULES = tuple(EVAL_RULES)


class ResultError(UserError, ValueError):
    """A result that cannot be scored (wrong length, NaN, negative size...)."""


@dataclass
class ResultFile:
    """A parsed result file: boxes and the line number each came from (for error messages)."""

    path: Path | str
    boxes: np.ndarray                  # (N, 4) float64, as written (NaN kept)
    lines: np.ndarray = field(repr=False)

    def where(self, row: int) -> str:
        return f"{self.path}:{int(self.lines[row])}"


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


def check_result(result: ResultFile, frames: int, protocol: str, has_flags: bool, rules: str | None = None) -> None:
    """Refuse, naming file and line, what the protocol's toolkit refuses. ``rules`` default: ``lasot`` with
    flags, ``default`` without."""
    rules = rules or ("lasot" if has_flags else "default")
    boxes = result.boxes
    if protocol == "pytracking":
        bad = np.flatnonzero(np.isnan(boxes).any(1) | (boxes[:, 2:] < 0).any(1))
        if bad.size:
            raise ResultError(f"{result.where(bad[0])}: NaN or negative width/height, which the pytracking "
                              f"protocol does not score; fix the tracker's output for that frame")
        if rules == "lasot" and len(boxes) < frames:
            raise ResultError(f"{result.path}: {len(boxes)} boxes but the sequence has {frames} frames")
    elif len(boxes) != frames:
        raise ResultError(f"{result.path}: {len(boxes)} boxes but the sequence has {frames} frames "
                          f"(the {protocol} protocol scores only complete results)")


def sequence_curves(pred: np.ndarray, gt: np.ndarray, visible: np.ndarray | None = None,
                    protocol: str = "pytracking", rules: str | None = None) -> SequenceCurves:
    """``rules``: the dataset's (see the module's docstring); default ``lasot`` with flags, else ``default``."""
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    if visible is not None:
        visible = np.asarray(visible, dtype=bool)
    rules = rules or ("lasot" if visible is not None else "default")
    if rules not in RULES:
        raise ValueError(f"unknown scoring rules {rules!r}; use one of {', '.join(RULES)}")
    if protocol == "pytracking":
        iou, err, nerr = _pytracking_errors(pred, gt, visible, rules)
    elif protocol in ("pysot", "pysot-upstream"):
        if len(pred) != len(gt):
            raise ResultError(f"prediction has {len(pred)} frames but the ground truth has {len(gt)}")
        iou, err, nerr = _pysot_errors(pred, gt, visible, all_four=protocol == "pysot-upstream")
    else:
        raise ValueError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    n = len(gt)
    thresholds = pytracking_success_thresholds() if protocol == "pytracking" else SUCCESS_T
    with np.errstate(invalid="ignore"):
        return SequenceCurves(
            success=(iou[None, :] > thresholds[:, None]).sum(1) / n,
            precision=(err[None, :] <= PRECISION_T[:, None]).sum(1) / n,
            norm_precision=(nerr[None, :] <= NORM_PRECISION_T[:, None]).sum(1) / n,
            frames=n)


def _centers(boxes: np.ndarray) -> np.ndarray:
    return boxes[:, :2] + (boxes[:, 2:] - 1) / 2


def _pytracking_errors(pred, gt, visible, rules):
    if np.isnan(pred).any() or (pred[:, 2:] < 0).any():
        raise ResultError("NaN or negative width/height in the prediction")
    gt_nan = np.isnan(gt).any(1)
    if gt_nan.any() and rules != "uav":
        raise ResultError("NaN in the ground truth (the pytracking protocol scores it only for UAV123)")
    pred = pred[:len(gt)].copy()
    # zero-size predictions take the previous frame's box (unless that frame's GT has a NaN); runs of them
    # all take the last kept one
    zero = (pred[:, 2:] == 0).any(1) & ~gt_nan[:len(pred)]
    zero[0] = False
    if zero.any():
        idx = np.where(zero, 0, np.arange(len(pred)))
        np.maximum.accumulate(idx, out=idx)
        pred = pred[idx]
    if len(pred) < len(gt):
        if rules == "lasot":
            raise ResultError(f"prediction has {len(pred)} frames but the ground truth has {len(gt)}")
        pred = np.concatenate([pred, np.zeros((len(gt) - len(pred), 4))])
    pred[0] = gt[0]
    with np.errstate(invalid="ignore"):
        valid = (gt > 0).all(1)
    if visible is not None:
        valid &= visible
    tl = np.maximum(pred[:, :2], gt[:, :2])
    br = np.minimum(pred[:, :2] + pred[:, 2:] - 1, gt[:, :2] + gt[:, 2:] - 1)
    inter = np.clip(br - tl + 1, 0, None).prod(1)
    union = pred[:, 2:].prod(1) + gt[:, 2:].prod(1) - inter
    pc, gc = _centers(pred), _centers(gt)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / union
        err = np.sqrt(((pc - gc) ** 2).sum(1))
        nerr = np.sqrt(((pc / gt[:, 2:] - gc / gt[:, 2:]) ** 2).sum(1))
    iou[~valid] = -1.0
    err[~valid] = -1.0 if rules == "uav" else np.inf
    nerr[~valid] = -1.0
    if rules == "lasot" and visible is not None:
        err[~visible] = np.inf
        nerr[~visible] = np.inf
    return iou, err, nerr


def _pysot_errors(pred, gt, visible, all_four: bool):
    if visible is not None:
        pred, gt = pred[visible], gt[visible]
    iou = np.full(len(gt), -1.0)
    mask = (gt > 0).all(1) if all_four else (gt[:, 2:] > 0).all(1)
    g, p = gt[mask], pred[mask]
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.maximum(0, np.minimum(g[:, 0] + g[:, 2], p[:, 0] + p[:, 2]) - np.maximum(g[:, 0], p[:, 0]))
        height = np.maximum(0, np.minimum(g[:, 1] + g[:, 3], p[:, 1] + p[:, 3]) - np.maximum(g[:, 1], p[:, 1]))
        inter = width * height
        iou[mask] = np.clip(inter / (g[:, 2] * g[:, 3] + p[:, 2] * p[:, 3] - inter), 0, 1)
        gc, pc = _centers(gt), _centers(pred)
        err = _pysot_distance(gc, pc)
        size = gt[:, 2:] + 1e-16
        nerr = _pysot_distance(gc / size, pc / size)
    return iou, err, nerr


def _pysot_distance(gc: np.ndarray, pc: np.ndarray) -> np.ndarray:
    dist = np.full(len(gc), -1.0)
    mask = (gc > 0).all(1)
    dist[mask] = np.sqrt(((gc[mask] - pc[mask]) ** 2).sum(1))
    return dist


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


def read_result_file(path) -> ResultFile:
    """Parse one result file (``x,y,w,h`` per line, separated by commas, tabs or spaces; ``nan`` allowed here,
    each protocol decides in :func:`check_result`). Errors name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ResultError(f"{path}: cannot read ({e})") from None
    return parse_result_text(text, path)


def parse_result_text(text: str, path) -> ResultFile:
    """:func:`read_result_file` on a file's text; ``path`` names it in messages (a zip member's ``zip!member``)."""
    fast = parse_box_rows(text)
    if fast is not None:
        return ResultFile(path, fast, np.arange(1, len(fast) + 1))
    rows, lines = [], []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            values = split_numbers(line)
        except ValueError:
            raise ResultError(f"{path}:{i}: not numbers: {line!r}") from None
        if len(values) != 4:
            raise ResultError(f"{path}:{i}: expected x,y,w,h (4 values), got {len(values)}")
        rows.append(values)
        lines.append(i)
    if not rows:
        raise ResultError(f"{path}: no boxes in the file")
    return ResultFile(path, np.asarray(rows, dtype=np.float64).reshape(-1, 4), np.asarray(lines))


#: the box conventions ``ltr score --box-format`` reads: x,y,w,h (every benchmark's), and x1,y1,x2,y2
BOX_FORMATS = ("xywh", "xyxy")


def as_xywh(boxes: np.ndarray, box_format: str) -> np.ndarray:
    """``boxes`` in x,y,w,h (``xyxy``: width and height are x2 - x1 and y2 - y1)."""
    if box_format == "xywh":
        return boxes
    if box_format != "xyxy":
        raise ResultError(f"box format {box_format!r}: expected one of {', '.join(BOX_FORMATS)}")
    out = boxes.copy()
    out[:, 2:] = boxes[:, 2:] - boxes[:, :2]
    return out


def box_overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of each row of ``a`` with the same row of ``b`` (x,y,w,h boxes), a box of ``a`` of negative size
    overlapping nothing, and 0 where the union is empty."""
    tl = np.maximum(a[:, :2], b[:, :2])
    br = np.minimum(a[:, :2] + a[:, 2:], b[:, :2] + b[:, 2:])
    inter = np.clip(br - tl, 0, None).prod(1)
    union = np.clip(a[:, 2:], 0, None).prod(1) + b[:, 2:].prod(1) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _mean_overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Mean IoU of x,y,w,h boxes, a box of negative size overlapping nothing."""
    return float(np.mean(box_overlaps(a, b)))


def convention_problem(boxes: np.ndarray, gt: np.ndarray) -> str | None:
    """Why boxes given as x,y,w,h are probably not, or None: a negative width or height on most frames, or boxes
    that overlap the ground truth far better read as x1,y1,x2,y2 (mean IoU over 0.15 and more than twice the x,y,w,h
    reading's), on the frames where both are finite and the target is annotated."""
    n = min(len(boxes), len(gt))
    b, g = boxes[:n], gt[:n]
    ok = np.isfinite(b).all(1) & np.isfinite(g).all(1) & (g[:, 2:] > 0).all(1)
    if ok.sum() < 2:
        return None
    b, g = b[ok], g[ok]
    negative = float((b[:, 2:] < 0).any(1).mean())
    if negative > 0.5:
        return f"{negative:.0%} of the boxes have a negative width or height read as x,y,w,h"
    plain, corners = _mean_overlap(b, g), _mean_overlap(as_xywh(b, "xyxy"), g)
    if corners > 0.15 and corners > 2 * plain:
        return (f"read as x1,y1,x2,y2 the boxes overlap the ground truth far better (mean IoU {corners:.2f} against "
                f"{plain:.2f} as x,y,w,h)")
    return None
