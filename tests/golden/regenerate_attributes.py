"""Regenerate the per-attribute golden fixture: result sets on a small tree of real LaSOT test-sequence names,
scored per attribute by pytracking's own analysis code.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    pip install tqdm matplotlib pandas                 # what pytracking's analysis imports
    python tests/golden/regenerate_attributes.py /tmp/pytracking

Writes ``tests/data/attributes/``:

* ``lasot/<class>/<seq>/``: ground truth and visibility flags (no frames: scoring reads none) for LaSOT test
  sequences chosen so that every one of LaSOT's 14 attributes has at least one (VC exactly one, SV all of
  them); boxes that leave the frame, absent spells, one zero-size box;
* ``results/atom/default_000``, ``default_001``: pytracking's layout (two runs, tab-separated integers);
  ``results/pysot-tracker``: comma-separated floats;

and ``golden.json``: for each attribute, the sequences pytracking's ``LaSOTDataset(attribute=...)`` selects (its
``LaSOT_attributes.json``), the AUC that ``print_results_per_attribute(..., merge_results=True)`` prints per
tracker (the radar plots the same numbers), and the precision and normalized precision of the same subsets from
its ``get_prec_curve``, so that all three are pytracking's.

The same for the LaSOT extension (``extension/``: ``lasot_extension/``, ``results/``, ``golden.json``), scored on
the sequences of pytracking's ``LaSOTExtensionSubsetDataset``. pytracking has no attribute table for the
extension, so there the subsets are those of the table ltr ships (``attributes_lasot_extension.txt``) and the
figures are pytracking's arithmetic on them, under the extension's scoring rules.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import tempfile
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import regenerate_scores as base  # noqa: E402  the harness that imports pytracking with stubs

from ltr_core.evaluation.attributes import shipped  # noqa: E402

OUT = HERE.parent / "data" / "attributes"
TREE = OUT / "lasot"
EXT_OUT = OUT / "extension"
# LaSOT test sequences whose attributes (LaSOT toolkit, annos/att) cover all 14: VC by one sequence only, SV by all
NAMES = ["airplane-1", "basketball-1", "bear-2", "bicycle-2", "bird-2", "boat-3", "book-3", "bottle-1",
         "car-2", "cat-1", "drone-2", "electricfan-1", "flag-5", "fox-3", "boat-12"]
# LaSOT extension sequences covering all 14 attributes (ltr's extension table); rhino-3 has BC alone
EXT_NAMES = ["wingsuit-8", "rhino-3", "atv-7", "cosplay-4", "jianzi-3", "misc-2", "opossum-10", "lantern-6"]
FRAMES = 48


def write_tree(out: Path, tree: Path, names: list[str]) -> None:
    if out.exists():
        shutil.rmtree(out)
    for i, name in enumerate(names):
        rng = np.random.default_rng([11, i])
        folder = tree / name.rsplit("-", 1)[0] / name
        folder.mkdir(parents=True)
        centre = np.cumsum(rng.normal(0, 6, (FRAMES, 2)), 0) + [320, 240]
        size = np.abs(40 + np.cumsum(rng.normal(0, 2, (FRAMES, 2)), 0)) + 4
        gt = np.round(np.concatenate([centre - size / 2, size], 1))
        if i % 4 == 1:
            gt[10:14, 0] = -gt[10:14, 2] / 2                      # half out of the frame on the left
        if i == 5:
            gt[20, 2:] = 0                                         # a zero-size box
        flags = np.zeros((2, FRAMES), int)
        if i % 3 == 0:
            flags[0, 25:31] = 1                                    # fully occluded
        if i % 5 == 2:
            flags[1, 5:9] = 1                                      # out of view
        np.savetxt(folder / "groundtruth.txt", gt, delimiter=",", fmt="%d")
        (folder / "full_occlusion.txt").write_text(",".join(map(str, flags[0])) + "\n")
        (folder / "out_of_view.txt").write_text(",".join(map(str, flags[1])) + "\n")
        (folder / "nlp.txt").write_text(f"the {name.rsplit('-', 1)[0]}\n")
    for run in range(2):
        folder = out / "results" / "atom" / f"default_{run:03d}"
        folder.mkdir(parents=True)
        for i, name in enumerate(names):
            b = _moved(tree, name, np.random.default_rng([run, i]), 3.0 + 2 * run)
            np.savetxt(folder / f"{name}.txt", np.round(b).astype(int), delimiter="\t", fmt="%d")
    folder = out / "results" / "pysot-tracker"
    folder.mkdir(parents=True)
    for i, name in enumerate(names):
        b = _moved(tree, name, np.random.default_rng([7, i]), 1.0 + (i % 4) * 3)
        (folder / f"{name}.txt").write_text("".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in b))


def _moved(tree: Path, name: str, rng: np.random.Generator, spread: float) -> np.ndarray:
    gt = np.loadtxt(tree / name.rsplit("-", 1)[0] / name / "groundtruth.txt", delimiter=",").reshape(-1, 4)
    moved = gt + rng.normal(0.0, spread, gt.shape) * np.maximum(gt[:, 2:3], 8.0) / 10
    moved[:, 2:] = np.maximum(moved[:, 2:], 1.0)
    return moved


def run_pytracking(root: Path, extension: bool = False) -> dict:
    import torch

    out_dir = EXT_OUT if extension else OUT
    with tempfile.TemporaryDirectory() as tmp:
        base.import_pytracking_analysis(root, Path(tmp) / "plots")
        plot = importlib.import_module("pytracking.analysis.plot_results")
        data_mod = importlib.import_module("pytracking.evaluation.data")
        if extension:                      # pytracking's extension reader; the subsets from ltr's shipped table
            ext_mod = importlib.import_module("pytracking.evaluation.lasotextensionsubsetdataset")
            ds = ext_mod.LaSOTExtensionSubsetDataset.__new__(ext_mod.LaSOTExtensionSubsetDataset)
            ds.base_path = str(EXT_OUT / "lasot_extension")
            table = shipped("lasot_extension")
            subsets = {att: table.sequences_with(att, EXT_NAMES) for att in table.names}
        else:
            lasot_mod = importlib.import_module("pytracking.evaluation.lasotdataset")
            ds = lasot_mod.LaSOTDataset.__new__(lasot_mod.LaSOTDataset)
            ds.base_path, ds.vos_mode, ds.att_dict = str(TREE), False, None
            ours = shipped("lasot")                        # the table ltr ships, from the LaSOT toolkit
            theirs = {k: set(v) for k, v in ds._load_attributes().items() if not k.startswith("att_name")}
            differ = [k for k, v in theirs.items() if ours.flags.get(k) != v]
            assert not differ and len(theirs) == len(ours.flags), differ[:5]
            print(f"pytracking's LaSOT_attributes.json and ltr's table agree on all {len(theirs)} sequences")
            subsets = {att: ds._filter_sequence_list_by_attribute(att, list(NAMES))
                       for att in ds.get_attribute_names("short")}
        members = {att: names for att, names in subsets.items() if names}
        datasets = {att: data_mod.SequenceList([ds._construct_sequence(n) for n in names])
                    for att, names in members.items()}

        def tracker(name, param, results_dir, run_id=None):
            return types.SimpleNamespace(name=name, parameter_name=param, run_id=run_id, display_name=None,
                                         results_dir=str(results_dir))

        trackers = [tracker("atom", "default", out_dir / "results" / "atom" / f"default_{r:03d}", r)
                    for r in range(2)]
        trackers += [tracker("pysot", "tracker", out_dir / "results" / "pysot-tracker")]
        auc, _ = plot.print_results_per_attribute(trackers, datasets, "attributes", merge_results=True)
        out = {}
        for att, dataset in datasets.items():
            data = plot.merge_multiple_runs(plot.check_and_load_precomputed_results(trackers, dataset, "attributes"))
            valid = torch.tensor(data["valid_sequence"], dtype=torch.bool)
            _, prec = plot.get_prec_curve(torch.tensor(data["ave_success_rate_plot_center"]), valid)
            _, norm = plot.get_prec_curve(torch.tensor(data["ave_success_rate_plot_center_norm"]), valid)
            order = [t["name"] for t in data["trackers"]]
            out[att] = {"sequences": members[att],
                        "trackers": {{"atom": "atom", "pysot": "pysot-tracker"}[n]: {
                            "auc": auc[att][i].item(), "precision": prec[i].item(), "norm_precision": norm[i].item()}
                            for i, n in enumerate(order)}}
    return out


def main(pytracking_root: str) -> None:
    write_tree(OUT, TREE, NAMES)
    write_tree(EXT_OUT, EXT_OUT / "lasot_extension", EXT_NAMES)
    for out_dir, extension in ((OUT, False), (EXT_OUT, True)):
        golden = run_pytracking(Path(pytracking_root).resolve(), extension)
        (out_dir / "golden.json").write_text(json.dumps(golden, indent=1) + "\n")
        print(json.dumps({a: {t: round(v["auc"], 2) for t, v in g["trackers"].items()} for a, g in golden.items()}))


if __name__ == "__main__":
    main(*sys.argv[1:])
