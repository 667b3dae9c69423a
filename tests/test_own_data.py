"""Your own data: a folder of frame folders or videos with boxes, trained on and evaluated; `ltr data check`
before a long run; the augmentations real recipes use; a packed layout for clusters."""

import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from ltr_core.cli import main
from ltr_core.config import load_config
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.data.datasets.sequences import Sequences, read_boxes
from ltr_core.data.dataset import DataError
from ltr_core.data.image import read_bytes, read_image
from ltr_core.data.transforms import ChannelBrightness, GaussianBlur, HorizontalFlip


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _frame(i: int, w: int = 160, h: int = 120) -> np.ndarray:
    image = np.full((h, w, 3), 60, np.uint8)
    cv2.rectangle(image, (20 + 2 * i, 30 + i), (60 + 2 * i, 60 + i), (230, 200, 40), -1)
    return image


@pytest.fixture
def own(tmp_path) -> Path:
    """ROOT with: `walk/` (PNG frames numbered 1..25 without padding, polygon boxes separated by spaces, an
    out_of_view.txt), `run.mp4` + `run.txt` (tab-separated x,y,w,h), `jog/` (frames in img/, commas), a split."""
    root = tmp_path / "own"
    (root / "walk").mkdir(parents=True)
    lines = []
    for i in range(25):
        cv2.imwrite(str(root / "walk" / f"{i + 1}.png"), _frame(i))
        x0, y0, x1, y1 = 20 + 2 * i, 30 + i, 61 + 2 * i, 61 + i
        lines.append(f"{x0} {y0} {x1} {y0} {x1} {y1} {x0} {y1}")
    (root / "walk" / "groundtruth.txt").write_text("\n".join(lines) + "\n")
    (root / "walk" / "out_of_view.txt").write_text("\n".join(["0"] * 20 + ["1"] * 5) + "\n")
    writer = cv2.VideoWriter(str(root / "run.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (160, 120))
    for i in range(20):
        writer.write(_frame(i))
    writer.release()
    (root / "run.txt").write_text("".join(f"{20 + 2 * i}\t{30 + i}\t41\t31\n" for i in range(20)))
    (root / "jog" / "img").mkdir(parents=True)
    for i in range(22):
        cv2.imwrite(str(root / "jog" / "img" / f"frame{i:05d}.jpg"), _frame(i))
    (root / "jog" / "groundtruth.txt").write_text("".join(f"{20 + 2 * i},{30 + i},41,31\n" for i in range(22)))
    (root / "test_split.txt").write_text("walk\nrun\n")
    return root


def test_frame_folders_videos_polygons_and_flags_read_as_sequences(own):
    ds = Sequences(own)
    assert ds.sequence_names() == ["jog", "run", "walk"]
    walk = ds.sequence_names().index("walk")
    info = ds.sequence_info(walk)
    assert len(info) == 25 and info.bbox[3].tolist() == [26, 33, 41, 31]   # polygon -> min/max box
    assert info.visible.tolist() == [True] * 20 + [False] * 5
    assert [Path(ds.frame_path(walk, i)).name for i in (0, 1, 9, 10)] == ["1.png", "2.png", "10.png", "11.png"]
    run = ds.sequence_names().index("run")
    assert ds.video_file(run).endswith("run.mp4") and len(ds.sequence_info(run)) == 20
    late, _ = ds.read_frame(run, 12)
    early, _ = ds.read_frame(run, 3)                                  # going back reopens the video
    assert late.shape == (120, 160, 3) and not np.array_equal(late, early)
    assert Sequences(own, split="test").sequence_names() == ["walk", "run"]
    with pytest.raises(DataError, match="there is no .*val_split.txt .* use split all"):
        Sequences(own, split="val")


@pytest.mark.parametrize("content, message", [
    ("1,2,3\n", "groundtruth.txt:1: expected 4 values (x,y,w,h) or 8 (a polygon), got 3"),
    ("1,2,3,4\nx,2,3,4\n", "groundtruth.txt:2: expected numbers"),
    ("1,2,3,4\n1,2,-3,4\n", "groundtruth.txt:2: negative width or height"),
    ("", "is empty"),
])
def test_a_malformed_box_file_names_the_file_and_line(tmp_path, content, message):
    path = tmp_path / "groundtruth.txt"
    path.write_text(content)
    with pytest.raises(DataError, match=re.escape(message)):
        read_boxes(path)


def test_own_sequences_are_evaluated_and_trained_on(own, tiny_env, tmp_path):
    code, out = cli("eval", "tiny/tiny", "--untrained", "--dataset", f"sequences:{own}", "--split", "all")
    assert code == 0, out
    assert "(sequences all, 3 sequences, pytracking)" in out
    results = tiny_env / "results" / "tiny" / "tiny-untrained" / "sequences"
    assert len((results / "run.txt").read_text().splitlines()) == 20          # the video, read front to back
    mine = tmp_path / "mine.yaml"
    mine.write_text(f"base: tiny/tiny\ntrainer: {{epochs: 1}}\ndata:\n  train:\n    datasets:\n"
                    f"      - {{name: sequences, root: {own}, weight: 1}}\n    sampler: {{min_length: 10}}\n"
                    "    processing: {transforms: [{name: hflip}, {name: channel_brightness}, {name: blur, p: 0.5}]}\n")
    code, out = cli("train", mine)
    assert code == 0, out
    code, out = cli("eval", "tiny/tiny", "--untrained", "--dataset", f"sequences:{own}", "--split", "val")
    assert code == 2 and "there is no" in out and "val_split.txt" in out


def test_data_check_summarises_each_sequence_and_fails_naming_the_file(own, tmp_path):
    code, out = cli("data", "check", own)
    assert code == 0, out
    assert "ok    walk: 25 frames, 25 boxes, 0 without the target, 5 not visible, 0 outside the frame (160x120)" in out
    assert out.strip().splitlines()[-1] == f"3 sequences (67 frames) in {own} read as sequences: 3 ok, 0 with errors"
    broken = tmp_path / "broken"
    shutil.copytree(own, broken)
    (broken / "jog" / "img" / "frame00004.jpg").unlink()
    (broken / "walk" / "out_of_view.txt").write_text("0\n0\n")
    box_lines = (broken / "run.txt").read_text().splitlines()
    (broken / "run.txt").write_text("\n".join(box_lines[:3] + ["500\t500\t10\t10"] + box_lines[4:]) + "\n")
    code, out = cli("data", "check", broken, "--quiet")
    assert code == 2
    assert f"ERROR jog: {broken / 'jog' / 'groundtruth.txt'} has 22 boxes but the sequence has 21 frames" in out
    assert f"ERROR walk: {broken / 'walk' / 'out_of_view.txt'} has 2 values but groundtruth has 25 rows" in out
    assert out.strip().splitlines()[-1].endswith("1 ok, 2 with errors")
    code, out = cli("data", "check", broken, "--layout", "lasot")
    assert code == 2 and "error: LaSOT: no usable sequence under" in out


def test_data_check_reads_the_official_layouts_and_finds_out_of_frame_boxes(demo_tree, tmp_path):
    tree = tmp_path / "demo"
    shutil.copytree(demo_tree, tree)
    gt = sorted(tree.glob("*/*-1/groundtruth.txt"))[0]
    rows = gt.read_text().splitlines()
    gt.write_text("\n".join(rows[:2] + ["900,900,10,10"] + rows[3:]) + "\n")
    code, out = cli("data", "check", tree, "--layout", "lasot", "--decode")
    assert code == 0 and "1 outside the frame (160x120)" in out
    assert out.strip().splitlines()[-1].endswith("6 ok, 0 with errors")
    frame = sorted(tree.glob("*/*-2/img/00000009.jpg"))[0]
    frame.unlink()
    code, out = cli("data", "check", tree, "--layout", "lasot", "--quiet")
    assert code == 2 and f"{frame}: missing (1 of the 40 frames are)" in out
    frame.write_bytes(b"\xff\xd8\xff not a jpeg")
    code, out = cli("data", "check", tree, "--layout", "lasot", "--quiet", "--decode")
    assert code == 2 and f"cannot decode frame {frame}" in out


def test_flip_moves_the_boxes_and_every_transform_is_drawn_from_seed_epoch_and_index():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)
    box = np.array([3.0, 4.0, 10.0, 6.0], dtype=np.float32)
    (flipped,), (moved,) = HorizontalFlip(p=1.0)([image], rng, [box])
    assert moved.tolist() == [27.0, 4.0, 10.0, 6.0] and np.array_equal(flipped, image[:, ::-1])
    crop = image[4:10, 3:13]
    assert np.array_equal(flipped[4:10, 27:37], crop[:, ::-1])                  # the pixels went with the box
    for transform in (HorizontalFlip(p=0.5), ChannelBrightness(jitter=0.3), GaussianBlur(p=0.5)):
        a = transform([image, image], np.random.default_rng([7, 2, 11]))
        b = transform([image, image], np.random.default_rng([7, 2, 11]))
        c = transform([image, image], np.random.default_rng([7, 2, 12]))
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
        assert any(not np.array_equal(x, y) for x, y in zip(a, c)) or isinstance(transform, HorizontalFlip)
    one = ChannelBrightness(jitter=0.3)([image, image], np.random.default_rng(3))
    assert np.array_equal(one[0], one[1])                                        # once per sample by default
    factors = one[0].reshape(-1, 3).astype(float).sum(0) / image.reshape(-1, 3).astype(float).sum(0)
    assert len({round(f, 2) for f in factors}) == 3                              # one factor per channel
    # hflip: one draw per sample, or (per_frame) one per frame, boxes mirrored with their frame
    for per_frame, mixed in ((False, 0), (True, 1)):
        flip, seen = HorizontalFlip(p=0.5, per_frame=per_frame), set()
        for i in range(20):
            out, boxes = flip([image, image], np.random.default_rng(i), [[1, 2, 3, 4], [1, 2, 3, 4]])
            flipped = tuple(not np.array_equal(o, image) for o in out)
            assert [b[0] == image.shape[1] - 4 for b in boxes] == list(flipped)
            seen.add(flipped)
        assert sum(a != b for a, b in seen) >= mixed and (sum(a != b for a, b in seen) == 0) == (not per_frame)


def test_flip_in_the_processing_keeps_boxes_on_the_target_and_samples_reproducible(tiny_env, demo_tree):
    from ltr_core.data.build import build_sampler

    cfg = load_config("tiny/tiny", ["data.train.processing.transforms=[{name: hflip, p: 1.0}]",
                                    "data.train.processing.normalize=false", "data.train.processing.search_center_jitter=0"])
    plain = load_config("tiny/tiny", ["data.train.processing.transforms=[]", "data.train.processing.normalize=false",
                                      "data.train.processing.search_center_jitter=0"])
    a = build_sampler(cfg["data"]["train"], 3, tiny_env)[(1, 5)]
    b = build_sampler(plain["data"]["train"], 3, tiny_env)[(1, 5)]
    x, y, w, h = b["search_anno"][0].tolist()
    assert a["search_anno"][0].tolist() == pytest.approx([32 - x - w, y, w, h])
    assert torch.equal(a["search_images"][0], b["search_images"][0].flip(-1))
    again = build_sampler(cfg["data"]["train"], 3, tiny_env)[(1, 5)]
    assert all(torch.equal(a[k], again[k]) for k in a)


def test_a_packed_tree_reads_the_same_bytes_through_every_reader_and_is_benched_against_folders(
        own, demo_tree, tiny_env, tmp_path):
    packed = tmp_path / "packed"
    code, out = cli("data", "pack", demo_tree, "--out", packed)
    assert code == 0 and "packed 240 frames of 6 folders" in out
    assert not list(packed.rglob("*.jpg")) and len(list(packed.rglob("frames.ltrpack"))) == 6
    a, b = LaSOT(demo_tree, split="all"), LaSOT(packed, split="all")
    for seq in range(len(a)):
        for frame in (0, 17, len(a.sequence_info(seq)) - 1):
            assert read_bytes(a.frame_path(seq, frame)) == read_bytes(b.frame_path(seq, frame))
            assert np.array_equal(read_image(a.frame_path(seq, frame))[0], read_image(b.frame_path(seq, frame))[0])
    own_packed = tmp_path / "own_packed"
    assert cli("data", "pack", own, "--out", own_packed)[0] == 0
    assert Sequences(own_packed).sequence_info(2).bbox.tolist() == Sequences(own).sequence_info(2).bbox.tolist()
    code, out = cli("bench", "data", "tiny/tiny", "--data", f"lasot={demo_tree}", "--packed", packed,
                    "--batches", "4", "--rounds", "2")
    assert code == 0, out
    assert "frames compared, 0 with other bytes" in out and "packed/folders" in out
    assert out.strip().splitlines()[-1].startswith("samples/s: ")
    code, out = cli("data", "pack", demo_tree, "--out", packed)
    assert code == 2 and "exists and is not empty" in out
    code, out = cli("data", "pack", demo_tree, "--out", demo_tree / "inside")
    assert code == 2 and "must be outside" in out
