"""Score result folders against a dataset's ground truth: tables, JSON and plots."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np

from ltr_core.evaluation.metrics import (NORM_PRECISION_T, PRECISION_T, SUCCESS_T, ResultError, as_xywh, check_result,
                                         convention_problem, dataset_scores, parse_result_text, sequence_curves)
from ltr_core.evaluation.published import Run, flat_folder
from ltr_core.evaluation.plots import plot_curves
from ltr_core.track.runner import EvalSequence


def score_folder(results_dir: Path, seqs: list[EvalSequence], protocol: str) -> dict:
    """Score a folder of ``<seq>.txt`` files (what ``ltr eval`` writes)."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise ResultError(f"results folder {results_dir} does not exist")
    return score_run(flat_folder(results_dir), seqs, protocol, box_format=None)


def score_run(run: Run, seqs: list[EvalSequence], protocol: str, box_format: str | None = "xywh") -> dict:
    """Score one run of a result set (:mod:`ltr_core.evaluation.published`) on ``seqs``. Boxes said to be x,y,w,h
    that look like another convention are refused with a hint (:func:`convention_problem`); ``box_format="xyxy"``
    converts x1,y1,x2,y2 boxes first; ``None``: x,y,w,h that ltr wrote itself, not checked."""
    per_seq = {}
    for seq in seqs:
        path = run.where(seq.name)
        text = run.read(seq.name)
        if text is None:
            raise ResultError(f"{path}: missing result for sequence {seq.name} (run `ltr eval` to produce it, or "
                              "score the sequences every result set has with --skip-missing)")
        result = parse_result_text(text, path)
        if box_format == "xywh":
            problem = convention_problem(result.boxes, seq.gt)
            if problem:
                raise ResultError(f"{path}: {problem}; if the file holds x1,y1,x2,y2 boxes, score it with "
                                  "--box-format xyxy")
        elif box_format is not None:
            result.boxes = as_xywh(result.boxes, box_format)
        check_result(result, len(seq), protocol, has_flags=seq.visible is not None, rules=seq.rules)
        try:
            per_seq[seq.name] = sequence_curves(result.boxes, seq.gt, seq.visible, protocol, seq.rules)
        except ResultError as e:
            raise ResultError(f"{path}: {e}") from None
    scores = dataset_scores(list(per_seq.values()))
    scores["per_sequence"] = {n: {"auc": 100 * c.auc, "precision": 100 * c.prec20,
                                  "norm_precision": 100 * c.norm_prec} for n, c in per_seq.items()}
    scores["per_sequence_curves"] = {n: {"success": c.success.tolist(), "precision": c.precision.tolist(),
                                         "norm_precision": c.norm_precision.tolist()} for n, c in per_seq.items()}
    return scores


RUN_SUFFIX = re.compile(r"^(.*)_run\d{3}$")


def over_runs(scores: dict[str, dict]) -> dict[str, dict]:
    """Results whose labels differ only by a ``_runNNN`` suffix, merged: mean and standard deviation (ddof=1)
    of AUC, precision and normalized precision over the runs. Labels without a suffix are left out."""
    groups: dict[str, list[dict]] = {}
    for label, s in scores.items():
        m = RUN_SUFFIX.match(label)
        if m:
            groups.setdefault(m.group(1), []).append(s)
    out = {}
    for base, members in groups.items():
        row = {"runs": len(members), "sequences": members[0]["sequences"]}
        for key in ("auc", "precision", "norm_precision"):
            v = np.array([s[key] for s in members])
            row[key], row[f"{key}_std"] = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
        out[base] = row
    return out


