"""Hostile and mistaken inputs, third round: numbers Python would misread, LaTeX's specials, frames and crops too
large to decode or allocate, configs YAML can hold but no setting can, damaged checkpoint fields, full disks under
the lock and the checkpoint, a killed export's leftovers, videos cut short, and `ltr data pack` of linked, packed,
looping and interrupted trees. Each gives one line naming the file or key and loses nothing."""

import errno
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from ltr_core.config import ConfigError, load_config
from ltr_core.data.dataset import DataError, parse_number, read_box_file
from test_trust import cli, last_line, trained  # noqa: F401  (the fixture too)


# -- numbers ----------------------------------------------------------------------------------------------------
def test_numbers_python_would_misread_are_refused_naming_the_file_and_line(tmp_path, trained):  # noqa: F811
    assert parse_number(" 12.5 ") == 12.5 and parse_number("-1e3") == -1000.0 and np.isnan(parse_number("NaN"))
    for text in ("1_5", "inf", "-Infinity", "١٢", "0x10", "1e", ""):
        with pytest.raises(ValueError):
            parse_number(text)
    gt = tmp_path / "groundtruth.txt"
    gt.write_text("1,2,3,4\n5,6,7,8\n1_5,2,3,4\n")
    with pytest.raises(DataError, match=rf"^{gt}:3: "):
        read_box_file(gt)
    gt.write_text("1,2,3,4\n5,6,7,8\n15,2,3,4\n")
    assert read_box_file(gt)[2, 0] == 15.0
    gt.write_text("1,2,3,4\n" + "7" * 50_000 + "x,2,3,4\n")      # one way to match a number: no backtracking blow-up
    with pytest.raises(DataError, match=rf"^{gt}:2: "):
        read_box_file(gt)
    video = _clip(tmp_path / "clip.avi", 6)
    code, out = cli("track", "tiny/tiny", "--video", video, "--init", "1_5,1,9,9")
    assert code == 2 and "'1_5,1,9,9': expected x,y,w,h" in out and not (tmp_path / "clip.txt").exists()


# -- LaTeX ------------------------------------------------------------------------------------------------------
def test_latex_tables_escape_all_ten_special_characters():
    from ltr_core.evaluation.score import TEX_ESCAPES, _tex, format_latex

    assert set(TEX_ESCAPES) == set("\\{}$&#_%^~")
    name = r"a_b%c&d#e$f^g~h{i}j\k"
    assert _tex(name) == r"a\_b\%c\&d\#e\$f\textasciicircum{}g\textasciitilde{}h\{i\}j\textbackslash{}k"
    row = {"auc": 50.0, "precision": 40.0, "norm_precision": 45.0, "sequences": 1, "frames": 10}
    table = format_latex({name: row}, "la$ot")
    plain = format_latex({"NAME": row}, "DATA")
    assert table == plain.replace("NAME", _tex(name)).replace("DATA", r"la\$ot")
    if shutil.which("pdflatex"):
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            doc = (r"\documentclass{article}\usepackage{booktabs}\begin{document}" + table + r"\end{document}")
            (Path(d) / "t.tex").write_text(doc)
            r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "t.tex"], cwd=d, capture_output=True)
            assert r.returncode == 0, r.stdout[-2000:]


# -- frames and crops too large ---------------------------------------------------------------------------------
def test_a_frame_over_the_pixel_limit_is_refused_from_its_header_before_decoding(tmp_path, monkeypatch):
    import cv2

    from ltr_core.data.image import FrameTooLarge, read_image
    from ltr_core.env import EnvironmentError_

    png = tmp_path / "huge.png"
    cv2.imwrite(str(png), np.zeros((8, 8, 3), np.uint8))
    data = bytearray(png.read_bytes())
    data[16:24] = struct.pack(">II", 30000, 30000)           # the header now says 30000x30000
    png.write_bytes(bytes(data))
    with pytest.raises(FrameTooLarge, match=rf"^frame {png} is 30000x30000 \(900 M pixels, 2.5 GiB decoded\), over "
                                            r"the limit of 100 M pixels: raise LTR_MAX_FRAME_PIXELS"):
        read_image(png)
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), np.zeros((20, 30, 3), np.uint8))
    assert read_image(small)[0].shape == (20, 30, 3)
    monkeypatch.setenv("LTR_MAX_FRAME_PIXELS", "500")
    with pytest.raises(FrameTooLarge, match="30x20"):
        read_image(small)
    monkeypatch.setenv("LTR_MAX_FRAME_PIXELS", "lots")
    with pytest.raises(EnvironmentError_, match=r"^LTR_MAX_FRAME_PIXELS='lots' \(from environment\): expected a "
                                                r"positive whole number"):
        read_image(small)


