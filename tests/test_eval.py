"""Tracking runner, `ltr eval`, `ltr score` and `ltr track` end to end on generated data with the tiny tracker."""

import json
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

from ltr_core.cli_runner import run_ltr
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.track.baselines import StaticTracker
from ltr_core.track.runner import run_sequences, sequences_from_dataset


def ltr(*args):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args)


def ltr_process(*args):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True, timeout=300)


def test_runner_writes_results_and_skips_finished_sequences(demo_tree, tmp_path):
    seqs = sequences_from_dataset(LaSOT(demo_tree, split_file="test_split.txt"))
    out = tmp_path / "res"
    first = run_sequences(StaticTracker, seqs, out, progress=False)
    assert first["tracked"] == len(seqs) and first["skipped"] == 0 and first["fps"] > 0
    for s in seqs:
        boxes = np.loadtxt(out / f"{s.name}.txt", delimiter=",")
        assert boxes.shape == (len(s), 4)
        np.testing.assert_allclose(boxes[0], s.gt[0], atol=0.01)
        assert len(np.loadtxt(out / f"{s.name}_time.txt")) == len(s)
    again = run_sequences(StaticTracker, seqs, out, progress=False)
    assert again["tracked"] == 0 and again["skipped"] == len(seqs)
    # a truncated result (an interrupted writer elsewhere) is redone
    path = out / f"{seqs[0].name}.txt"
    path.write_text("\n".join(path.read_text().splitlines()[:5]) + "\n")
    assert run_sequences(StaticTracker, seqs, out, progress=False)["tracked"] == 1


def test_runner_decodes_frames_only_for_trackers_that_read_them(demo_tree, tmp_path, monkeypatch):
    from ltr_core.track import runner

    seq = sequences_from_dataset(LaSOT(demo_tree, split_file="test_split.txt"))[0]
    reads, seen = [], []
    real_read = runner.read_image
    monkeypatch.setattr(runner, "read_image", lambda path: reads.append(path) or real_read(path))

    class Looking(StaticTracker):
        reads_images = True

        def track(self, image):
            seen.append(image.shape)
            return super().track(image)

    static = runner.track_sequence(StaticTracker(), seq)
    assert reads == [] and static["decode_time"].max() < 1e-3
    looking = runner.track_sequence(Looking(), seq)
    assert len(reads) == len(seq) and len(seen) == len(seq) - 1 and seen[0][2] == 3
    np.testing.assert_array_equal(static["boxes"], looking["boxes"])


@pytest.fixture
def trained_tiny(tiny_env):
    out = ltr("train", "tiny/tiny", "--set", "trainer.epochs=1")
    assert out.returncode == 0, out.stderr
    return tiny_env


def test_eval_tracks_and_scores_and_parallel_workers_agree(trained_tiny):
    one = ltr("eval", "tiny/tiny", "--tag", "serial")
    assert one.returncode == 0, one.stderr
    assert "fps tracker" in one.stdout and "fps with decoding" in one.stdout
    last = one.stdout.strip().splitlines()[-1]
    assert last.startswith("AUC ") and "(demo test, 2 sequences, pytracking)" in last
    two = ltr("eval", "tiny/tiny", "--tag", "parallel", "--workers", "2")
    assert two.returncode == 0, two.stderr
    res = trained_tiny / "results"
    for f in sorted((res / "serial" / "demo").glob("*-?.txt")):
        assert f.read_text() == (res / "parallel" / "demo" / f.name).read_text()
    assert (res / "serial" / "demo" / "success.png").is_file()
    rerun = ltr("eval", "tiny/tiny", "--tag", "serial")
    assert "all 2 sequences already done" in rerun.stdout


def test_eval_without_a_checkpoint_says_how_to_get_one(tiny_env):
    out = ltr("eval", "tiny/tiny")
    assert out.returncode == 2 and "no checkpoint in" in out.stderr and "ltr train tiny/tiny" in out.stderr


def test_score_compares_folders_and_reports_malformed_files(trained_tiny):
    assert ltr("eval", "tiny/tiny").returncode == 0
    assert ltr("eval", "tiny/tiny", "--baseline", "static").returncode == 0
    a = trained_tiny / "results" / "tiny" / "tiny" / "demo"
    b = trained_tiny / "results" / "baseline" / "static" / "demo"
    out = ltr("score", "--results", str(a), str(b), "--dataset", "demo", "--plots", str(trained_tiny / "plots"))
    assert out.returncode == 0, out.stderr
    assert "tiny/tiny" in out.stdout and "baseline/static" in out.stdout and "zebra-3" in out.stdout
    assert (trained_tiny / "plots" / "precision.png").is_file()
    js = json.loads(ltr("score", "--results", str(b), "--dataset", "demo", "--json", "--protocol", "pysot").stdout)
    assert js["protocol"] == "pysot" and set(js["results"][str(b)]["per_sequence"]) == {"zebra-3", "board-3"}
    assert js["results"][str(b)]["label"] == "baseline/static"
    bad = b / "zebra-3.txt"
    lines = bad.read_text().splitlines()
    lines[6] = "1,2,nan,4"
    bad.write_text("\n".join(lines) + "\n")
    out = ltr("score", "--results", str(b), "--dataset", "demo")
    assert out.returncode == 2 and f"{bad}:7: NaN or negative width/height" in out.stderr


