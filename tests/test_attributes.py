"""Attribute analysis: the shipped tables, UAV123's read from its tree, and `ltr score --attributes`.

Golden: ``data/attributes/golden.json`` holds what pytracking's own ``print_results_per_attribute`` (AUC,
``merge_results=True``) and ``get_prec_curve`` (precision, normalized precision) compute per LaSOT attribute on the
result sets of ``data/attributes/results`` over a tree of real LaSOT test-sequence names; the sequence lists are
those its ``LaSOTDataset(attribute=...)`` selects from its own attribute file. ``extension/golden.json``: the same
arithmetic on LaSOT extension sequences read by pytracking's extension reader, the subsets from ltr's shipped
extension table (pytracking has none). ``golden/regenerate_attributes.py`` says how to regenerate both.
"""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from ltr_core.cli_runner import run_ltr
from ltr_core.data.dataset import DataError
from ltr_core.data.datasets.benchmarks import TNL2K, UAV123, read_table
from ltr_core.data.splits import read_split
from ltr_core.evaluation.attributes import parse_attribute_table, shipped

DATA = Path(__file__).parent / "data" / "attributes"
GOLDEN = json.loads((DATA / "golden.json").read_text())


def score(*args, workspace):
    return run_ltr("score", "--results", str(DATA / "results" / "atom"), str(DATA / "results" / "pysot-tracker"),
                   "--label", "atom", "--label", "pysot-tracker", "--dataset", f"lasot:{DATA / 'lasot'}",
                   "--attributes", "--plots", str(workspace / "plots"), "--workspace", str(workspace), *args)


def test_per_attribute_scores_equal_pytrackings_with_merged_runs_and_plots_for_each(tmp_path):
    out = score("--json", workspace=tmp_path)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)["attributes"]
    assert list(got["scores"]) == list(GOLDEN) == list(shipped("lasot").names)       # the toolkit's column order
    assert got["names"]["FOC"] == "Full Occlusion" and "LaSOT evaluation toolkit" in got["source"]
    for att, golden in GOLDEN.items():
        row = got["scores"][att]
        assert set(row) == {"atom", "pysot-tracker"}, (att, set(row))        # atom's two runs merged into one
        for tracker, figures in golden["trackers"].items():
            assert row[tracker]["sequences"] == len(golden["sequences"]), (att, tracker)
            for key, value in figures.items():
                assert row[tracker][key] == pytest.approx(value, abs=1e-4), (att, tracker, key)
    assert len(GOLDEN["VC"]["sequences"]) == 1 and len(GOLDEN["SV"]["sequences"]) == 15     # the edge counts
    plots = tmp_path / "plots" / "attributes"
    for name in [f"success_{a}" for a in GOLDEN] + ["radar"]:
        img = cv2.imread(str(plots / f"{name}.png"))
        assert img is not None and img.std() > 10, name                   # drawn, not blank
        assert (plots / f"{name}.pdf").read_bytes().startswith(b"%PDF-1.4")
    rows = (plots / "attributes.csv").read_text().splitlines()
    assert rows[0] == "attribute,name,sequences,results,auc,precision,norm_precision" and len(rows) == 1 + 2 * 14
    iv = next(r for r in rows if r.startswith("IV,") and ",pysot-tracker," in r).split(",")
    assert float(iv[4]) == pytest.approx(GOLDEN["IV"]["trackers"]["pysot-tracker"]["auc"], abs=0.006)


def test_the_attribute_table_and_latex_name_each_attribute_with_its_sequence_count(tmp_path):
    out = score("--no-per-sequence", workspace=tmp_path)
    assert out.returncode == 0, out.stderr
    line = next(l for l in out.stdout.splitlines() if l.startswith("VC Viewpoint Change"))
    fm = GOLDEN["VC"]["trackers"]
    assert line.split()[4:] == [f"{fm['atom'][k]:.1f}" for k in ("auc", "precision", "norm_precision")] + \
        [f"{fm['pysot-tracker'][k]:.1f}" for k in ("auc", "precision", "norm_precision")]
    assert line.split()[3] == "1"
    tex = score("--format", "latex", workspace=tmp_path).stdout
    assert r"AUC (\%) (lasot:" in tex and " & IV (4) & POC (9) &" in tex and tex.count(r"\begin{tabular}") == 2
    assert f"pysot-tracker & {GOLDEN['IV']['trackers']['pysot-tracker']['auc']:.1f} &" in tex