def run_groups(labels: list[str]) -> dict[str, list[str]]:
    """Labels grouped as :func:`over_runs` merges them: ``base -> [base_run000, ...]``; a label without a
    ``_runNNN`` suffix is a group of its own."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        m = RUN_SUFFIX.match(label)
        groups.setdefault(m.group(1) if m else label, []).append(label)
    return groups


def labels_for(paths: list, benchmark: str | None = None) -> list[str]:
    """A label per results folder: the shortest path suffix (at least two components) that tells the folders
    apart, after dropping a last component they all share (``ltr eval`` writes ``<run>/<dataset>``), so
    ``results/mytracker/demo/demo`` is ``mytracker/demo``. A single folder loses its last component only when
    that is the ``benchmark``'s name (when given), so a published ``raw/mytracker`` keeps that name. A folder given
    twice gets its full path both times."""
    parts = [Path(p).resolve().parts for p in paths]
    if len(parts) > 1 and len({p[-1] for p in parts}) == 1 and all(len(p) > 2 for p in parts):
        parts = [p[:-1] for p in parts]
    elif len(parts) == 1 and len(parts[0]) > 2 and benchmark in (None, parts[0][-1]):
        parts = [parts[0][:-1]]
    longest = max(len(p) for p in parts)
    for k in range(min(2, longest), longest + 1):
        labels = ["/".join(p[-k:]) for p in parts]
        if len(set(labels)) == len(labels):
            return labels
    return [str(Path(p).resolve()) for p in paths]


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
    merged = over_runs(scores)
    if merged:
        width = max(len(b) for b in list(merged) + ["over runs"])
        lines += ["", f"{'over runs':<{width}}  {'runs':>4}  {'AUC':>11}  {'P@20':>11}  {'NP@0.2':>11}"]
        for base, m in merged.items():
            lines.append(f"{base:<{width}}  {m['runs']:4d}  " + "  ".join(
                f"{m[k]:5.1f} ± {m[k + '_std']:3.1f}" for k in ("auc", "precision", "norm_precision")))
    return "\n".join(lines)


def summary_rows(scores: dict[str, dict]) -> list[dict]:
    """One row per result folder, then one per group of runs (mean and standard deviation)."""
    rows = [{"results": l, "runs": 1, "sequences": s["sequences"],
             **{k: s[k] for k in ("auc", "precision", "norm_precision")},
             **{f"{k}_std": None for k in ("auc", "precision", "norm_precision")}} for l, s in scores.items()]
    rows += [{"results": b, **m} for b, m in over_runs(scores).items()]
    return rows


def format_csv(scores: dict[str, dict]) -> str:
    cols = ["results", "runs", "sequences", "auc", "auc_std", "precision", "precision_std", "norm_precision",
            "norm_precision_std"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, cols, lineterminator="\n")
    w.writeheader()
    for r in summary_rows(scores):
        w.writerow({k: ("" if r[k] is None else r[k] if k in ("results", "runs", "sequences") else f"{r[k]:.2f}")
                    for k in cols})
    return buf.getvalue().rstrip("\n")


#: LaTeX's ten special characters and what prints each in text mode
TEX_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "_": r"\_",
               "%": r"\%", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}


def _tex(text: str) -> str:
    """``text`` for LaTeX's text mode: each special character replaced in one pass (so that an escape's own
    braces are not escaped again)."""
    return "".join(TEX_ESCAPES.get(c, c) for c in text)


def format_latex(scores: dict[str, dict], dataset: str) -> str:
    """A booktabs table for a paper: AUC, precision and normalized precision (mean and std for runs)."""
    lines = [r"\begin{tabular}{lccc}", r"\toprule",
             rf"Tracker ({_tex(dataset)}) & AUC (\%) & P (\%) & P$_\mathrm{{norm}}$ (\%) \\", r"\midrule"]
    for r in summary_rows(scores):
        cells = [f"{r[k]:.1f}" if r[f"{k}_std"] is None or r["runs"] == 1 else f"{r[k]:.1f} $\\pm$ {r[k + '_std']:.1f}"
                 for k in ("auc", "precision", "norm_precision")]
        lines.append(f"{_tex(r['results'])} & " + " & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def format_attribute_latex(per_attribute: dict[str, dict[str, dict]], dataset: str) -> str:
    """AUC per attribute (columns) and result set (rows), booktabs, with each attribute's sequence count."""
    labels = list(next(iter(per_attribute.values())))
    names = list(per_attribute)
    counts = [next(iter(per_attribute[a].values()))["sequences"] for a in names]
    lines = [r"\begin{tabular}{l" + "c" * len(names) + "}", r"\toprule",
             f"AUC (\\%) ({_tex(dataset)}) & " + " & ".join(f"{_tex(a)} ({n})" for a, n in zip(names, counts))
             + r" \\", r"\midrule"]
    for l in labels:
        lines.append(f"{_tex(l)} & " + " & ".join(f"{per_attribute[a][l]['auc']:.1f}" if l in per_attribute[a]
                                                  else "--" for a in names) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)