@pytest.mark.parametrize("setting, message", [
    ("data.train.processing.search_size=1000000", "search_size: expected int >= 8 and <= 2048, got 1000000"),
    ("trainer.epochs=99999999999999999999999", "is beyond the 64-bit integers"),
    ("data.train.loader.batch_size=10000000", "data.train.loader.batch_size: expected int >= 1 and <= 65536, got 10000000"),
])
def test_settings_no_machine_can_hold_are_refused_at_load(tiny_env, setting, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_config("tiny/tiny", [setting])


def test_configs_yaml_can_hold_but_no_setting_can_name_the_file(tiny_env, tmp_path):
    cfgs = tmp_path / "cfgs"
    cfgs.mkdir()
    cases = {"keys.yaml": ("base: tiny/tiny\ntrainer:\n  1: 2\n", "the key 1 (int) is not a name"),
             "deep.yaml": ("base: tiny/tiny\nx: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than a config"),
             "deep2.yaml": ("base: tiny/tiny\nx: " + "{a: " * 40 + "1" + "}" * 40 + "\n", "nested deeper"),
             "big.yaml": ("base: tiny/tiny\n" + "# padding\n" * 120_000, "MiB: a config is a few KB")}
    for name, (text, message) in cases.items():
        (cfgs / name).write_text(text)
        code, out = cli("config", "show", cfgs / name)
        assert code == 2 and message in last_line(out) and str(cfgs / name) in last_line(out), (name, out)
        assert "Traceback" not in out


# -- checkpoints, locks, leftovers ------------------------------------------------------------------------------
@pytest.mark.parametrize("field, value, message", [
    ("net", [1, 2], "its 'net' is list [1, 2], not a dict of tensors"),
    ("epoch", "3", "its 'epoch' is str '3', not a whole number >= 0"),
    ("config", None, "its 'config' is NoneType None, not a dict"),
    ("optimizer", 7, "its 'optimizer' is int 7"),
])
def test_a_checkpoint_whose_fields_have_the_wrong_types_is_one_line(trained, tmp_path, field, value,  # noqa: F811
                                                                    message):
    state = torch.load(trained, weights_only=True)
    state[field] = value
    bad = tmp_path / "bad.pth"
    torch.save(state, bad)
    code, out = cli("eval", "tiny/tiny", "--checkpoint", bad)
    assert code == 2 and f"{bad}: {message}: the file is damaged or was not written by ltr" in last_line(out), out


def test_a_full_disk_when_the_lock_is_written_is_one_line_and_releases_it(tmp_path, monkeypatch):
    from ltr_core import locking

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(locking.os, "pwrite", full)
    with pytest.raises(locking.LockError, match=rf"^cannot write the lock of {tmp_path} \(No space left on device\): "
                                                "free space on that disk"):
        with locking.FolderLock(tmp_path, "eval"):
            pass
    monkeypatch.undo()
    with locking.FolderLock(tmp_path, "eval"):             # nothing held on: the next writer gets it
        pass


def test_a_killed_exports_temporary_files_are_removed_and_a_running_ones_kept(tmp_path):
    import subprocess
    import sys

    from ltr_core.locking import remove_dead_leftovers

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = tmp_path / f"forward.onnx.{int(dead.stdout)}.tmp"
    mine = tmp_path / f"forward.onnx.{os.getpid()}.tmp"
    other = tmp_path / "notes.tmp"
    for p in (gone, mine, other):
        p.write_bytes(b"x" * 100)
    assert remove_dead_leftovers(tmp_path) == [gone]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])


# -- videos cut short -------------------------------------------------------------------------------------------
def _clip(path, frames, size=(96, 72)):
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    rng = np.random.default_rng(0)
    for i in range(frames):
        frame = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
        frame[20:40, 10 + i:40 + i] = 255
        writer.write(frame)
    writer.release()
    return path


def test_a_video_cut_short_keeps_the_boxes_tracked_and_says_so(trained, tmp_path):  # noqa: F811
    import cv2

    from ltr_core.data.image import VideoTruncated, video_frames

    video = _clip(tmp_path / "clip.avi", 40)
    data = video.read_bytes()
    video.write_bytes(data[:int(len(data) * 0.6)])
    cap = cv2.VideoCapture(str(video))
    reported = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    decoded = []
    with pytest.raises(VideoTruncated) as caught:
        for frame in video_frames(video):
            decoded.append(frame)
    assert reported == 40 and 0 < len(decoded) < 40 and caught.value.decoded == len(decoded)
    boxes = tmp_path / "boxes.txt"
    code, out = cli("track", "tiny/tiny", "--video", video, "--init", "10,20,30,20", "--boxes", boxes)
    assert code == 2 and "Traceback" not in out
    assert last_line(out) == (f"error: {video}: its container reports 40 frames, but only the first {len(decoded)} "
                              f"decode (the file is cut short or corrupt there): tracked those {len(decoded)} frames; "
                              f"their boxes are in {boxes}. Repair or re-encode the video for the rest"), out
    assert len(boxes.read_text().splitlines()) == len(decoded)


