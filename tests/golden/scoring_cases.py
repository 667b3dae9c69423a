"""Ground truth and results that hit every rule of the two scoring conventions, written as files.

Two trees with the same sequences: ``lasot/`` (LaSOT layout, with ``full_occlusion.txt`` and ``out_of_view.txt``)
and ``got10k/val/`` (GOT-10k layout, no visibility flags used in evaluation), plus ``results/`` with one
``<sequence>.txt`` per sequence. Deterministic: a PCG64 stream per sequence.

Sequences (LaSOT names ``rule-N``, GOT-10k names ``GOT-10k_Val_00000N``):
1. borders: GT touching the left/top border, zero-size GT without flags, fully occluded and out-of-view spells
   (zero GT while out of view), a frame both occluded and out of view; predictions near and far from the GT.
2. zeropred: a zero-size raw first prediction, a zero-size second one, runs of zero-size predictions, one where
   the GT is zero.
3. tabs: a tab-separated result file.
4. negative: a negative predicted width (pytracking stops; pysot scores it).
5. nan: a NaN prediction (pytracking stops; pysot scores it as a miss).
6. longer: three result lines more than frames.
7. shorter: five result lines fewer than frames.
8. thresholds: integer ground truth with predictions whose overlap or centre distance lands exactly on a
   threshold: IoU 0.5 (a same-size box shifted by a third of its width), 0.65 and 0.75 (boxes inside the ground
   truth), overlaps computed as 0.6500000000000001 and 0.7500000000000001 (pytracking's 14th and 16th
   thresholds, built with torch.arange; NumPy's arange gives 0.65 and 0.75), centre errors of exactly 10 and
   20 pixels and a normalised error of 0.2.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

W, H = 320, 240
NAMES = ["borders", "zeropred", "tabs", "negative", "nan", "longer", "shorter", "thresholds"]

# (ground truth, prediction) pairs of the thresholds case, frame 1 on (frame 0 is the ground truth)
THRESHOLD_PAIRS = [
    ([100, 80, 30, 30], [110, 80, 30, 30]),               # IoU 0.5 exactly; centre error 10
    ([100, 80, 40, 40], [100, 80, 40, 30]),               # IoU 0.75 exactly
    ([100, 80, 20, 20], [100, 80, 20, 13]),               # IoU 0.65 exactly
    ([100, 80, 50, 40], [103.21, 88.12, 41.6, 31.25]),    # IoU computed as 0.6500000000000001
    ([100, 80, 50, 40], [97.85, 72.7, 56.25, 47.2]),      # IoU computed as 0.7500000000000001
    ([100, 80, 50, 40], [112, 96, 50, 40]),               # centre error 20 exactly
    ([100, 80, 50, 40], [110, 80, 50, 40]),               # normalised centre error 0.2
    ([60, 50, 30, 30], [70, 50, 30, 30]),                 # IoU 0.5 again, elsewhere
]


def lasot_name(i: int) -> str:
    return f"rule-{i + 1}"


def got10k_name(i: int) -> str:
    return f"GOT-10k_Val_{i + 1:06d}"


def _gt(rng, n: int) -> np.ndarray:
    xy = np.array([100.0, 80.0])
    wh = np.array([50.0, 40.0])
    rows = []
    for _ in range(n):
        xy = np.clip(xy + rng.integers(-6, 7, 2), 1, [W - 90, H - 90])
        wh = np.clip(wh + rng.integers(-3, 4, 2), 12, 80)
        rows.append([*xy, *wh])
    return np.array(rows, np.float64)


def _pred(rng, gt: np.ndarray) -> np.ndarray:
    """Near the GT in most frames, far off in some, rounded to 4 decimals like a tracker's output."""
    noise = rng.normal(0, 1, gt.shape) * np.where(rng.random((len(gt), 1)) < 0.2, 40.0, 4.0)
    pred = gt + noise
    pred[:, 2:] = np.abs(pred[:, 2:]) + 1
    return np.round(pred, 4)


