"""Batched tracking (`ltr eval --batch N`, `ltr bench track --batch`): N sequences stepped together with one network
call per frame, on the tiny tracker (which opts in through prepare/network/finish)."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ltr_core.cli_runner import run_ltr
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.evaluation.metrics import read_result_file
from ltr_core.track.runner import run_sequences, sequences_from_dataset


def ltr(*args, timeout=300):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args)


def ltr_process(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True,
                          timeout=timeout)


def boxes(folder, name):
    return read_result_file(folder / f"{name}.txt").boxes


def assert_same_tracks(a, b, frames=6):
    """The same boxes on the first ``frames`` frames (to 0.01 px and 1e-4 of the box: the untrained tiny tracker's
    boxes double every frame, which amplifies the rounding of batched products without limit later on)."""
    np.testing.assert_allclose(a[:frames], b[:frames], rtol=1e-4, atol=0.0101)


def test_batched_runner_fills_slots_as_sequences_end_and_writes_every_sequence(tiny_env, demo_tree, tmp_path):
    from ltr_core.config import load_config
    from ltr_core.track.factory import TrackerFactory

    factory = TrackerFactory(load_config("tiny/tiny"), None, device="cpu")
    seqs = sequences_from_dataset(LaSOT(demo_tree, split="all"))          # 6 sequences of 40 frames
    seqs[1].frames, seqs[1].gt = seqs[1].frames[:11], seqs[1].gt[:11]     # one ends early: its slot takes the next
    alone = run_sequences(factory, seqs, tmp_path / "alone", progress=False)
    batched = run_sequences(factory, seqs, tmp_path / "batched", progress=False, batch=4)
    assert alone["tracked"] == batched["tracked"] == 6 and batched["frames"] == alone["frames"] == 5 * 40 + 11
    assert batched["steps"] == 40 + 40 and batched["network_s"] > 0 and batched["fps_with_decoding"] > 0
    for s in seqs:
        assert_same_tracks(boxes(tmp_path / "alone", s.name), boxes(tmp_path / "batched", s.name))
        times = np.loadtxt(tmp_path / "batched" / f"{s.name}_time.txt")
        assert times.shape == (len(s),) and (times > 0).all()
    again = run_sequences(factory, seqs, tmp_path / "batched", progress=False, batch=4)
    assert again["tracked"] == 0 and again["skipped"] == 6


def test_eval_batch_records_the_batch_and_reuses_or_retracks_by_it(tiny_env):
    out = ltr("eval", "tiny/tiny", "--untrained", "--split", "train", "--batch", "3")
    assert out.returncode == 0, out.stderr
    assert re.search(r"tracked 4 sequences \(0 already done\): [\d.]+ fps tracker, [\d.]+ fps with decoding; batch 3: "
                     r"[\d.]+ frames/s over [\d.]+ s, per step data \d+ms, network \d+ms, finish \d+ms", out.stdout)
    folder = tiny_env / "results" / "tiny" / "tiny-untrained" / "demo"
    assert json.loads((folder / "provenance.json").read_text())["batch"] == 3
    again = ltr("eval", "tiny/tiny", "--untrained", "--split", "train", "--batch", "3")
    assert "all 4 sequences already done" in again.stdout
    one = ltr("eval", "tiny/tiny", "--untrained", "--split", "train")
    assert "they were made with other settings (batch: 3 -> 1)" in one.stderr
    assert json.loads((folder / "provenance.json").read_text())["batch"] == 1


def test_eval_batch_with_several_workers_and_with_onnx_runtime(tiny_env):
    plain = ltr("eval", "tiny/tiny", "--untrained", "--split", "train", "--tag", "plain")
    assert plain.returncode == 0, plain.stderr
    two = ltr("eval", "tiny/tiny", "--untrained", "--split", "train", "--tag", "two", "--batch", "2", "--workers",
              "2")
    assert two.returncode == 0, two.stderr
    onnx = ltr("eval", "tiny/tiny", "--untrained", "--split", "train", "--tag", "onnx", "--batch", "4",
               "--runtime", "onnx")
    assert onnx.returncode == 0, onnx.stderr
    res = tiny_env / "results"
    for seq in sequences_from_dataset(LaSOT(os.environ["LTR_DEMO_DIR"], split_file="train_split.txt")):
        ref = boxes(res / "plain" / "demo", seq.name)
        assert_same_tracks(ref, boxes(res / "two" / "demo", seq.name))
        np.testing.assert_allclose(ref[:6], boxes(res / "onnx" / "demo", seq.name)[:6], rtol=1e-3, atol=0.02)
    manifest = json.loads(next((tiny_env / "export" / "tiny" / "tiny").glob("*/manifest.json")).read_text())
    assert manifest["parts"][0]["dynamic_axes"] == {"search": {"0": "batch"}, "template": {"0": "batch"},
                                                    "box": {"0": "batch"}}


def test_a_tracker_that_does_not_opt_in_says_so_and_tracks_one_sequence_at_a_time(tiny_env):
    out = ltr("eval", "tiny/tiny", "--baseline", "static", "--batch", "8")
    assert out.returncode == 0, out.stderr
    assert ("note: --batch 8: core/static does not split its frames into prepare/network/finish (Tracker.batchable); "
            "tracking one sequence at a time") in out.stderr
    record = json.loads((tiny_env / "results" / "baseline" / "static" / "demo" / "provenance.json").read_text())
    assert record["batch"] == 1


def test_a_killed_batched_evaluation_resumes_where_it_stopped(tiny_env):
    args = ["-m", "ltr_core", "eval", "tiny/tiny", "--untrained", "--split", "train", "--batch", "2", "--set",
            "tracker.frame_delay=0.02"]
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    folder = tiny_env / "results" / "tiny" / "tiny-untrained" / "demo"
    deadline = time.time() + 120
    while time.time() < deadline and len([p for p in folder.glob("*-?.txt")]) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = sorted(p.name for p in folder.glob("*-?.txt"))
    assert 2 <= len(written) < 4, written
    # a kill inside a result's write can leave its temporary file (no process survives SIGKILL to remove it): the
    # next run takes over the dead run's lock and removes it
    again = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert not list(folder.glob("*.tmp"))
    assert f"tracked {4 - len(written)} sequences ({len(written)} already done)" in again.stdout
    assert all(len(read_result_file(p).boxes) == 40 for p in folder.glob("*-?.txt"))


def test_a_tracker_that_fails_in_a_batched_step_is_named_with_its_sequence_and_frame(tiny_env, demo_tree, tmp_path,
                                                                                      monkeypatch):
    import tiny_plugin

    from ltr_core.config import load_config
    from ltr_core.registry import ComponentError
    from ltr_core.track.factory import TrackerFactory

    def finish(self, outputs, image):
        raise ValueError("no box here")

    monkeypatch.setattr(tiny_plugin.TinyTracker, "finish", finish)
    seqs = sequences_from_dataset(LaSOT(demo_tree, split="all"))
    with pytest.raises(ComponentError, match=r"^tracker 'tiny/tiny' \(plugin 'tiny', .*\) raised ValueError in finish "
                                             r"on frame 2 of sequence \w+-\d: no box here$"):
        run_sequences(TrackerFactory(load_config("tiny/tiny"), None), seqs, tmp_path, progress=False, batch=3)


def test_bench_track_batch_reports_each_size_and_the_speed_up(tiny_env):
    out = ltr("bench", "track", "tiny/tiny", "--untrained", "--batch", "1,4", "--frames", "20", "--size", "160x120",
              "--rounds", "2")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("tiny/tiny batched, runtime torch: 160x120, 20 frames per sequence, ")
    assert lines[0].endswith("on cpu, median of 2 alternated rounds")
    pattern = (r"batch (\d+): ([\d.]+) frames/s \([\d.]+ ms/step: data [\d.]+, network [\d.]+, finish [\d.]+\), peak "
               r"memory \d+ MiB, ([\d.]+)x batch 1")
    rows = [re.fullmatch(pattern, line) for line in lines[1:3]]
    assert all(rows) and [int(r.group(1)) for r in rows] == [1, 4] and float(rows[0].group(3)) == 1.0
    assert re.fullmatch(r"fps: [\d.]+ \(batch [14]\)", lines[-1])
    js = json.loads(ltr("bench", "track", "tiny/tiny", "--untrained", "--batch", "2", "--frames", "20", "--size",
                        "160x120", "--json").stdout)
    assert js["per_batch"]["2"]["frames"] == 40 and js["on"] == "cpu"
    bad = ltr("bench", "track", "tiny/tiny", "--untrained", "--batch", "0,2")
    assert bad.returncode == 2 and "expected batch sizes like 1,8,32" in bad.stderr
