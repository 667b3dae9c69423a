"""``ltr score`` against the reference toolkits' own numbers on cases that hit every rule (LaSOT, GOT-10k, and
the same cases under UAV123's, OTB's and the LaSOT extension's rules).

``data/scoring/`` holds generated ground truth (a LaSOT tree with visibility flags and a GOT-10k tree without)
and result files; ``golden_scores.json`` holds what pytracking (``extract_results`` and ``print_results``'s
averaging), HCAT's copy of the pysot toolkit and upstream pysot-toolkit computed on them, including which
sequences each toolkit refuses. ``golden/regenerate_scores.py`` says how to regenerate both.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from ltr_core.cli_runner import run_ltr
from ltr_core.data.datasets.got10k import GOT10k
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.evaluation.metrics import ResultError
from ltr_core.evaluation.score import score_folder
from ltr_core.track.runner import sequences_from_dataset

DATA = Path(__file__).parent / "data" / "scoring"
GOLDEN = json.loads((DATA / "golden_scores.json").read_text())
CASES = [(p, k) for p in ("pytracking", "pysot", "pysot-upstream") for k in ("lasot", "got10k")]


def sequences(kind: str):
    ds = LaSOT(DATA / "lasot", split="all") if kind == "lasot" else GOT10k(DATA / "got10k", subset="val")
    return {s.name: s for s in sequences_from_dataset(ds)}


@pytest.mark.parametrize("protocol,kind", CASES)
def test_every_curve_point_equals_the_toolkit_per_sequence_and_per_dataset(protocol, kind):
    golden = GOLDEN[protocol][kind]
    seqs = sequences(kind)
    scored = [seqs[n] for n in golden["per_sequence"]]
    scores = score_folder(DATA / "results" / kind, scored, protocol)
    for name, curves in golden["per_sequence"].items():
        mine = scores["per_sequence_curves"][name]
        for key in ("success", "precision", "norm_precision"):
            np.testing.assert_allclose(mine[key], curves[key], rtol=0, atol=1e-4, err_msg=f"{name} {key}")
    for key in ("auc", "precision", "norm_precision"):
        assert scores[key] == pytest.approx(golden["dataset"][key], abs=1e-4), key
    for key in ("success_curve", "precision_curve", "norm_precision_curve"):
        np.testing.assert_allclose(100 * np.array(scores[key]), golden["dataset"][key], rtol=0, atol=1e-4)


@pytest.mark.parametrize("protocol,kind", CASES)
def test_what_the_toolkit_refuses_ltr_refuses_naming_the_file(protocol, kind):
    golden = GOLDEN[protocol][kind]
    seqs = sequences(kind)
    assert golden["errors"], "the cases must include refused results"
    for name in golden["errors"]:
        with pytest.raises(ResultError) as err:
            score_folder(DATA / "results" / kind, [seqs[name]], protocol)
        msg = str(err.value)
        assert f"{name}.txt" in msg
        if "NaN" in (DATA / "results" / kind / f"{name}.txt").read_text() or "-3.5" in msg:
            assert f"{name}.txt:" in msg      # the line is named too
    refused = set(golden["errors"])
    assert refused | set(golden["per_sequence"]) == set(seqs)


def test_the_cases_cover_every_rule():
    gt = np.loadtxt(DATA / "lasot" / "rule" / "rule-1" / "groundtruth.txt", delimiter=",")
    occ = np.loadtxt(DATA / "lasot" / "rule" / "rule-1" / "full_occlusion.txt", delimiter=",")
    oov = np.loadtxt(DATA / "lasot" / "rule" / "rule-1" / "out_of_view.txt", delimiter=",")
    assert (gt[:, 0] == 0).any() and (gt[:, 1] == 0).any()             # GT on the left and top borders
    assert ((gt[:, 2] == 0) & (occ == 0) & (oov == 0)).any()           # zero-size GT without a flag
    assert occ.any() and oov.any() and (occ * oov).any()
    zero = np.loadtxt(DATA / "results" / "lasot" / "rule-2.txt", delimiter=",")
    assert (zero[0, 2:] == 0).all() and zero[1, 2] == 0
    assert "\t" in (DATA / "results" / "lasot" / "rule-3.txt").read_text()
    assert GOLDEN["pysot"]["lasot"]["dataset"]["auc"] != GOLDEN["pysot-upstream"]["lasot"]["dataset"]["auc"]


@pytest.mark.parametrize("protocol,kind", [("pysot", "lasot"), ("pytracking", "got10k")])
def test_ltr_score_command_prints_the_toolkit_figures(protocol, kind, tmp_path):
    golden = GOLDEN[protocol][kind]
    env = {**os.environ, "LTR_LASOT_DIR": str(DATA / "lasot"), "LTR_GOT10K_DIR": str(DATA / "got10k")}
    out = run_ltr("score", "--results", str(DATA / "results" / kind), "--dataset", kind,
                  "--split", "all" if kind == "lasot" else "val", "--protocol", protocol,
                  "--sequences", ",".join(golden["per_sequence"]), "--no-per-sequence", "--plots", str(tmp_path),
                  env=env)
    assert out.returncode == 0, out.stderr
    d = golden["dataset"]
    assert f"{d['auc']:6.1f}  {d['precision']:6.1f}  {d['norm_precision']:6.1f}" in out.stdout, out.stdout


def test_evaluation_reads_raw_ground_truth_and_flag_only_visibility():
    lasot = LaSOT(DATA / "lasot", split="all")
    seq = sequences("lasot")["rule-1"]
    assert seq.gt.dtype == np.float64
    assert seq.visible[7] and not lasot.sequence_info(0).visible[7]    # zero-width GT: invalid, not invisible
    assert not seq.visible[10] and not seq.visible[15]                 # occluded; out of view
    assert sequences("got10k")["GOT-10k_Val_000001"].visible is None   # GOT-10k is scored without flags


RULE_KINDS = {"uav": "uav", "otb": "default", "lasot_extension": "lasot_extension"}


def rule_sequences(kind: str):
    """The cases' sequences under another dataset's rules, as the regeneration script built them for pytracking."""
    sys.path.insert(0, str(Path(__file__).parent / "golden"))
    import scoring_cases as cases

    from ltr_core.track.runner import EvalSequence

    seqs = {}
    for i, (name, (gt, occ, oov, _)) in enumerate(cases.build().items()):
        if kind == "uav":
            seqs[cases.got10k_name(i)] = EvalSequence(cases.got10k_name(i), [""] * len(gt), cases.uav_gt(gt, name),
                                                      None, "uav")
        elif kind == "otb":
            seqs[cases.got10k_name(i)] = EvalSequence(cases.got10k_name(i), [""] * len(gt), gt, None, "default")
        else:
            seqs[cases.lasot_name(i)] = EvalSequence(cases.lasot_name(i), [""] * len(gt), gt,
                                                     cases.extension_visible(occ, oov), "lasot_extension")
    return seqs


@pytest.mark.parametrize("protocol,kind", [("pytracking", k) for k in RULE_KINDS]
                         + [("pysot", "uav"), ("pysot-upstream", "uav")])
def test_per_dataset_rules_equal_the_toolkits(protocol, kind):
    golden = GOLDEN[protocol][kind]
    seqs = rule_sequences(kind)
    results = DATA / "results" / ("lasot" if kind == "lasot_extension" else "got10k")
    scores = score_folder(results, [seqs[n] for n in golden["per_sequence"]], protocol)
    for name, curves in golden["per_sequence"].items():
        for key in ("success", "precision", "norm_precision"):
            np.testing.assert_allclose(scores["per_sequence_curves"][name][key], curves[key], rtol=0, atol=1e-4,
                                       err_msg=f"{kind} {name} {key}")
    for key in ("auc", "precision", "norm_precision"):
        assert scores[key] == pytest.approx(golden["dataset"][key], abs=1e-4), key
    for name in golden["errors"]:
        with pytest.raises(ResultError):
            score_folder(results, [seqs[name]], protocol)
    assert set(golden["errors"]) | set(golden["per_sequence"]) == set(seqs)


def test_the_rules_change_the_figures():
    py = GOLDEN["pytracking"]
    assert py["uav"]["dataset"]["precision"] != py["otb"]["dataset"]["precision"]       # NaN frames succeed
    assert "rule-7" in py["lasot_extension"]["per_sequence"] and "rule-7" in py["lasot"]["errors"]   # padded
    with pytest.raises(ResultError, match="NaN in the ground truth"):
        score_folder(DATA / "results" / "got10k", [_with_rules(rule_sequences("uav")["GOT-10k_Val_000001"],
                                                                "default")], "pytracking")


def _with_rules(seq, rules):
    from dataclasses import replace

    return replace(seq, rules=rules)
