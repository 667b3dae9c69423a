"""OTB100, UAV123, NfS30, TNL2K and LaSOT-extension readers on small trees in each official layout, and
`ltr eval --dataset NAME` on them."""

import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

from ltr_core.cli_runner import run_ltr
from ltr_core.data.dataset import DataError
from ltr_core.data.datasets.benchmarks import OTB100, TNL2K, UAV123, LaSOTExtension, NfS30, read_table
from ltr_core.track.runner import sequences_from_dataset


def ltr(*args):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args)


def ltr_process(*args):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True, timeout=300)


def frames(folder, numbers, digits, ext="jpg"):
    folder.mkdir(parents=True, exist_ok=True)
    img = np.zeros((24, 32, 3), np.uint8)
    ok, buf = cv2.imencode(f".{ext}", img)
    for n in numbers:
        (folder / f"{n:0{digits}d}.{ext}").write_bytes(buf.tobytes())


def boxes(n, sep=",", nan_rows=()):
    rows = [[3 + i % 5, 4, 10, 8] for i in range(n)]
    return "".join(sep.join("NaN" if i in nan_rows else f"{v:g}" for v in r) + "\n" for i, r in enumerate(rows))


def test_tables_have_the_official_sequence_counts():
    assert [len(read_table(t)) for t in ("otb100", "uav123", "nfs30")] == [100, 123, 100]
    otb = {e.name: e for e in read_table("otb100")}
    assert (otb["David"].first, otb["David"].last, otb["Tiger1"].init_omit) == (300, 770, 5)
    uav = {e.name: e for e in read_table("uav123")}
    assert uav["uav_car1_2"].folder == uav["uav_car1_1"].folder and uav["uav_car1_2"].first == 751


def test_otb_late_starts_skipped_frames_and_two_targets_in_one_video(tmp_path):
    root = tmp_path / "otb"
    frames(root / "David" / "img", range(300, 771), 4)
    (root / "David" / "groundtruth_rect.txt").write_text(boxes(471, sep="\t"))
    frames(root / "Tiger1" / "img", range(1, 355), 4)
    (root / "Tiger1" / "groundtruth_rect.txt").write_text(boxes(354, sep=" "))
    frames(root / "Jogging" / "img", range(1, 308), 4)
    (root / "Jogging" / "groundtruth_rect.1.txt").write_text(boxes(307))
    (root / "Jogging" / "groundtruth_rect.2.txt").write_text(boxes(307).replace("10,8", "20,30"))
    seqs = {s.name: s for s in sequences_from_dataset(OTB100(root))}
    assert sorted(seqs) == ["David", "Jogging_1", "Jogging_2", "Tiger1"]       # the copy has these four
    assert seqs["David"].frames[0].endswith("David/img/0300.jpg") and len(seqs["David"]) == 471
    t = seqs["Tiger1"]
    assert t.frames[0].endswith("Tiger1/img/0006.jpg") and len(t) == 349 and t.gt[0, 0] == 3 + 5 % 5
    assert seqs["Jogging_1"].frames == seqs["Jogging_2"].frames
    assert seqs["Jogging_2"].gt[0, 2:].tolist() == [20, 30] and seqs["Jogging_1"].rules == "default"
    (root / "David" / "groundtruth_rect.txt").write_text(boxes(470))
    with pytest.raises(DataError, match=r"David/groundtruth_rect.txt: 470 boxes, but David spans frames 300..770"):
        sequences_from_dataset(OTB100(root), ["David"])


def test_uav123_cuts_sequences_from_one_video_and_keeps_nan_ground_truth(tmp_path):
    root = tmp_path / "uav"
    frames(root / "data_seq" / "UAV123" / "car1", range(1, 1628), 6)
    (root / "anno" / "UAV123").mkdir(parents=True)
    (root / "anno" / "UAV123" / "car1_1.txt").write_text(boxes(751, nan_rows=(5, 6)))
    (root / "anno" / "UAV123" / "car1_2.txt").write_text(boxes(877))
    ds = UAV123(root)
    seqs = {s.name: s for s in sequences_from_dataset(ds)}
    assert sorted(seqs) == ["uav_car1_1", "uav_car1_2"]
    assert seqs["uav_car1_2"].frames[0].endswith("data_seq/UAV123/car1/000751.jpg")
    assert seqs["uav_car1_1"].frames[-1].endswith("car1/000751.jpg")          # the cut frame is in both
    gt = seqs["uav_car1_1"].gt
    assert np.isnan(gt[5]).all() and seqs["uav_car1_1"].rules == "uav" and seqs["uav_car1_1"].visible is None
    assert not ds.sequence_info(0).visible[5] and ds.sequence_info(0).bbox[5].tolist() == [0, 0, 0, 0]


