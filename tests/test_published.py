"""`ltr score` on published result sets: pytracking's, pysot's, OSTrack's and GOT-10k's layouts, zips, merged
runs, --label, --skip-missing and the box convention.

Golden: ``data/published/golden.json`` holds what pytracking's own ``extract_results`` (``skip_missing_seq=True``)
and ``print_results``'s merge of runs compute on the result sets of ``data/published/``;
``golden/regenerate_published.py`` says how to regenerate both.
"""

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ltr_core.cli_runner import run_ltr
from ltr_core.evaluation import published

DATA = Path(__file__).parent / "data"
SETS = DATA / "published"
GOLDEN = json.loads((SETS / "golden.json").read_text())
DATASET = ["--dataset", f"lasot:{DATA / 'scoring' / 'lasot'}", "--split", "all"]


def score(*args, workspace):
    out = run_ltr("score", *args, *DATASET, "--json", "--plots", str(workspace / "plots"),
                  "--workspace", str(workspace))
    return out, (json.loads(out.stdout) if out.returncode == 0 else None)


def by_label(js):
    return {r["label"]: r for r in js["results"].values()}


def test_published_layouts_score_as_pytracking_scores_them_merged_runs_and_skipped_sequences_included(tmp_path):
    out, js = score("--results", SETS / "atom", SETS / "pysot-tracker", SETS / "ostrack.zip", "--label", "atom",
                    "--label", "pysot-tracker", "--label", "ostrack", "--skip-missing", workspace=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "scoring 7 of 8 sequences: 1 are missing from at least one result set (rule-2)" in out.stderr
    rows = {**by_label(js), **js["over_runs"]}
    assert sorted(by_label(js)) == ["atom_run000", "atom_run001", "atom_run002", "ostrack", "pysot-tracker"]
    assert js["over_runs"]["atom"]["runs"] == 3
    for name, want in GOLDEN["trackers"].items():
        for key in ("auc", "precision", "norm_precision"):
            assert rows[name][key] == pytest.approx(want[key], abs=1e-4), (name, key)
        assert rows[name]["sequences"] == len(GOLDEN["sequences"])
    assert sorted(by_label(js)["ostrack"]["per_sequence"]) == GOLDEN["sequences"]


def test_without_skip_missing_a_missing_sequence_is_one_line_naming_it(tmp_path):
    out, _ = score("--results", SETS / "pysot-tracker", workspace=tmp_path)
    assert out.returncode == 2
    assert f"{SETS / 'pysot-tracker' / 'rule-2.txt'}: missing result for sequence rule-2" in out.stderr
    assert "--skip-missing" in out.stderr and "Traceback" not in out.stderr


def _copy_run(src: Path, pattern: str, root: Path) -> None:
    for f in src.glob("rule-*.txt"):
        if f.stem.endswith("_time"):
            continue
        dst = root / pattern.format(seq=f.stem)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dst)


def test_every_layout_and_a_zip_of_it_score_the_same_as_the_flat_folder(tmp_path):
    run = SETS / "atom" / "default_001"
    layouts = {"got10k": "{seq}/{seq}_001.txt", "nested": "mytracker/lasot/{seq}.txt",
               "ltr-runs": "lasot_run004/{seq}.txt"}
    for name, pattern in layouts.items():
        _copy_run(run, pattern, tmp_path / name)
    with zipfile.ZipFile(tmp_path / "nested.zip", "w") as z:
        for f in sorted((tmp_path / "nested").rglob("*.txt")):
            z.write(f, f.relative_to(tmp_path / "nested").as_posix())
    sets = [run, *(tmp_path / n for n in layouts), tmp_path / "nested.zip"]
    out, js = score("--results", *sets, "--label", "flat", *sum((["--label", n] for n in layouts), []),
                    "--label", "zip", workspace=tmp_path / "ws")
    assert out.returncode == 0, out.stderr
    rows = by_label(js)
    assert sorted(rows) == ["flat", "got10k", "ltr-runs", "nested", "zip"]
    for name, row in rows.items():
        assert row["per_sequence"] == rows["flat"]["per_sequence"], name
    assert [r.name for r in published.open_results(tmp_path / "got10k")] == [""]     # one repetition: one run


