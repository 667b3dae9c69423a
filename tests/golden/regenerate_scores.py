"""Regenerate the scoring golden fixture by running the toolkits' own code on ``scoring_cases``.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    git clone https://github.com/StrangerZhang/pysot-toolkit /tmp/pysot-toolkit
    git clone https://github.com/chenxin-dlut/HCAT /tmp/HCAT
    pip install numba pandas matplotlib colorama tqdm     # what the toolkits import
    python tests/golden/regenerate_scores.py /tmp/pytracking /tmp/pysot-toolkit /tmp/HCAT

Writes ``tests/data/scoring/`` (the input trees and result files) and ``tests/data/scoring/golden_scores.json``:
for each protocol (``pytracking``; ``pysot`` = HCAT's copy of the pysot toolkit, which HCAT's paper numbers
come from; ``pysot-upstream`` = StrangerZhang/pysot-toolkit) and each dataset kind (``lasot`` with visibility
flags, ``got10k`` without), the per-sequence curves, the dataset curves and scores, and the error each
toolkit raises for the sequences it refuses.

The toolkits are imported, not copied: what their import chains pull in but scoring never uses (trackers,
image loaders, the compiled VOT region module, tikzplotlib) is stubbed. pytracking runs ``extract_results``
(``calc_seq_err_robust`` per sequence and its float32 averaging) on Sequence objects built by its own LaSOT and
GOT-10k dataset classes, then ``get_auc_curve``/``get_prec_curve`` as ``print_results`` does. The pysot
toolkits run ``OPEBenchmark.eval_success/eval_precision/eval_norm_precision`` on their own LaSOT/GOT-10k video
classes, results loaded by their ``load_tracker`` (which cannot parse tab-separated files, so they read a
comma-separated copy of the ``tabs`` case).
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import tempfile
import types
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).parent
OUT = HERE.parent / "data" / "scoring"
sys.path.insert(0, str(HERE))
import scoring_cases as cases  # noqa: E402

SEQ_IDS = range(len(cases.NAMES))


def _namespace(name: str, path: Path | None = None) -> types.ModuleType:
    mod = types.ModuleType(name)
    if path is not None:
        mod.__path__ = [str(path)]
    sys.modules[name] = mod
    return mod


def _forget(prefixes: tuple[str, ...]) -> None:
    for name in list(sys.modules):
        if name.split(".")[0] in prefixes:
            del sys.modules[name]


def import_pytracking_analysis(root: Path, plots: Path) -> None:
    """Make pytracking's analysis and evaluation modules importable from the checkout at ``root``, with the
    packages around them as bare namespaces (their ``__init__`` files import trackers and CUDA code), the image
    and TikZ libraries stubbed, and its ``local.py`` settings pointing its plots at ``plots``."""
    _forget(("pytracking", "ltr"))
    sys.path.insert(0, str(root))
    for pkg in ("pytracking", "pytracking/evaluation", "pytracking/analysis", "pytracking/utils", "ltr", "ltr/data"):
        _namespace(pkg.replace("/", "."), root / pkg)
    _namespace("jpeg4py")
    _namespace("tikzplotlib")
    local = _namespace("pytracking.evaluation.local")
    local.local_env_settings = lambda: types.SimpleNamespace(result_plot_path=str(plots))


def run_pytracking(root: Path, plots: Path) -> dict:
    import torch

    import_pytracking_analysis(root, plots)
    extract = importlib.import_module("pytracking.analysis.extract_results")
    plot = importlib.import_module("pytracking.analysis.plot_results")
    lasot_mod = importlib.import_module("pytracking.evaluation.lasotdataset")
    got_mod = importlib.import_module("pytracking.evaluation.got10kdataset")
    data_mod = importlib.import_module("pytracking.evaluation.data")

    out = {}
    for kind in ("lasot", "got10k", "uav", "otb", "lasot_extension"):
        if kind == "lasot":
            ds = lasot_mod.LaSOTDataset.__new__(lasot_mod.LaSOTDataset)
            ds.base_path, names = str(OUT / "lasot"), [cases.lasot_name(i) for i in SEQ_IDS]
        elif kind == "got10k":
            ds = got_mod.GOT10KDataset.__new__(got_mod.GOT10KDataset)
            ds.base_path, names = str(OUT / "got10k" / "val"), [cases.got10k_name(i) for i in SEQ_IDS]
        if kind in ("lasot", "got10k"):
            ds.vos_mode = False
            seqs = [ds._construct_sequence(n) for n in names]
            results_dir = OUT / "results" / kind
        else:
            # the per-dataset rules of calc_seq_err_robust, keyed by Sequence.dataset: the cases' ground truth
            # (UAV: with NaN rows; LaSOT extension: with its flags) and the same result files
            seqs = []
            for i, (name, (gt, occ, oov, _)) in zip(SEQ_IDS, cases.build().items()):
                if kind == "uav":
                    seqs.append(data_mod.Sequence(cases.got10k_name(i), [], "uav", cases.uav_gt(gt, name)))
                elif kind == "otb":
                    seqs.append(data_mod.Sequence(cases.got10k_name(i), [], "otb", gt))
                else:
                    seqs.append(data_mod.Sequence(cases.lasot_name(i), [], "lasot_extension_subset", gt,
                                                  target_visible=cases.extension_visible(occ, oov)))
            results_dir = OUT / "results" / ("lasot" if kind == "lasot_extension" else "got10k")
        errors, scored = {}, []
        for seq in seqs:
            pred = torch.tensor(extract.load_text(str(results_dir / f"{seq.name}.txt"), delimiter=("\t", ","),
                                                  dtype=np.float64))
            vis = torch.tensor(seq.target_visible, dtype=torch.uint8) if seq.target_visible is not None else None
            try:
                extract.calc_seq_err_robust(pred, torch.tensor(seq.ground_truth_rect), seq.dataset, vis)
                scored.append(seq)
            except Exception as e:  # the toolkit's refusal is part of the fixture
                errors[seq.name] = str(e)
        tracker = types.SimpleNamespace(results_dir=str(results_dir), name="ltr", parameter_name="golden",
                                        run_id=None, display_name=None)
        data = extract.extract_results([tracker], scored, f"golden_{kind}", verbose=False)
        valid = torch.tensor(data["valid_sequence"], dtype=torch.bool)
        auc_curve, auc = plot.get_auc_curve(torch.tensor(data["ave_success_rate_plot_overlap"]), valid)
        prec_curve, prec = plot.get_prec_curve(torch.tensor(data["ave_success_rate_plot_center"]), valid)
        norm_curve, norm = plot.get_prec_curve(torch.tensor(data["ave_success_rate_plot_center_norm"]), valid)
        out[kind] = {
            "per_sequence": {s.name: {"success": data["ave_success_rate_plot_overlap"][i][0],
                                      "precision": data["ave_success_rate_plot_center"][i][0],
                                      "norm_precision": data["ave_success_rate_plot_center_norm"][i][0]}
                             for i, s in enumerate(scored)},
            "dataset": {"auc": auc.item(), "precision": prec.item(), "norm_precision": norm.item(),
                        "success_curve": auc_curve[0].tolist(), "precision_curve": prec_curve[0].tolist(),
                        "norm_precision_curve": norm_curve[0].tolist()},
            "errors": errors,
        }
    return out


def run_pysot(package_root: Path, package: str, plots: Path) -> dict:
    """``package``: ``pysot`` (upstream) or ``pysot_toolkit.toolkit`` (HCAT's copy)."""
    _forget(("pysot", "pysot_toolkit"))
    sys.path.insert(0, str(package_root))
    top = package.split(".")[0]
    _namespace(top, package_root / top)
    if package != top:
        _namespace(package, package_root / package.replace(".", "/"))
    _namespace(f"{package}.utils.region")
    utils = importlib.import_module(f"{package}.utils")
    ope = importlib.import_module(f"{package}.evaluation.ope_benchmark")
    lasot = importlib.import_module(f"{package}.datasets.lasot")
    got = importlib.import_module(f"{package}.datasets.got10k")
    uav = importlib.import_module(f"{package}.datasets.uav")
    del utils

    out = {}
    for kind in ("lasot", "got10k", "uav"):
        results = plots / kind / "ltr"
        results.mkdir(parents=True, exist_ok=True)
        videos, errors = [], {}
        for i, (name, (gt, occ, oov, _)) in zip(SEQ_IDS, cases.build().items()):
            seq = cases.lasot_name(i) if kind == "lasot" else cases.got10k_name(i)
            source = "got10k" if kind == "uav" else kind
            text = (OUT / "results" / source / f"{seq}.txt").read_text().replace("\t", ",")
            (results / f"{seq}.txt").write_text(text)
            img = f"{kind}/{seq}/00000001.jpg"
            (plots / img).parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(plots / img), np.zeros((8, 8, 3), np.uint8))   # Video reads the first frame's size
            if kind == "uav":
                gt = cases.uav_gt(gt, name)
            gt_list = gt.tolist()
            if kind == "uav":
                v = uav.UAVVideo(seq, str(plots), seq, gt_list[0], [img], gt_list, None)
            elif kind == "lasot":
                # pysot's LaSOT.json stores per frame 1 where the target is present (it keeps `absent == 1`)
                absent = (1 - ((occ == 1) | (oov == 1))).astype(int).tolist()
                v = lasot.LaSOTVideo(seq, str(plots), seq, gt_list[0], [img], gt_list, None, absent)
            else:
                v = got.GOT10kVideo(seq, str(plots), seq, gt_list[0], [img], gt_list, None)
            v.pred_trajs["ltr"] = v.load_tracker(str(plots / kind), "ltr", False)
            videos.append(v)
        scored = []
        for v in videos:
            bench = ope.OPEBenchmark([v])
            try:
                bench.eval_success("ltr"), bench.eval_precision("ltr"), bench.eval_norm_precision("ltr")
                scored.append(v)
            except Exception as e:
                errors[v.name] = f"{type(e).__name__}: {e}"
        bench = ope.OPEBenchmark(scored)
        success = bench.eval_success("ltr")["ltr"]
        precision = bench.eval_precision("ltr")["ltr"]
        norm = bench.eval_norm_precision("ltr")["ltr"]
        names = [v.name for v in scored]
        out[kind] = {
            "per_sequence": {n: {"success": success[n].tolist(), "precision": precision[n].tolist(),
                                 "norm_precision": norm[n].tolist()} for n in names},
            # show_result's arithmetic: AUC = mean over sequences of the success values; P and NP at index 20
            "dataset": {"auc": 100 * float(np.mean(list(success.values()))),
                        "precision": 100 * float(np.mean(list(precision.values()), axis=0)[20]),
                        "norm_precision": 100 * float(np.mean(list(norm.values()), axis=0)[20]),
                        "success_curve": (100 * np.mean(list(success.values()), axis=0)).tolist(),
                        "precision_curve": (100 * np.mean(list(precision.values()), axis=0)).tolist(),
                        "norm_precision_curve": (100 * np.mean(list(norm.values()), axis=0)).tolist()},
            "errors": errors,
        }
    return out


def main(pytracking_root: str, pysot_root: str, hcat_root: str) -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    cases.write(OUT)
    golden = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        golden["pytracking"] = run_pytracking(Path(pytracking_root).resolve(), tmp / "pytracking")
        golden["pysot"] = run_pysot(Path(hcat_root).resolve(), "pysot_toolkit.toolkit", tmp / "hcat")
        golden["pysot-upstream"] = run_pysot(Path(pysot_root).resolve(), "pysot", tmp / "upstream")
    (OUT / "golden_scores.json").write_text(json.dumps(golden, indent=1) + "\n")
    for protocol, kinds in golden.items():
        for kind, res in kinds.items():
            d = res["dataset"]
            print(f"{protocol:15s} {kind:15s} AUC {d['auc']:.4f} P {d['precision']:.4f} NP {d['norm_precision']:.4f} "
                  f"scored {len(res['per_sequence'])} refused {sorted(res['errors'])}")


if __name__ == "__main__":
    main(*sys.argv[1:])