def test_nfs_tnl2k_and_lasot_extension_layouts(tmp_path):
    nfs = tmp_path / "nfs"
    frames(nfs / "sequences" / "car_jumping", range(1, 23), 5)
    (nfs / "anno").mkdir(parents=True)
    (nfs / "anno" / "nfs_car_jumping.txt").write_text(boxes(22, sep="\t"))
    (s,) = sequences_from_dataset(NfS30(nfs))
    assert s.name == "nfs_car_jumping" and s.frames[4].endswith("sequences/car_jumping/00005.jpg") and len(s) == 22

    tnl = tmp_path / "tnl2k"
    frames(tnl / "advSamp_Baseball_game_002-Done" / "imgs", range(1, 6), 5, "png")
    (tnl / "advSamp_Baseball_game_002-Done" / "groundtruth.txt").write_text(boxes(5))
    (tnl / "advSamp_Baseball_game_002-Done" / "language.txt").write_text("the batter in white\n")
    (tnl / "not_a_sequence").mkdir()
    ds = TNL2K(tnl)
    (s,) = sequences_from_dataset(ds)
    assert s.frames[0].endswith("imgs/00001.png") and ds.language(0) == "the batter in white"
    (tnl / "advSamp_Baseball_game_002-Done" / "groundtruth.txt").write_text(boxes(4))
    with pytest.raises(DataError, match=r"groundtruth.txt: 4 boxes but .*imgs holds 5 frames"):
        sequences_from_dataset(TNL2K(tnl))

    ext = tmp_path / "ext" / "wingsuit" / "wingsuit-3"
    frames(ext / "img", range(1, 7), 8)
    (ext / "groundtruth.txt").write_text(boxes(6))
    (ext / "full_occlusion.txt").write_text("0,0,1,0,0,0\n")
    (ext / "out_of_view.txt").write_text("0,0,0,0,1,0\n")
    (s,) = sequences_from_dataset(LaSOTExtension(tmp_path / "ext"))
    assert s.name == "wingsuit-3" and s.rules == "lasot_extension"
    assert s.visible.tolist() == [True, True, False, True, False, True]

    with pytest.raises(DataError, match=r"no usable sequence under .*Expected layout: ROOT/sequences"):
        NfS30(tmp_path / "ext")


def test_ltr_eval_runs_on_a_benchmark_and_names_the_variable_when_unset(tiny_env, tmp_path, monkeypatch):
    root = tmp_path / "uav"
    frames(root / "data_seq" / "UAV123" / "bike3", range(1, 434), 6)
    (root / "anno" / "UAV123").mkdir(parents=True)
    (root / "anno" / "UAV123" / "bike3.txt").write_text(boxes(433, nan_rows=range(100, 150)))
    monkeypatch.setenv("LTR_UAV123_DIR", str(root))
    out = ltr("eval", "tiny/tiny", "--baseline", "static", "--dataset", "uav123", "--split", "test")
    assert out.returncode == 0, out.stderr
    assert re.search(r"AUC [\d.]+ .*\(uav123 test, 1 sequences, pytracking\)", out.stdout.splitlines()[-1])
    monkeypatch.delenv("LTR_OTB_DIR", raising=False)
    monkeypatch.setenv("LTR_ENV_FILE", str(tmp_path / "none.yaml"))
    missing = ltr("eval", "tiny/tiny", "--baseline", "static", "--dataset", "otb")
    assert missing.returncode == 2 and "LTR_OTB_DIR is not set" in missing.stderr