def test_a_benchmark_without_attributes_is_one_line_and_unlisted_sequences_are_named(tmp_path, demo_tree):
    out = run_ltr("score", "--results", str(DATA / "results" / "pysot-tracker"), "--dataset", f"demo:{demo_tree}",
                  "--attributes", "--workspace", str(tmp_path))
    assert out.returncode == 2 and out.stderr.startswith("error: --attributes: core/demo has no per-sequence ")
    assert len(out.stderr.strip().splitlines()) == 1
    # a LaSOT tree with a sequence the toolkit does not list: scored overall, counted for no attribute, named
    tree = tmp_path / "lasot"
    for name in ("airplane-1", "airplane-99"):
        folder = tree / "airplane" / name
        folder.mkdir(parents=True)
        (folder / "groundtruth.txt").write_text("10,10,20,20\n12,11,20,20\n")
        (folder / "pred.txt").write_text("10,10,20,20\n13,11,20,20\n")
    results = tmp_path / "results"
    results.mkdir()
    for name in ("airplane-1", "airplane-99"):
        (results / f"{name}.txt").write_text((tree / "airplane" / name / "pred.txt").read_text())
    out = run_ltr("score", "--results", str(results), "--dataset", f"lasot:{tree}", "--split", "all",
                  "--attributes", "--json", "--workspace", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "1 scored sequence(s) are not in the attribute table" in out.stderr and "airplane-99" in out.stderr
    scores = json.loads(out.stdout)["attributes"]["scores"]
    assert set(scores) == shipped("lasot").flags["airplane-1"] and all(
        next(iter(row.values()))["sequences"] == 1 for row in scores.values())


def test_shipped_tables_cover_their_benchmarks_and_a_malformed_table_names_its_line():
    lasot = shipped("lasot")
    assert len(lasot.names) == 14 and not lasot.missing(read_split("lasot_test_split.txt"))
    assert lasot.flags["airplane-1"] == {"POC", "ROT", "SV", "LR"}                 # the toolkit's annos/att row
    tnl2k = shipped("tnl2k")
    assert len(tnl2k.names) == 17 and len(tnl2k.flags) == 700 and "Adversarial Samples" in tnl2k.long_names
    ext = shipped("lasot_extension")                       # LaSOT's columns, the extension's 150 sequences
    assert (ext.names, ext.long_names) == (lasot.names, lasot.long_names) and len(ext.flags) == 150
    assert {s.rsplit("-", 1)[0] for s in ext.flags} == {"atv", "badminton", "cosplay", "dancingshoe", "footbag",
                                                       "frisbee", "jianzi", "lantern", "misc", "opossum", "paddle",
                                                       "raccoon", "rhino", "skatingshoe", "wingsuit"}
    assert not set(ext.flags) & set(lasot.flags) and "SwinTrack" in ext.source and "LoRAT" in ext.source
    assert ext.flags["wingsuit-8"] == {"POC", "CM", "VC", "SV", "ARC"} and ext.flags["rhino-3"] == {"BC"}
    otb = shipped("otb100")
    assert len(otb.names) == 11 and not otb.missing([e.name for e in read_table("otb100")])
    assert otb.flags["Jogging_1"] == otb.flags["Jogging_2"]
    with pytest.raises(DataError, match=r"^t.txt:3: expected the sequence name and 2 flags of 0 or 1, got 'a-1 0 2'$"):
        parse_attribute_table("@attribute A One\n@attribute B Two\na-1 0 2\n", "t.txt")
    with pytest.raises(DataError, match=r"t.txt:1: no '@attribute SHORT Long name' line before"):
        parse_attribute_table("a-1 0 1\n", "t.txt")


def test_uav123_attributes_are_read_from_its_tree_and_a_bad_file_is_named(tmp_path):
    root = tmp_path / "uav"
    anno = root / "anno" / "UAV123"
    (anno / "att").mkdir(parents=True)
    for name, flags in (("car1_1", "1,0,0,1,0,0,0,0,0,0,1,0"), ("car1_2", "0\n1\n0\n0\n0\n0\n0\n0\n0\n0\n0\n1")):
        (anno / f"{name}.txt").write_text("1,2,3,4\n" * 3)
        (anno / "att" / f"{name}.txt").write_text(flags)
    att = UAV123(root).eval_attributes()
    assert att.flags == {"uav_car1_1": {"SV", "FM", "CM"}, "uav_car1_2": {"ARC", "SOB"}}
    assert att.long_names[-1] == "Similar Object" and "anno/UAV123/att" in att.source
    (anno / "att" / "car1_2.txt").write_text("0,1")
    with pytest.raises(DataError, match=r"car1_2.txt: expected 12 flags of 0 or 1 \(SV ARC"):
        UAV123(root).eval_attributes()
    tnl = tmp_path / "tnl2k" / "Assian_video_Z03_done"
    (tnl / "imgs").mkdir(parents=True)
    (tnl / "groundtruth.txt").write_text("1,2,3,4\n")
    ds = TNL2K(tnl.parent)
    assert ds.eval_attributes().flags[ds.sequence_names()[0]] >= {"ROT"}
    np.testing.assert_equal(len(ds.eval_attributes().names), 17)


def test_the_lasot_extension_per_attribute_equals_pytrackings_arithmetic(tmp_path):
    ext = DATA / "extension"
    golden = json.loads((ext / "golden.json").read_text())
    out = run_ltr("score", "--results", str(ext / "results" / "atom"), str(ext / "results" / "pysot-tracker"),
                  "--label", "atom", "--label", "pysot-tracker", "--dataset",
                  f"lasot_extension:{ext / 'lasot_extension'}", "--attributes", "--json",
                  "--workspace", str(tmp_path))
    assert (tmp_path / "plots" / "atom" / "attributes" / "radar.png").is_file()    # not among the published files
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)["attributes"]
    assert list(got["scores"]) == list(golden) == list(shipped("lasot_extension").names)
    assert "SwinTrack" in got["source"]
    for att, g in golden.items():
        for tracker, figures in g["trackers"].items():
            row = got["scores"][att][tracker]
            assert row["sequences"] == len(g["sequences"]), (att, tracker)
            for key, value in figures.items():
                assert row[key] == pytest.approx(value, abs=1e-4), (att, tracker, key)
    assert golden["BC"]["sequences"][0] == "rhino-3" and len(golden["MB"]["sequences"]) == 1