def build(seed: int = 0, frames: int = 40):
    """``{name: (gt, occlusion, out_of_view, pred)}`` for the seven sequences."""
    cases = {}
    for i, name in enumerate(NAMES):
        rng = np.random.default_rng([seed, i])
        gt = _gt(rng, frames)
        occ = np.zeros(frames, np.uint8)
        oov = np.zeros(frames, np.uint8)
        pred = _pred(rng, gt)
        if name == "borders":
            gt[3, 0] = 0                       # touches the left border
            gt[4, 0] = 0
            gt[5, 1] = 0                       # touches the top border
            gt[6, :2] = 0
            gt[7, 2] = 0                       # zero width, no flag
            gt[8, 3] = 0                       # zero height, no flag
            occ[10:14] = 1                     # fully occluded, box still annotated
            oov[15:19] = 1                     # out of view: zero box
            gt[15:19] = 0
            occ[20] = oov[20] = 1
            gt[20] = 0
            pred[3:7, :2] = gt[3:7, :2] + 0.4  # predictions that would match the border boxes well
            pred[11] = gt[11]                  # exact hit while occluded
            pred[16] = [0.5, 0.5, 10, 10]
        elif name == "zeropred":
            pred[0] = [5, 5, 0, 0]             # raw first prediction: zero size
            pred[1, 2] = 0                     # takes the raw first prediction in pytracking
            pred[5:8, 3] = 0                   # a run
            pred[9, 2:] = 0
            gt[12] = 0
            oov[12] = 1
            pred[12, 2] = 0
        elif name == "negative":
            pred[7, 2] = -3.5
        elif name == "nan":
            pred[9, 1] = np.nan
        elif name == "longer":
            pred = np.concatenate([pred, pred[-3:] + 1])
        elif name == "shorter":
            pred = pred[:-5]
        elif name == "thresholds":
            for k, (g, p) in enumerate(THRESHOLD_PAIRS * 3, start=1):
                gt[k], pred[k] = g, p
            pred[0] = gt[0]
        cases[name] = (gt, occ, oov, pred)
    return cases


def uav_gt(gt: np.ndarray, name: str) -> np.ndarray:
    """UAV123 marks frames without the target by NaN ground truth: the cases' spells become NaN rows there."""
    gt = gt.copy()
    if name == "borders":
        gt[15:21] = np.nan                     # the out-of-view spell
    elif name == "zeropred":
        gt[9] = np.nan                         # where the prediction has zero size: no zero-size fix
        gt[12] = np.nan
        gt[13] = np.nan                        # the next prediction is fine
    elif name == "tabs":
        gt[0:1, 2] = gt[0, 2]                  # unchanged first frame
        gt[30:33] = np.nan
    return gt


def extension_visible(occ: np.ndarray, oov: np.ndarray) -> np.ndarray:
    return (occ == 0) & (oov == 0)


def _fmt(v: float) -> str:
    return "nan" if np.isnan(v) else f"{v:g}"


def write(out: Path, seed: int = 0) -> None:
    out = Path(out)
    for i, (name, (gt, occ, oov, pred)) in enumerate(build(seed).items()):
        lasot = out / "lasot" / "rule" / lasot_name(i)
        got = out / "got10k" / "val" / got10k_name(i)
        for d in (lasot, got):
            (d / "img" if d is lasot else d).mkdir(parents=True, exist_ok=True)
            (d / "groundtruth.txt").write_text("".join(",".join(f"{v:g}" for v in r) + "\n" for r in gt))
            (((d / "img") if d is lasot else d) / "00000001.jpg").write_bytes(b"")
        (lasot / "full_occlusion.txt").write_text(",".join(str(v) for v in occ) + "\n")
        (lasot / "out_of_view.txt").write_text(",".join(str(v) for v in oov) + "\n")
        (lasot / "nlp.txt").write_text(f"the {name} case\n")
        sep = "\t" if name == "tabs" else ","
        lines = "".join(sep.join(_fmt(v) for v in r) + "\n" for r in pred)
        for results, seq in (("results/lasot", lasot_name(i)), ("results/got10k", got10k_name(i))):
            (out / results).mkdir(parents=True, exist_ok=True)
            (out / results / f"{seq}.txt").write_text(lines)
    (out / "got10k" / "val" / "list.txt").write_text("".join(got10k_name(i) + "\n" for i in range(len(NAMES))))
