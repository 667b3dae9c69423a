"""Results you can trust, tried as a hostile or careless user would: no file runs code, nothing is written
outside the workspace, results know what made them, one writer per run, and bad input ends in one line with
exit code 2 and nothing half-written."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from ltr_core.cli import main
from ltr_core.cli_runner import run_ltr
from ltr_core.config import ConfigError, load_config
from ltr_core.locking import FolderLock, LockError, tmp_name


def cli(*args):
    """``ltr ARGS`` in this process: (exit code, output with stderr)."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def ltr(*args, timeout=300):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args)


def ltr_process(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "ltr_core", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=os.environ)


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@pytest.fixture
def trained(tiny_env):
    """A one-epoch tiny/tiny run: its checkpoint path."""
    code, out = cli("train", "tiny/tiny", "--set", "trainer.epochs=1")
    assert code == 0, out
    return tiny_env / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0001.pth"


# -- no file runs code ----------------------------------------------------------------------------------------
class Payload:
    """Pickled into a checkpoint: unpickling it (its __setstate__) would create a file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __getstate__(self):
        return {"marker": self.marker}

    def __setstate__(self, state):
        Path(state["marker"]).write_text("code from a checkpoint ran")


def test_a_pickled_object_in_any_weights_file_never_runs(trained, tmp_path):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pth"
    net = torch.load(trained, weights_only=True)["net"]
    torch.save({"net": net, "payload": Payload(marker)}, evil)
    code, out = cli("eval", "tiny/tiny", "--checkpoint", evil)
    assert code == 2 and last_line(out) == (
        f"error: checkpoint {evil} cannot be loaded: it holds pickled objects other than tensors and plain data "
        "(such as test_trust.Payload), which ltr never unpickles. If it is a checkpoint of another toolkit, `ltr "
        "import PLUGIN FILE -o OUT.pth` copies its tensors into an ltr checkpoint without running anything in it")
    code, out = cli("import", "tiny", evil, "-o", tmp_path / "imported.pth", "--config", "tiny/tiny")
    assert code == 0, out                                    # the safe route: tensors only, the object stays inert
    code, out = cli("train", "tiny/tiny", "--init-from", evil, "--no-resume", "--set", "trainer.epochs=1")
    assert code == 0 and f"initialised weights from {evil}" in out
    assert not marker.exists()


def test_a_torchscript_archive_is_refused_before_torch_can_run_its_code(trained, tmp_path, monkeypatch):
    archive = tmp_path / "scripted.pt"
    torch.jit.script(torch.nn.Linear(2, 2)).save(str(archive))
    marker = tmp_path / "ran"
    monkeypatch.setattr(torch.jit, "load", lambda *a, **k: marker.write_text("torch.jit.load ran"))
    why = ("is a TorchScript archive: it carries code, which loading it would run, and ltr never loads such files. "
           "Where you trust the file, save its weights as a plain state dict (torch.save(module.state_dict(), "
           "path)) and pass that instead")
    for args in (["import", "tiny", archive, "-o", tmp_path / "x.pth", "--config", "tiny/tiny"],
                 ["train", "tiny/tiny", "--init-from", archive, "--no-resume"],
                 ["eval", "tiny/tiny", "--checkpoint", archive],
                 ["export", "tiny/tiny", "--checkpoint", archive, "--out", tmp_path / "onnx"]):
        code, out = cli(*args)
        assert code == 2 and last_line(out) == f"error: {archive} {why}", (args, out)
    assert not marker.exists()


# -- paths stay inside --------------------------------------------------------------------------------------
def test_config_files_and_tags_name_folders_inside_the_workspace_only(tiny_env, tmp_path, monkeypatch):
    outside = tmp_path / "x.yaml"
    outside.write_text("base: tiny/tiny\ntrainer: {epochs: 1}\n")
    nested = tmp_path / "cfgs" / "tiny" / "tiny.yaml"          # looks like a registered config's name
    nested.parent.mkdir(parents=True)
    nested.write_text("base: ../../x.yaml\n")                    # relative base: from the including file
    monkeypatch.chdir(tmp_path / "cfgs")
    a, b = load_config(str(outside)), load_config("tiny/tiny.yaml")
    assert a["_name"].startswith("file/x-") and b["_name"].startswith("file/tiny-") and b["_name"] != "tiny/tiny"
    assert b["trainer"]["epochs"] == 1                           # ../../x.yaml found from cfgs/tiny/
    code, out = cli("train", outside)
    assert code == 0, out
    assert (tiny_env / "checkpoints" / "ltr" / a["_name"] / "ep0001.pth").is_file()
    assert not (tmp_path / "x").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["cfgs", "ws", "x.yaml"]
    for tag in ("../../x", "/tmp/x", ".hidden", "a/../b"):
        code, out = cli("eval", "tiny/tiny", "--untrained", "--tag", tag)
        assert code == 2 and last_line(out).startswith(f"error: --tag {tag!r}: use letters, digits"), out


def test_pack_checks_every_sequence_name_and_entry_without_the_dataset(tiny_env, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "..txt").write_text("1,2,3,4\n")
    (results / ".._time.txt").write_text("0.1\n")
    code, out = cli("pack", "got10k", results, "-o", tmp_path / "pack.zip")
    assert code == 2 and last_line(out).startswith(f"error: {results}: result file ..txt names the sequence '.': use ")
    assert not list(tmp_path.glob("pack.zip*"))


# -- provenance ---------------------------------------------------------------------------------------------
def test_results_record_what_made_them_and_eval_tracks_again_when_that_changes(trained, tiny_env, demo_tree,
                                                                                 tmp_path):
    folder = tiny_env / "results" / "tiny" / "tiny" / "demo"
    code, out = cli("eval", "tiny/tiny")
    assert code == 0 and "tracked 2 sequences (0 already done)" in out
    record = json.loads((folder / "provenance.json").read_text())
    assert record["checkpoint"] == str(trained) and record["weights"] == "checkpoint"
    assert record["dataset"] == {"benchmark": "core/demo", "split": "test", "root": str(demo_tree.resolve())}
    assert record["versions"]["plugins"]["tiny"]["version"] == "dev" and record["runtime"] == "torch"
    assert "all 2 sequences already done" in cli("eval", "tiny/tiny")[1]

    assert cli("train", "tiny/tiny", "--set", "trainer.epochs=2")[0] == 0       # a newer checkpoint
    code, out = cli("eval", "tiny/tiny")
    assert code == 0 and "tracked 2 sequences (0 already done)" in out
    assert f"{folder}: they were made with checkpoint {trained} (sha256 " in out
    assert "this run uses checkpoint " in out and "ep0002.pth" in out
    aside = [p for p in folder.parent.iterdir() if p.name.startswith("demo.replaced-")]
    assert len(aside) == 1 and (aside[0] / "provenance.json").is_file()       # moved aside, not deleted

    other = tmp_path / "copy"
    shutil.copytree(demo_tree, other)                                          # same sequence names elsewhere
    code, out = cli("eval", "tiny/tiny", "--dataset", f"demo:{other}")
    assert code == 0 and "they were made with other settings (dataset:" in out and "tracked 2 sequences" in out
    code, out = cli("score", "--results", folder, "--dataset", f"demo:{other}")
    assert code == 0
    assert f"made by: tiny/tiny: tiny/tiny with checkpoint {trained.parent / 'ep0002.pth'} (sha256 " in out
    assert f"core/demo test at {other}" in out


def test_resuming_with_settings_that_change_the_run_is_refused_and_ones_that_extend_it_are_said(trained, tiny_env):
    code, out = cli("train", "tiny/tiny", "--set", "optimizer.lr=0.1", "--set", "seed=5")
    assert code == 2
    assert f"error: {trained} belongs to a run of tiny/tiny trained with other settings: optimizer.lr 0.003 -> 0.1; " \
           "seed 3 -> 5. To continue that run, give the settings it had; to start a new run with these, add " \
           "--no-resume" in out
    code, out = cli("train", "tiny/tiny", "--set", "trainer.epochs=2", "--set", "data.train.loader.workers=1")
    assert code == 0
    assert "resuming with settings that extend the run: data.train.loader.workers 0 -> 1; trainer.epochs 1 -> 2" in out
    code, out = cli("train", "tiny/tiny", "--set", "trainer.epochs=2")
    assert code == 0 and "run tiny/tiny is finished: epoch 2 of 2" in out and "epochs: 3..2" not in out
    code, out = cli("train", "tiny/tiny", "--no-resume", "--set", "trainer.epochs=1", "--set", "seed=5")
    assert code == 0 and "--no-resume: moved the previous run's checkpoints to " in out
    old = [p for p in trained.parent.parent.iterdir() if p.name.startswith("tiny.replaced-")]
    assert len(old) == 1 and (old[0] / "ep0002.pth").is_file() and (trained.parent / "ep0001.pth").is_file()


def test_init_from_another_network_and_checkpoints_of_another_net_are_refused(trained, tiny_env, tmp_path):
    foreign = tmp_path / "foreign.pth"
    torch.save({"backbone.weight": torch.zeros(3, 3), "head.weight": torch.zeros(4, 136)}, foreign)
    code, out = cli("train", "tiny/tiny", "--init-from", foreign, "--no-resume")
    assert code == 2 and f"error: --init-from {foreign}: only 1 of the network's 8 parameters are in the file" in out
    code, out = cli("train", "tiny/tiny", "--init-from", foreign, "--init-partial", "--no-resume")
    assert code == 0 and "1 of 8 parameters loaded; 7 keep their initialisation, 1 of the file's are not used" in out
    code, out = cli("export", "hcat/demo", "--checkpoint", trained, "--out", tmp_path / "onnx")
    assert code == 2 and last_line(out) == (
        f"error: {trained} holds a tiny/tiny network (config tiny/tiny), but hcat/demo runs hcat/hcat: give a "
        "checkpoint of hcat/demo, or use the config it was trained with (tiny/tiny)")


def test_a_checkpoint_with_nan_weights_is_refused_for_eval_track_and_export(trained, tmp_path):
    state = torch.load(trained, weights_only=True)
    state["net"]["head.weight"][0, 3] = float("nan")
    bad = tmp_path / "diverged.pth"
    torch.save(state, bad)
    why = (f"error: {bad}: parameter 'head.weight' holds NaN or infinite values (the run diverged?); use an earlier "
           "checkpoint (--epoch N) or train again with a lower learning rate")
    frames = tmp_path / "frames"
    frames.mkdir()
    import cv2
    cv2.imwrite(str(frames / "1.jpg"), np.zeros((60, 80, 3), np.uint8))
    for args in (["eval", "tiny/tiny", "--checkpoint", bad], ["export", "tiny/tiny", "--checkpoint", bad, "--out",
                 tmp_path / "o"], ["track", "tiny/tiny", "--checkpoint", bad, "--frames", frames, "--init", "1,1,9,9"]):
        code, out = cli(*args)
        assert code == 2 and last_line(out) == why, (args, out)


# -- one writer -----------------------------------------------------------------------------------------------
def test_a_second_writer_is_refused_naming_the_holder_and_a_dead_holders_lock_is_taken_over(tiny_env):
    args = ["train", "tiny/tiny", "--set", "trainer.epochs=4", "--set", "actor.step_delay=0.5"]
    first = subprocess.Popen([sys.executable, "-m", "ltr_core", *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=os.environ)
    lock = tiny_env / "checkpoints" / "ltr" / "tiny" / "tiny.lock"
    deadline = time.time() + 60
    while not (lock.is_file() and lock.read_text().startswith("PID")) and time.time() < deadline:
        time.sleep(0.05)
    second = ltr(*args)
    assert second.returncode == 2
    assert last_line(second.stderr).startswith(f"error: {lock.parent / 'tiny'} is in use by PID {first.pid} on ")
    assert "one ltr train at a time writes there" in second.stderr
    first.send_signal(signal.SIGKILL)
    first.wait()
    run_dir = lock.parent / "tiny"
    run_dir.mkdir(parents=True, exist_ok=True)      # the first run may be killed before it made its folder
    (run_dir / f"ep0003.pth.{first.pid}.tmp").write_bytes(b"half a checkpoint")    # as if killed mid-save
    other = run_dir / f"notes.{first.pid + 1}.tmp"                                   # not the dead holder's
    other.write_text("someone else's")
    third = ltr(*args)
    assert third.returncode == 0, third.stderr
    assert f"note: took over the lock left by PID {first.pid} on " in third.stderr
    assert re.search(r"; removed its [12] half-written temporary file\(s\)", third.stderr)  # 2: killed mid-save
    assert [p.name for p in run_dir.glob("*.tmp")] == [other.name]


def test_eval_locks_its_results_folder_and_temporary_files_are_per_process(tiny_env, demo_tree):
    folder = tiny_env / "results" / "tiny" / "tiny-untrained" / "demo"
    with FolderLock(folder, "ltr eval"):
        code, out = cli("eval", "tiny/tiny", "--untrained")
        assert code == 2 and f"error: {folder} is in use by PID {os.getpid()}" in out
        with pytest.raises(LockError):
            FolderLock(folder, "ltr eval").acquire()
    assert cli("eval", "tiny/tiny", "--untrained")[0] == 0
    assert tmp_name(folder / "a.txt").name == f"a.txt.{os.getpid()}.tmp"


# -- checked before any data is read ------------------------------------------------------------------------
@pytest.mark.parametrize("override, message", [
    ("data.train.loader.batch_size=0", "data.train.loader.batch_size: expected int >= 1 and <= 65536, got 0"),
    ("data.train.loader.batch_size=-1", "data.train.loader.batch_size: expected int >= 1 and <= 65536, got -1"),
    ("data.train.loader.workers=-1", "data.train.loader.workers: expected int >= 0 and <= 256, got -1"),
    ("trainer.log_every=0", "trainer.log_every: expected int >= 1, got 0"),
    ("trainer.epochs=0", "trainer.epochs: expected int >= 1, got 0"),
    ("trainer.clip_grad_norm=-1", "trainer.clip_grad_norm: expected a finite float > 0 or null, got -1"),
    ("seed=-1", "seed: expected int >= 0, got -1"),
    ("scheduler.step_size=0", "scheduler.step_size: expected int >= 1, got 0"),
    ("scheduler.gamma=.inf", "scheduler.gamma: expected a finite float > 0, got inf"),
    ("optimizer.lr=.nan", "optimizer.lr: expected a finite float > 0, got nan"),
    ("optimizer.lr=0", "optimizer.lr: expected a finite float > 0, got 0"),
    ("data.train.datasets.0.weight=.nan", "data.train.datasets.0.weight: expected a finite float >= 0, got nan"),
    ("data.train.sampler.samples_per_epoch=0", "data.train.sampler.samples_per_epoch: expected int >= 1, got 0"),
    ("data.train.processing.search_size=0", "data.train.processing.search_size: expected int >= 8 and <= 2048, got 0"),
    ("data.train.processing.transforms.0.jitter=1.5",
     "data.train.processing.transforms.0.jitter: expected a finite float >= 0 and <= 1, got 1.5"),
    ("trainer=null", "config: 'trainer: null' is not a section"),
])
def test_settings_are_checked_when_the_config_loads(tiny_env, override, message):
    with pytest.raises(ConfigError) as e:
        load_config("tiny/tiny", [override])
    assert str(e.value).startswith(message)


def test_plugin_settings_and_options_are_checked_too(tiny_env):
    with pytest.raises(ConfigError, match=r"^net.hidden_dim: expected int >= 1, got 0"):
        load_config("hcat/demo", ["net.hidden_dim=0"])
    with pytest.raises(ConfigError, match=r"^tracker.search_size: expected int >= 8 and <= 2048, got 0"):
        load_config("hcat/demo", ["tracker.search_size=0"])
    code, out = cli("train", "tiny/tiny", "--nproc", "0")
    assert code == 2 and "Invalid value for '--nproc': 0 is not in the range 1<=x<=256" in out
    code, out = cli("eval", "tiny/tiny", "--untrained", "--workers", "-1")
    assert code == 2 and "--workers" in out


def test_a_sampler_that_can_draw_nothing_stops_naming_its_keys(tiny_env):
    code, out = cli("train", "tiny/tiny", "--set", "data.train.sampler.min_length=1000")
    assert code == 2 and "error: no usable sequence in 10000 draws (lasot: 4 sequences): a video sequence needs at " \
                         "least min_length (1000) frames" in out


# -- one line, exit 2, nothing half-written -----------------------------------------------------------------
def _copy_tree(demo_tree, tmp_path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(demo_tree, copy)
    return copy


def test_unreadable_frames_and_bad_ground_truth_stop_evaluation_naming_the_file(tiny_env, demo_tree, tmp_path):
    tree = _copy_tree(demo_tree, tmp_path)
    seq = sorted(p for p in (tree).glob("*/*-3") if p.is_dir())[0]        # a test sequence
    (seq / "img" / "00000007.jpg").write_bytes(b"\xff\xd8\xff garbage")
    code, out = cli("eval", "tiny/tiny", "--untrained", "--dataset", f"demo:{tree}")
    assert code == 2 and "cannot decode frame" in out and f"(sequence {seq.name}, frame 7)" in out
    assert "Traceback" not in out
    gt = seq / "groundtruth.txt"
    rows = gt.read_text().splitlines()
    gt.write_text("\n".join(["nan,nan,nan,nan"] + rows[1:]) + "\n")
    code, out = cli("eval", "tiny/tiny", "--untrained", "--dataset", f"demo:{tree}")
    assert code == 2 and f"error: --dataset demo:{tree} --split test" not in out
    assert f"{gt}:1: the first frame's box [nan, nan, nan, nan] must be four finite numbers" in out
    gt.write_text("\n".join(rows[:4] + ["3,4,-5,6"] + rows[5:]) + "\n")
    code, out = cli("eval", "tiny/tiny", "--untrained", "--dataset", f"demo:{tree}")
    assert code == 2 and f"{gt}:5: negative width or height" in out


def test_track_refuses_bad_first_boxes_videos_and_outputs_before_writing_anything(trained, tmp_path):
    import cv2

    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for i in range(6):
        writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
    writer.release()
    track = ["track", "tiny/tiny", "--video", video]
    for init, message in (("100,100,5,5", "the box lies outside the first frame (64x48)"),
                          ("1,1,inf,5", "'1,1,inf,5': expected x,y,w,h as plain decimal numbers with w, h > 0"),
                          ("nan,1,5,5", "expected x, y, w, h as finite numbers with w, h > 0"),
                          ("1,1,9000,5", "more than 10 times the first frame (64x48)")):
        code, out = cli(*track, "--init", init, "--boxes", tmp_path / "boxes.txt")
        assert code == 2 and message in out and "Traceback" not in out, (init, out)
    assert not (tmp_path / "boxes.txt").exists()
    code, out = cli(*track, "--init", "1,1,9,9", "--out", tmp_path / "x.weird")
    assert code == 2 and last_line(out).startswith(f"error: --out {tmp_path / 'x.weird'}: ltr writes videos as ")
    assert not list(tmp_path.glob("x.*"))
    for content in (b"", b"\x00\x00\x00\x18ftypmp42 this is not a video"):
        broken = tmp_path / "broken.mp4"
        broken.write_bytes(content)
        code, out = cli("track", "tiny/tiny", "--video", broken, "--init", "1,1,9,9")
        assert code == 2 and last_line(out).startswith(f"error: cannot read video {broken}"), out
    code, out = cli(*track, "--init", "10,10,20,16", "--out", tmp_path / "tracked.avi")
    assert code == 0 and (tmp_path / "tracked.avi").stat().st_size > 0 and (tmp_path / "tracked.txt").is_file()


def test_config_files_that_are_not_utf8_repeat_a_key_or_null_a_section_are_refused(tiny_env, tmp_path):
    cases = {"latin1.yaml": "base: tiny/tiny\ndescription: caf\xe9\n".encode("latin-1"),
             "twice.yaml": b"base: tiny/tiny\ntrainer: {epochs: 2}\ntrainer: {epochs: 3}\n",
             "null.yaml": b"base: tiny/tiny\ntrainer: null\n"}
    messages = {"latin1.yaml": "is not UTF-8 text (invalid continuation byte at byte 32): save it as UTF-8",
                "twice.yaml": "key 'trainer' appears twice in one mapping (first on line 2): keep one",
                "null.yaml": "'trainer: null' is not a section"}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        code, out = cli("config", "show", tmp_path / name)
        assert code == 2 and messages[name] in out and str(tmp_path / name) in out, out


def test_workspace_variables_are_expanded_like_a_shell_would(tmp_path, monkeypatch):
    from ltr_core.env import workspace_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LTR_WORKSPACE", "$HOME/runs")
    assert workspace_dir() == tmp_path / "runs"
    monkeypatch.setenv("LTR_WORKSPACE", "~/runs2")
    assert workspace_dir() == tmp_path / "runs2"


def test_full_or_unwritable_outputs_fail_in_one_line_and_leave_no_temporary_file(trained, tiny_env, tmp_path,
                                                                                    monkeypatch):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    code, out = cli("export", "tiny/tiny", "--out", a_file / "onnx")
    assert code == 2 and last_line(out).startswith(f"error: cannot write the export to {a_file / 'onnx'}: ")

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    code, out = cli("train", "tiny/tiny", "--set", "trainer.epochs=2")
    assert code == 2
    assert last_line(out) == (f"error: cannot write checkpoint {trained.parent / 'ep0002.pth'} (No space left on "
                              "device): nothing of it was kept and the latest checkpoint is still ep0001.pth. Free "
                              f"space or make {trained.parent} writable (or use another --workspace), then run the "
                              "same command again to continue from there")
    assert sorted(p.name for p in trained.parent.iterdir()) == ["ep0001.pth"]


def test_a_disk_that_fills_while_torch_writes_a_checkpoint_leaves_the_previous_one_latest(trained, tiny_env):
    """The real thing: the process may not write files over 1 KiB (RLIMIT_FSIZE), so torch.save's zip writer
    fails midway, as on a full disk."""
    import resource

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)       # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    out = subprocess.run([sys.executable, "-m", "ltr_core", "train", "tiny/tiny", "--set", "trainer.epochs=2"],
                         capture_output=True, text=True, timeout=300, preexec_fn=small_files)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert last_line(out.stderr).startswith(f"error: cannot write checkpoint {trained.parent / 'ep0002.pth'} (")
    assert "nothing of it was kept and the latest checkpoint is still ep0001.pth" in last_line(out.stderr)
    assert sorted(p.name for p in trained.parent.iterdir()) == ["ep0001.pth"]          # no *.tmp left behind
    again = ltr("train", "tiny/tiny", "--set", "trainer.epochs=2")
    assert again.returncode == 0 and "resumed from" in again.stdout and "(epoch 1)" in again.stdout


# -- ltr score keeps every folder -----------------------------------------------------------------------------
def test_score_labels_sibling_folders_apart_and_keys_json_by_the_path_given(tiny_env, demo_tree, tmp_path):
    assert cli("eval", "tiny/tiny", "--untrained")[0] == 0
    made = tiny_env / "results" / "tiny" / "tiny-untrained" / "demo"
    for name in ("a", "b"):
        shutil.copytree(made, tmp_path / "s" / name)
    (tmp_path / "s" / "b" / sorted(p.name for p in made.glob("*-3.txt"))[0]).write_text(
        "\n".join(["1,1,5,5"] * 40) + "\n")
    code, out = cli("score", "--results", tmp_path / "s" / "a", tmp_path / "s" / "b", "--dataset", "demo",
                    "--no-per-sequence")
    rows = [line.split()[0] for line in out.splitlines() if line.startswith("s/")]
    assert code == 0 and rows == ["s/a", "s/b"]
    code, out = cli("score", "--results", tmp_path / "s" / "a", tmp_path / "s" / "b", "--dataset", "demo",
                    "--format", "json")
    data = json.loads(out[out.index("{"):])
    assert list(data["results"]) == [str(tmp_path / "s" / "a"), str(tmp_path / "s" / "b")]
    assert data["results"][str(tmp_path / "s" / "a")]["auc"] != data["results"][str(tmp_path / "s" / "b")]["auc"]
