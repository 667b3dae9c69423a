"""Regenerate the published-results golden fixture: result sets in the layouts trackers release them in, scored
by pytracking's own analysis code.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    pip install tqdm matplotlib pandas                 # what pytracking's analysis imports
    python tests/golden/regenerate_published.py /tmp/pytracking

Writes ``tests/data/published/`` over the LaSOT tree of ``tests/data/scoring/lasot`` (its eight sequences: borders,
zero-size and absent ground truth, exact thresholds):

* ``atom/default_000`` .. ``default_002``: pytracking's layout, three runs, tab-separated integer boxes;
* ``pysot-tracker/``: pysot's layout, comma-separated floats, without ``rule-2``;
* ``ostrack.zip``: OSTrack's ``ostrack/vitb_256_mae_ce_32x4_ep300/lasot/<seq>.txt`` (tab-separated integers),
  zipped (pytracking reads the same files unzipped);

and ``golden.json``: pytracking's ``extract_results`` over the three trackers with ``skip_missing_seq=True`` (so
``rule-2`` is left out for all), then ``print_results``'s ``merge_results=True`` (``merge_multiple_runs``) and its
``get_auc_curve``/``get_prec_curve``: AUC, precision and normalized precision per tracker, and the sequences scored.
The boxes are the ground truth moved by seeded noise (sizes kept at least 1 px), so no toolkit refuses a file.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import tempfile
import types
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import regenerate_scores as base  # noqa: E402  the harness that imports pytracking with stubs

TREE = HERE.parent / "data" / "scoring" / "lasot"
OUT = HERE.parent / "data" / "published"
NAMES = [f"rule-{i}" for i in range(1, 9)]
OSTRACK = "ostrack/vitb_256_mae_ce_32x4_ep300/lasot"


def _gt(name: str) -> np.ndarray:
    return np.loadtxt(TREE / "rule" / name / "groundtruth.txt", delimiter=",", dtype=np.float64).reshape(-1, 4)


def _boxes(gt: np.ndarray, rng: np.random.Generator, spread: float) -> np.ndarray:
    moved = gt + rng.normal(0.0, spread, gt.shape) * np.maximum(gt[:, 2:3], 8.0) / 10
    moved[:, 2:] = np.maximum(moved[:, 2:], 1.0)
    return moved


def write_sets() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    for run in range(3):
        folder = OUT / "atom" / f"default_{run:03d}"
        folder.mkdir(parents=True)
        for i, name in enumerate(NAMES):
            b = np.round(_boxes(_gt(name), np.random.default_rng([run, i]), 2.0 + run)).astype(int)
            np.savetxt(folder / f"{name}.txt", b, delimiter="\t", fmt="%d")
            (folder / f"{name}_time.txt").write_text("0.01\n" * len(b))       # pytracking writes these too
    folder = OUT / "pysot-tracker"
    folder.mkdir(parents=True)
    for i, name in enumerate(NAMES):
        if name != "rule-2":
            b = _boxes(_gt(name), np.random.default_rng([7, i]), 4.0)
            (folder / f"{name}.txt").write_text("".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in b))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / OSTRACK
        folder.mkdir(parents=True)
        for i, name in enumerate(NAMES):
            b = np.round(_boxes(_gt(name), np.random.default_rng([9, i]), 6.0)).astype(int)
            np.savetxt(folder / f"{name}.txt", b, delimiter="\t", fmt="%d")
        with zipfile.ZipFile(OUT / "ostrack.zip", "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(Path(tmp).rglob("*.txt")):
                z.write(f, f.relative_to(tmp).as_posix())


def run_pytracking(root: Path) -> dict:
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        base.import_pytracking_analysis(root, Path(tmp) / "plots")
        extract = importlib.import_module("pytracking.analysis.extract_results")
        plot = importlib.import_module("pytracking.analysis.plot_results")
        lasot_mod = importlib.import_module("pytracking.evaluation.lasotdataset")
        ds = lasot_mod.LaSOTDataset.__new__(lasot_mod.LaSOTDataset)
        ds.base_path, ds.vos_mode = str(TREE), False
        seqs = [ds._construct_sequence(n) for n in NAMES]
        with zipfile.ZipFile(OUT / "ostrack.zip") as z:
            z.extractall(tmp)

        def tracker(name, param, results_dir, run_id=None):
            return types.SimpleNamespace(name=name, parameter_name=param, run_id=run_id, display_name=None,
                                         results_dir=str(results_dir))

        trackers = [tracker("atom", "default", OUT / "atom" / f"default_{r:03d}", r) for r in range(3)]
        trackers += [tracker("pysot", "tracker", OUT / "pysot-tracker"),
                     tracker("ostrack", "vitb_256", Path(tmp) / OSTRACK)]
        data = extract.extract_results(trackers, seqs, "published", skip_missing_seq=True, verbose=False)
        data = plot.merge_multiple_runs(data)
        valid = torch.tensor(data["valid_sequence"], dtype=torch.bool)
        _, auc = plot.get_auc_curve(torch.tensor(data["ave_success_rate_plot_overlap"]), valid)
        _, prec = plot.get_prec_curve(torch.tensor(data["ave_success_rate_plot_center"]), valid)
        _, norm = plot.get_prec_curve(torch.tensor(data["ave_success_rate_plot_center_norm"]), valid)
    names = {"atom": "atom", "pysot": "pysot-tracker", "ostrack": "ostrack"}
    return {"sequences": [n for n, v in zip(NAMES, data["valid_sequence"]) if v],
            "trackers": {names[t["name"]]: {"auc": auc[i].item(), "precision": prec[i].item(),
                                            "norm_precision": norm[i].item()}
                         for i, t in enumerate(data["trackers"])}}


def main(pytracking_root: str) -> None:
    write_sets()
    golden = run_pytracking(Path(pytracking_root).resolve())
    (OUT / "golden.json").write_text(json.dumps(golden, indent=1) + "\n")
    print(json.dumps(golden, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])