def test_x1y1x2y2_boxes_are_refused_with_the_hint_and_converted_with_box_format(tmp_path):
    corners = tmp_path / "corners"
    corners.mkdir()
    for f in (SETS / "pysot-tracker").glob("*.txt"):
        b = np.loadtxt(f, delimiter=",").reshape(-1, 4)
        b[:, 2:] += b[:, :2]
        np.savetxt(corners / f.name, b, delimiter=",", fmt="%.4f")
    args = ["--sequences", "rule-1,rule-3,rule-8"]
    out, _ = score("--results", corners, *args, workspace=tmp_path)
    assert out.returncode == 2 and "read as x1,y1,x2,y2 the boxes overlap the ground truth far better" in out.stderr
    assert "score it with --box-format xyxy" in out.stderr
    out, js = score("--results", corners, "--box-format", "xyxy", *args, workspace=tmp_path)
    _, plain = score("--results", SETS / "pysot-tracker", *args, workspace=tmp_path)
    assert out.returncode == 0, out.stderr
    assert next(iter(js["results"].values()))["auc"] == pytest.approx(next(iter(plain["results"].values()))["auc"],
                                                                        abs=1e-9)


def test_wrong_labels_and_unreadable_sets_are_one_line_each(tmp_path, monkeypatch):
    out, _ = score("--results", SETS / "pysot-tracker", SETS / "ostrack.zip", "--label", "a", workspace=tmp_path)
    assert out.returncode == 2 and "1 label(s) for 2 result sets" in out.stderr
    out, _ = score("--results", SETS / "pysot-tracker", SETS / "ostrack.zip", "--label", "a", "--label", "a",
                   workspace=tmp_path)
    assert out.returncode == 2 and "two result sets are labelled 'a'" in out.stderr
    (tmp_path / "notes.txt").write_text("not a zip")
    out, _ = score("--results", tmp_path / "notes.txt", workspace=tmp_path)
    assert out.returncode == 2 and "not a folder or a zip of result files" in out.stderr
    (tmp_path / "empty" / "a" / "b").mkdir(parents=True)
    (tmp_path / "empty" / "c").mkdir()
    out, _ = score("--results", tmp_path / "empty", workspace=tmp_path / "ws")
    assert out.returncode == 2 and "no result files in a layout ltr reads" in out.stderr
    monkeypatch.setattr(published, "MAX_MEMBER_BYTES", 100)
    out, _ = score("--results", SETS / "ostrack.zip", workspace=tmp_path)
    assert out.returncode == 2 and "is not a result file (limit 100)" in out.stderr


def test_unchanged_sets_come_from_the_score_cache_and_a_changed_file_or_damaged_entry_is_scored_again(tmp_path):
    shutil.copytree(SETS / "pysot-tracker", tmp_path / "set")
    ws = tmp_path / "ws"
    first, a = score("--results", tmp_path / "set", "--skip-missing", workspace=ws)
    again, b = score("--results", tmp_path / "set", "--skip-missing", workspace=ws)
    assert "from the cache" not in first.stderr and "from the cache" in again.stderr and a == b
    entries = list((ws / "cache" / "scores").glob("*.json"))
    assert len(entries) == 1
    forced, c = score("--results", tmp_path / "set", "--skip-missing", "--no-cache", workspace=ws)
    assert "from the cache" not in forced.stderr and c == a
    entries[0].write_text("{damaged")
    repaired, d = score("--results", tmp_path / "set", "--skip-missing", workspace=ws)
    assert "from the cache" not in repaired.stderr and d == a and json.loads(entries[0].read_text())["scores"]
    f = tmp_path / "set" / "rule-1.txt"
    lines = f.read_text().splitlines()
    lines[1:] = ["1.0,1.0,5.0,5.0"] * (len(lines) - 1)      # the tracker lost on every frame after the first
    f.write_text("\n".join(lines) + "\n")
    changed, e = score("--results", tmp_path / "set", "--skip-missing", workspace=ws)
    assert "from the cache" not in changed.stderr
    label = next(iter(a["results"].values()))["label"]
    assert by_label(e)[label]["per_sequence"]["rule-1"] != by_label(a)[label]["per_sequence"]["rule-1"]
    assert len(list((ws / "cache" / "scores").glob("*.json"))) == 2


def test_a_single_published_folder_keeps_its_own_name_as_label(tmp_path):
    out, js = score("--results", SETS / "pysot-tracker", "--skip-missing", workspace=tmp_path)
    assert out.returncode == 0, out.stderr
    assert list(by_label(js)) == ["published/pysot-tracker"]      # not its parent folders' names
    own = tmp_path / "results" / "mytracker" / "lasot"               # ltr eval's <run>/<benchmark> keeps its rule
    shutil.copytree(SETS / "pysot-tracker", own)
    out, js = score("--results", own, "--skip-missing", workspace=tmp_path)
    assert out.returncode == 0, out.stderr
    assert list(by_label(js)) == ["results/mytracker"]