def test_track_a_video_writes_boxes_and_an_annotated_video(trained_tiny, demo_tree, tmp_path):
    frames = sorted((demo_tree / "zebra" / "zebra-3" / "img").glob("*.jpg"))[:15]
    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (160, 120))
    for f in frames:
        writer.write(cv2.imread(str(f)))
    writer.release()
    init = (demo_tree / "zebra" / "zebra-3" / "groundtruth.txt").read_text().splitlines()[0]
    out = ltr("track", "tiny/tiny", "--video", str(video), "--init", init, "--out", str(tmp_path / "out.mp4"))
    assert out.returncode == 0, out.stderr
    boxes = np.loadtxt(tmp_path / "out.txt", delimiter=",")
    assert boxes.shape == (15, 4)
    cap = cv2.VideoCapture(str(tmp_path / "out.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 15
    frames_dir = ltr("track", "tiny/tiny", "--frames", str(demo_tree / "zebra" / "zebra-3" / "img"), "--init", init,
                     "--boxes", str(tmp_path / "b.txt"))
    assert frames_dir.returncode == 0 and len(np.loadtxt(tmp_path / "b.txt", delimiter=",")) == 40
    # in a log, the open-ended progress bar prints every 50 frames and once at the end, not once per frame
    bars = [line for line in frames_dir.stderr.splitlines() if line.startswith("track ")]
    assert len(bars) == 1 and re.match(r"track 40 \d\d:\d\d \([\d.]+/s\)", bars[0]), frames_dir.stderr
    bad = ltr("track", "tiny/tiny", "--video", str(video), "--init", "1,2,3")
    assert bad.returncode == 2 and "expected x,y,w,h" in bad.stderr


def test_eval_on_got10k_val_and_trackingnet_test_layouts(tiny_env, tmp_path, monkeypatch):
    val = tmp_path / "got" / "val" / "GOT-10k_Val_000001"
    val.mkdir(parents=True)
    (val / "groundtruth.txt").write_text("\n".join(["10,10,20,20"] * 5) + "\n")
    for i in range(5):
        cv2.imwrite(str(val / f"{i + 1:08d}.jpg"), np.zeros((60, 80, 3), np.uint8))
    monkeypatch.setenv("LTR_GOT10K_DIR", str(tmp_path / "got"))
    out = ltr("eval", "tiny/tiny", "--baseline", "static", "--dataset", "got10k", "--split", "val")
    assert out.returncode == 0, out.stderr
    assert "AUC 95.2" in out.stdout                     # exact boxes: every threshold but IoU > 1
    tn = tmp_path / "tn" / "TEST"
    (tn / "anno").mkdir(parents=True)
    (tn / "anno" / "vid.txt").write_text("5,5,10,10\n")
    (tn / "frames" / "vid").mkdir(parents=True)
    for i in range(4):
        cv2.imwrite(str(tn / "frames" / "vid" / f"{i}.jpg"), np.zeros((40, 40, 3), np.uint8))
    monkeypatch.setenv("LTR_TRACKINGNET_DIR", str(tmp_path / "tn"))
    out = ltr("eval", "tiny/tiny", "--baseline", "static", "--dataset", "trackingnet")
    assert out.returncode == 0, out.stderr
    assert "results are for its evaluation server" in out.stdout and "ltr pack trackingnet" in out.stdout
    assert len((tiny_env / "results" / "baseline" / "static" / "trackingnet" / "vid.txt").read_text().split()) == 4


def test_the_network_a_tracker_is_built_with_downloads_nothing():
    """Trackers get their weights from the checkpoint: every ``pretrained*`` key of the net section is turned
    off, a flag to false and a path to pretrained weights to null; other keys stay as they are."""
    from ltr_core.track.factory import inference_net_config

    cfg = {"net": {"name": "x/y", "pretrained": "mae_pretrain_vit_base.pth", "pretrained_backbone": True,
                   "pretrained_head": None, "pretrained_like": 3, "width": 8}, "seed": 1}
    net = inference_net_config(cfg)["net"]
    assert net == {"name": "x/y", "pretrained": None, "pretrained_backbone": False, "pretrained_head": None,
                   "pretrained_like": 3, "width": 8}
    assert cfg["net"]["pretrained"] == "mae_pretrain_vit_base.pth"          # the config itself is not changed
