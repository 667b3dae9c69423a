"""Test-set results for the evaluation servers (GOT-10k layout, `ltr pack`), several runs with per-run seeds,
score formats and the vector PDF plots."""

import csv
import io
import json
import re
import subprocess
import sys
import zipfile

import cv2
import numpy as np
import pypdf
import pytest

from ltr_core.cli_runner import run_ltr


def ltr(*args):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args)


def ltr_process(*args):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True, timeout=300)


def got10k_test_tree(root, lengths=(6, 4)):
    for k, n in enumerate(lengths, start=1):
        d = root / "test" / f"GOT-10k_Test_{k:06d}"
        d.mkdir(parents=True)
        (d / "groundtruth.txt").write_text("10,12,20,16\n")          # only the first box is public
        for i in range(n):
            img = np.zeros((60, 80, 3), np.uint8)
            cv2.rectangle(img, (10 + i, 12), (30 + i, 28), (255, 255, 255), -1)
            cv2.imwrite(str(d / f"{i + 1:08d}.jpg"), img)
    return root


@pytest.fixture
def trained_tiny(tiny_env):
    out = ltr("train", "tiny/tiny", "--set", "trainer.epochs=1")
    assert out.returncode == 0, out.stderr
    return tiny_env


def test_got10k_test_eval_writes_the_submission_layout_and_pack_zips_it(trained_tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("LTR_GOT10K_DIR", str(got10k_test_tree(tmp_path / "got")))
    out = ltr("eval", "tiny/tiny", "--dataset", "got10k", "--split", "test", "--runs", "3",
              "--set", "tracker.jitter=2.0")
    assert out.returncode == 0, out.stderr
    layout = trained_tiny / "results" / "tiny" / "tiny" / "got10k-test-submission"
    assert f"submission layout (<seq>/<seq>_001.txt, <seq>_time.txt): {layout}" in out.stdout
    seq = layout / "GOT-10k_Test_000001"
    assert sorted(p.name for p in seq.iterdir()) == [f"GOT-10k_Test_000001_{s}.txt" for s in ("001", "002", "003",
                                                                                              "time")]
    rows = (seq / "GOT-10k_Test_000001_002.txt").read_text().splitlines()
    assert len(rows) == 6 and rows[0] == "10.000000,12.000000,20.000000,16.000000"
    assert all(re.fullmatch(r"\d+\.\d{6}", t) for t in (seq / "GOT-10k_Test_000001_time.txt").read_text().split())
    runs = [trained_tiny / "results" / "tiny" / f"tiny_run00{r}" / "got10k" for r in (1, 2, 3)]
    a, b = (np.loadtxt(r / "GOT-10k_Test_000001.txt", delimiter=",") for r in runs[:2])
    assert not np.allclose(a, b)                              # per-run seeds: a stochastic tracker differs
    # pack: the same files in a zip, checked against the dataset's frame counts
    pack = ltr("pack", "got10k", *map(str, runs), "-o", str(tmp_path / "sub.zip"))
    assert pack.returncode == 0, pack.stderr
    assert "2 sequences, 3 runs" in pack.stdout
    with zipfile.ZipFile(tmp_path / "sub.zip") as z:
        names = sorted(z.namelist())
        assert len(names) == 8 and names[0] == "GOT-10k_Test_000001/GOT-10k_Test_000001_001.txt"
        assert z.read("GOT-10k_Test_000002/GOT-10k_Test_000002_003.txt").decode().count("\n") == 4
        assert z.read("GOT-10k_Test_000001/GOT-10k_Test_000001_002.txt").decode().splitlines() == rows
    again = ltr("pack", "got10k", *map(str, runs), "-o", str(tmp_path / "again.zip"))
    assert again.returncode == 0 and (tmp_path / "again.zip").read_bytes() == (tmp_path / "sub.zip").read_bytes()
    # bad input: a short result names its file and writes nothing; four runs are refused
    short = runs[1] / "GOT-10k_Test_000002.txt"
    short.write_text("\n".join(short.read_text().splitlines()[:3]) + "\n")
    bad = ltr("pack", "got10k", *map(str, runs), "-o", str(tmp_path / "bad.zip"))
    assert bad.returncode == 2 and f"{short}: 3 lines, but the sequence has 4 frames" in bad.stderr
    assert not (tmp_path / "bad.zip").exists()
    four = ltr("pack", "got10k", *map(str, runs + runs[:1]), "-o", str(tmp_path / "four.zip"))
    assert four.returncode == 2 and "takes 1 to 3 runs" in four.stderr
    score = ltr("score", "--results", str(runs[0]), "--dataset", "got10k", "--split", "test")
    assert score.returncode == 2 and "ltr pack got10k" in score.stderr


def test_trackingnet_pack_is_flat_with_two_decimals(tiny_env, tmp_path, monkeypatch):
    tn = tmp_path / "tn" / "TEST"
    (tn / "anno").mkdir(parents=True)
    for vid, n in (("b_vid", 3), ("a_vid", 5)):
        (tn / "anno" / f"{vid}.txt").write_text("5.5,5,10,10.25\n")
        (tn / "frames" / vid).mkdir(parents=True)
        for i in range(n):
            cv2.imwrite(str(tn / "frames" / vid / f"{i}.jpg"), np.zeros((40, 40, 3), np.uint8))
    monkeypatch.setenv("LTR_TRACKINGNET_DIR", str(tmp_path / "tn"))
    out = ltr("eval", "tiny/tiny", "--baseline", "static", "--dataset", "trackingnet")
    assert out.returncode == 0, out.stderr
    res = tiny_env / "results" / "baseline" / "static" / "trackingnet"
    pack = ltr("pack", "trackingnet", str(res), "-o", str(tmp_path / "tn.zip"))
    assert pack.returncode == 0, pack.stderr
    with zipfile.ZipFile(tmp_path / "tn.zip") as z:
        assert sorted(z.namelist()) == ["a_vid.txt", "b_vid.txt"]
        assert z.read("a_vid.txt").decode().splitlines() == ["5.50,5.00,10.00,10.25"] * 5
    monkeypatch.delenv("LTR_TRACKINGNET_DIR")
    unchecked = ltr("pack", "trackingnet", str(res), "-o", str(tmp_path / "tn2.zip"))
    assert unchecked.returncode == 0 and "checking the results against each other only" in unchecked.stderr


def test_runs_are_reproducible_per_sequence_and_scored_as_mean_and_std(trained_tiny):
    base = ["eval", "tiny/tiny", "--set", "tracker.jitter=2.0"]
    one = ltr(*base, "--runs", "2")
    assert one.returncode == 0, one.stderr
    last = one.stdout.strip().splitlines()[-1]
    m = re.match(r"AUC ([\d.]+) \+- ([\d.]+)  precision [\d.]+ \+- [\d.]+  normalized precision [\d.]+ \+- [\d.]+  "
                 r"\(demo test, 2 sequences, pytracking, mean \+- std over 2 runs\)", last)
    assert m, last
    res = trained_tiny / "results" / "tiny"
    # the same seeds in parallel workers give the same boxes
    two = ltr(*base, "--runs", "2", "--workers", "2", "--tag", "tiny/par")
    assert two.returncode == 0, two.stderr
    for r in ("run001", "run002"):
        for f in sorted((res / f"tiny_{r}" / "demo").glob("*-?.txt")):
            np.testing.assert_array_equal(np.loadtxt(f, delimiter=","),
                                          np.loadtxt(res / f"par_{r}" / "demo" / f.name, delimiter=","))
    dirs = [str(res / f"tiny_run00{r}" / "demo") for r in (1, 2)]
    table = ltr("score", "--results", *dirs, "--dataset", "demo", "--no-per-sequence")
    assert table.returncode == 0, table.stderr
    assert re.search(r"^tiny/tiny\s+2\s+[\d.]+ ± [\d.]+", table.stdout, re.M)
    rows = list(csv.DictReader(io.StringIO(ltr("score", "--results", *dirs, "--dataset", "demo", "--format",
                                               "csv").stdout)))
    assert [r["results"] for r in rows] == ["tiny/tiny_run001", "tiny/tiny_run002", "tiny/tiny"]
    aucs = [float(r["auc"]) for r in rows[:2]]
    assert float(rows[2]["auc"]) == pytest.approx(np.mean(aucs), abs=0.01)
    assert float(rows[2]["auc_std"]) == pytest.approx(np.std(aucs, ddof=1), abs=0.01)
    assert float(rows[2]["auc"]) == pytest.approx(float(m.group(1)), abs=0.051)
    tex = ltr("score", "--results", *dirs, "--dataset", "demo", "--format", "latex").stdout
    assert tex.startswith(r"\begin{tabular}{lccc}") and r"tiny/tiny\_run001 &" in tex and r"$\pm$" in tex
    js = json.loads(ltr("score", "--results", *dirs, "--dataset", "demo", "--format", "json").stdout)
    assert js["over_runs"]["tiny/tiny"]["runs"] == 2


def test_plots_are_also_vector_pdfs(trained_tiny):
    out = ltr("eval", "tiny/tiny")
    assert out.returncode == 0, out.stderr
    folder = trained_tiny / "results" / "tiny" / "tiny" / "demo"
    for name in ("success", "precision", "norm_precision"):
        assert cv2.imread(str(folder / f"{name}.png")).shape == (540, 720, 3)
        reader = pypdf.PdfReader(folder / f"{name}.pdf", strict=True)
        assert len(reader.pages) == 1 and reader.pages[0].mediabox.width == 720
        text = reader.pages[0].extract_text()
        assert "tiny/tiny [" in text and "threshold" in text
