"""Score result folders against a dataset's ground truth: tables, JSON and plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ltr_core.evaluation.metrics import (NORM_PRECISION_T, PRECISION_T, SUCCESS_T, ResultError, check_result,
                                         dataset_scores, read_result_file, sequence_curves)
from ltr_core.evaluation.plots import plot_curves
from ltr_core.track.runner import EvalSequence


def score_folder(results_dir: Path, seqs: list[EvalSequence], protocol: str) -> dict:
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise ResultError(f"results folder {results_dir} does not exist")
    per_seq = {}
    for seq in seqs:
        path = results_dir / f"{seq.name}.txt"
        if not path.is_file():
            raise ResultError(f"{path}: missing result for sequence {seq.name} (run `ltr eval` to produce it)")
        result = read_result_file(path)
        check_result(result, len(seq), protocol, has_flags=seq.visible is not None)
        try:
            per_seq[seq.name] = sequence_curves(result.boxes, seq.gt, seq.visible, protocol)
        except ResultError as e:
            raise ResultError(f"{path}: {e}") from None
    scores = dataset_scores(list(per_seq.values()))
    scores["per_sequence"] = {n: {"auc": 100 * c.auc, "precision": 100 * c.prec20,
                                  "norm_precision": 100 * c.norm_prec} for n, c in per_seq.items()}
    scores["per_sequence_curves"] = {n: {"success": c.success.tolist(), "precision": c.precision.tolist(),
                                         "norm_precision": c.norm_precision.tolist()} for n, c in per_seq.items()}
    return scores


def label_for(path: Path) -> str:
    parts = Path(path).resolve().parts
    return "/".join(parts[-3:-1]) if len(parts) >= 3 else str(path)


def write_plots(scores: dict[str, dict], out_dir: Path, dataset: str) -> list[Path]:
    out_dir = Path(out_dir)
    return [
        plot_curves(out_dir / "success.png", f"Success plot ({dataset})", SUCCESS_T,
                    {k: (np.array(v["success_curve"]), v["auc"]) for k, v in scores.items()}, "overlap threshold"),
        plot_curves(out_dir / "precision.png", f"Precision plot ({dataset})", PRECISION_T,
                    {k: (np.array(v["precision_curve"]), v["precision"]) for k, v in scores.items()},
                    "location error threshold (px)"),
        plot_curves(out_dir / "norm_precision.png", f"Normalized precision plot ({dataset})", NORM_PRECISION_T,
                    {k: (np.array(v["norm_precision_curve"]), v["norm_precision"]) for k, v in scores.items()},
                    "normalized location error threshold"),
    ]


def format_tables(scores: dict[str, dict], per_sequence: bool = True) -> str:
    lines = []
    labels = list(scores)
    if per_sequence:
        names = list(next(iter(scores.values()))["per_sequence"])
        width = max(len(n) for n in names + ["sequence"])
        lines.append(f"{'sequence':<{width}}  " + "  ".join(f"{'AUC ' + l[-18:]:>24}" for l in labels))
        for n in names:
            lines.append(f"{n:<{width}}  " + "  ".join(f"{scores[l]['per_sequence'][n]['auc']:>24.1f}" for l in labels))
        lines.append("")
    width = max(len(l) for l in labels + ["results"])
    lines.append(f"{'results':<{width}}  {'AUC':>6}  {'P@20':>6}  {'NP@0.2':>6}  {'seqs':>5}")
    for l in labels:
        s = scores[l]
        lines.append(f"{l:<{width}}  {s['auc']:6.1f}  {s['precision']:6.1f}  {s['norm_precision']:6.1f}  "
                     f"{s['sequences']:5d}")
    return "\n".join(lines)