# -- ltr data pack ----------------------------------------------------------------------------------------------
def _tree(root, sequences=3, frames=4):
    import cv2

    for s in range(sequences):
        img = root / "cls" / f"cls-{s}" / "img"
        img.mkdir(parents=True)
        for f in range(frames):
            cv2.imwrite(str(img / f"{f + 1:08d}.jpg"), np.full((8, 8, 3), 10 * s + f, np.uint8))
        (img.parent / "groundtruth.txt").write_text("1,1,2,2\n" * frames)
    return root


def _packed_frames(out):
    from ltr_core.data.packed import Pack

    return {str(p.parent.relative_to(out)): sorted(Pack(p).names()) for p in out.rglob("frames.ltrpack")}


def test_pack_follows_linked_folders_copies_packed_ones_and_refuses_loops_and_empty_trees(tmp_path):
    root = _tree(tmp_path / "src")
    elsewhere = _tree(tmp_path / "elsewhere", sequences=1)
    os.symlink(elsewhere / "cls" / "cls-0", root / "cls" / "cls-linked")
    code, out = cli("data", "pack", root, "--out", tmp_path / "p1")
    assert code == 0 and "packed 16 frames of 4 folders" in out and "followed 1 folders that are symbolic links" in out
    packed = _packed_frames(tmp_path / "p1")
    assert sorted(packed) == ["cls/cls-0/img", "cls/cls-1/img", "cls/cls-2/img", "cls/cls-linked/img"]
    assert packed["cls/cls-linked/img"] == [f"{f:08d}.jpg" for f in range(1, 5)]
    # a packed tree packs again to the same packs (copied after their index is read), not to an empty tree
    code, out = cli("data", "pack", tmp_path / "p1", "--out", tmp_path / "p2")
    assert code == 0 and "packed 16 frames of 4 folders" in out
    assert _packed_frames(tmp_path / "p2") == packed
    assert (tmp_path / "p2" / "cls" / "cls-1" / "groundtruth.txt").is_file()
    os.symlink(root / "cls", root / "cls" / "cls-1" / "loop")
    code, out = cli("data", "pack", root, "--out", tmp_path / "p3")
    assert code == 2 and "the tree loops; remove the link" in last_line(out)
    (tmp_path / "empty" / "a").mkdir(parents=True)
    code, out = cli("data", "pack", tmp_path / "empty", "--out", tmp_path / "p4")
    assert code == 2 and "holds no frames" in last_line(out)


def test_a_stopped_pack_continues_where_it_stopped(tmp_path):
    root = _tree(tmp_path / "src")
    code, out = cli("data", "pack", root, "--out", tmp_path / "p")
    assert code == 0
    full = _packed_frames(tmp_path / "p")
    # as a run stopped after the first folder leaves it: the marker, a half-written pack, the rest unwritten
    out_dir = tmp_path / "p"
    (out_dir / ".ltr-pack-in-progress").write_text(str(root.resolve()))
    shutil.rmtree(out_dir / "cls" / "cls-2")
    half = out_dir / "cls" / "cls-1" / "img" / "frames.ltrpack"
    (half.parent / "frames.ltrpack.12345.tmp").write_bytes(half.read_bytes()[:50])
    half.unlink()
    code, out = cli("data", "pack", root, "--out", out_dir)
    assert code == 0 and "continuing the pack" in out and "kept 1 packs of the stopped run" in out
    assert _packed_frames(out_dir) == full and not list(out_dir.rglob("*.tmp"))
    assert not (out_dir / ".ltr-pack-in-progress").exists()
    code, out = cli("data", "pack", root, "--out", out_dir)          # done: a second run is refused, not merged
    assert code == 2 and "exists and is not empty" in last_line(out)



def test_eval_stops_on_a_video_cut_short_naming_it_and_keeps_the_sequences_done(tiny_env, tmp_path):
    root = tmp_path / "own"
    root.mkdir()
    video = _clip(root / "run.avi", 40)
    (root / "run.txt").write_text("".join(f"{10 + i},20,30,20\n" for i in range(40)))
    data = video.read_bytes()
    video.write_bytes(data[:int(len(data) * 0.6)])
    code, out = cli("eval", "tiny/tiny", "--untrained", "--dataset", f"sequences:{root}", "--split", "all")
    assert code == 2 and "Traceback" not in out
    assert f"error: {video}: its container reports 40 frames, but only the first " in last_line(out)
    assert "(sequence run, frame " in last_line(out)
    assert not (tiny_env / "results" / "tiny" / "tiny-untrained" / "sequences" / "run.txt").exists()
