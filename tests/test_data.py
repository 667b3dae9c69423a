"""Dataset readers, sampler statistics and seeding, crop geometry, decoding, bad data, the demo generator."""

import hashlib
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from ltr_core.data.build import build_sampler
from ltr_core.data.dataset import DataError
from ltr_core.data.datasets.coco import COCOSequences
from ltr_core.data.datasets.got10k import GOT10k
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.data.datasets.trackingnet import TrackingNet
from ltr_core.data.demo import DemoSpec, make_demo
from ltr_core.data.geometry import box_in_crop, crop_square, snap_crop
from ltr_core.data.image import read_image
from ltr_core.data.loader import EpochBatches, StackCollate, build_loader
from ltr_core.data.processing import IMAGENET_MEAN, IMAGENET_STD, CropPairProcessing
from ltr_core.data.sampler import TooManyFailures, TrackingSampler
from ltr_core.config import load_config


def write_jpeg(path: Path, h=48, w=64, value=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.full((h, w, 3), 128 if value is None else value, np.uint8)
    cv2.imwrite(str(path), img)


# -- readers ---------------------------------------------------------------------------------------------
def test_lasot_reader_reads_the_generated_tree(demo_tree):
    ds = LaSOT(demo_tree, split_file="train_split.txt")
    assert ds.sequence_names() == (demo_tree / "train_split.txt").read_text().split()
    info = ds.sequence_info(0)
    gt = np.loadtxt(demo_tree / "zebra" / "zebra-1" / "groundtruth.txt", delimiter=",")
    np.testing.assert_array_equal(info.bbox, gt)
    occ = np.loadtxt(demo_tree / "zebra" / "zebra-1" / "full_occlusion.txt", delimiter=",")
    oov = np.loadtxt(demo_tree / "zebra" / "zebra-1" / "out_of_view.txt", delimiter=",")
    expected = (occ == 0) & (oov == 0) & (gt[:, 2] > 0) & (gt[:, 3] > 0)
    np.testing.assert_array_equal(info.visible, expected)
    img, scale = ds.read_frame(0, 0)
    assert img.shape == (120, 160, 3) and scale == 1.0


def test_lasot_annotations_are_parsed_once(demo_tree, monkeypatch):
    ds = LaSOT(demo_tree, split_file="train_split.txt")
    calls = []
    original = ds.parse_sequence
    monkeypatch.setattr(ds, "parse_sequence", lambda i: calls.append(i) or original(i))
    for _ in range(5):
        ds.sequence_info(1)
    assert calls == [1]


def _lasot_sequence(root, name, gt_lines, occ=None, oov=None, frames=None):
    cls = name.rsplit("-", 1)[0]
    d = root / cls / name
    (d / "img").mkdir(parents=True)
    (d / "groundtruth.txt").write_text("\n".join(gt_lines) + "\n")
    n = len(gt_lines)
    (d / "full_occlusion.txt").write_text(",".join(map(str, occ or [0] * n)) + "\n")
    (d / "out_of_view.txt").write_text(",".join(map(str, oov or [0] * n)) + "\n")
    for i in range(frames if frames is not None else n):
        write_jpeg(d / "img" / f"{i + 1:08d}.jpg")
    return d


def test_lasot_edge_cases_zero_size_absent_frames_short_and_truncated(tmp_path):
    _lasot_sequence(tmp_path, "cat-1", ["1,1,10,10", "0,0,0,0", "2,2,10,10"], occ=[0, 0, 1])
    d = _lasot_sequence(tmp_path, "cat-2", ["1,1,10,10", "1,1,10"])           # truncated last line
    _lasot_sequence(tmp_path, "cat-3", ["1,1,10,10"] * 3, frames=1)           # frames 2, 3 missing
    ds = LaSOT(tmp_path, split="all")
    info = ds.sequence_info(0)
    assert info.visible.tolist() == [True, False, False]
    with pytest.raises(DataError, match=r"cat-2/groundtruth.txt:2: expected 4 numbers"):
        ds.sequence_info(1)
    with pytest.raises(DataError, match=r"cat-3/img/00000002.jpg"):
        ds.read_frame(2, 1)
    assert d.is_dir()  # nothing was touched


def test_lasot_flag_file_length_mismatch_names_the_file(tmp_path):
    d = _lasot_sequence(tmp_path, "dog-1", ["1,1,10,10"] * 3)
    (d / "out_of_view.txt").write_text("0,0\n")
    with pytest.raises(DataError, match=r"dog-1/out_of_view.txt has 2 values but groundtruth has 3 rows"):
        LaSOT(tmp_path, split="all").sequence_info(0)


def test_lasot_official_split_keeps_the_sequences_present(tmp_path):
    _lasot_sequence(tmp_path, "airplane-1", ["1,1,5,5"] * 2)      # a test sequence
    _lasot_sequence(tmp_path, "airplane-10", ["1,1,5,5"] * 2)     # a train sequence
    assert LaSOT(tmp_path, split="train").sequence_names() == ["airplane-10"]
    assert LaSOT(tmp_path, split="test").sequence_names() == ["airplane-1"]


def test_empty_root_stops_naming_the_path_and_layout(tmp_path):
    with pytest.raises(DataError, match=rf"no usable sequence under {tmp_path}. Expected layout: ROOT/<class>"):
        LaSOT(tmp_path, split="all")
    with pytest.raises(DataError, match=r"GOT-10k: .*train does not exist"):
        GOT10k(tmp_path)


def test_got10k_reader_splits_visibility_and_vot_exclusion(tmp_path):
    train = tmp_path / "train"
    for i in (1, 4, 5):
        d = train / f"GOT-10k_Train_{i:06d}"
        d.mkdir(parents=True)
        (d / "groundtruth.txt").write_text("1,2,30,40\n3,4,30,40\n5,6,30,40\n")
        (d / "absence.label").write_text("0\n1\n0\n")
        (d / "cover.label").write_text("8\n8\n0\n")
        write_jpeg(d / "00000001.jpg")
    ds = GOT10k(tmp_path, split="all")
    assert ds.sequence_names() == ["GOT-10k_Train_000001", "GOT-10k_Train_000004", "GOT-10k_Train_000005"]
    assert ds.sequence_info(0).visible.tolist() == [True, False, False]
    assert "GOT-10k_Train_000004" not in GOT10k(tmp_path, split="all", exclude_vot=True).sequence_names()
    assert ds.frame_path(0, 0).endswith("GOT-10k_Train_000001/00000001.jpg")


def test_got10k_index_splits_map_into_the_sorted_train_list(tmp_path):
    from ltr_core.data.splits import read_split
    first = int(read_split("got10k_vot_train_split.txt")[0])   # an index into the full train list
    d = tmp_path / "train" / f"GOT-10k_Train_{first + 1:06d}"
    d.mkdir(parents=True)
    (d / "groundtruth.txt").write_text("1,2,3,4\n")
    assert GOT10k(tmp_path, split="vottrain").sequence_names() == [d.name]


def test_trackingnet_reader(tmp_path):
    anno = tmp_path / "TRAIN_3" / "anno"
    anno.mkdir(parents=True)
    (anno / "vidA.txt").write_text("1,1,5,5\n2,2,0,5\n")
    write_jpeg(tmp_path / "TRAIN_3" / "frames" / "vidA" / "0.jpg")
    ds = TrackingNet(tmp_path)
    assert ds.sequence_names() == ["TRAIN_3/vidA"]
    assert ds.sequence_info(0).visible.tolist() == [True, False]
    assert ds.frame_path(0, 1).endswith("TRAIN_3/frames/vidA/1.jpg")


def test_coco_objects_are_one_frame_sequences(tmp_path):
    (tmp_path / "annotations").mkdir()
    write_jpeg(tmp_path / "images" / "train2017" / "a.jpg")
    (tmp_path / "annotations" / "instances_train2017.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg"}],
        "annotations": [{"image_id": 1, "bbox": [1, 2, 10, 12], "iscrowd": 0},
                        {"image_id": 1, "bbox": [0, 0, 30, 30], "iscrowd": 1}]}))
    ds = COCOSequences(tmp_path)
    assert len(ds) == 1 and not ds.is_video
    np.testing.assert_array_equal(ds.sequence_info(0).bbox, [[1, 2, 10, 12]])


# -- sampler ---------------------------------------------------------------------------------------------
class RecordFrames:
    """A processing that returns the chosen frame ids instead of crops."""

    def __call__(self, sample, rng):
        return {"t": torch.tensor([f.frame_id for f in sample["template_frames"]]),
                "s": torch.tensor([f.frame_id for f in sample["search_frames"]]),
                "seq": torch.tensor(sample["sequence"]), "ds": sample["dataset"]}


def test_sampler_draws_only_visible_frames_within_max_gap(demo_tree):
    ds = LaSOT(demo_tree, split_file="train_split.txt")
    sampler = TrackingSampler([ds], RecordFrames(), samples_per_epoch=400, max_gap=5, num_search_frames=2)
    for i in range(400):
        out = sampler[(0, i)]
        info = ds.sequence_info(int(out["seq"]))
        ids = torch.cat([out["t"], out["s"]]).numpy()
        assert info.visible[ids].all()
        assert np.abs(out["s"].numpy() - int(out["t"][0])).max() <= 5


def test_sampler_widens_the_gap_until_frames_are_found(tmp_path):
    vis = [1] + [0] * 30 + [1] * 5
    _lasot_sequence(tmp_path, "far-1", ["1,1,10,10"] * 36, occ=[1 - v for v in vis], frames=1)
    ds = LaSOT(tmp_path, split="all")
    sampler = TrackingSampler([ds], RecordFrames(), samples_per_epoch=50, max_gap=2, min_visible=2, mode="causal")
    searched_far = False
    for i in range(50):
        s = sampler[(0, i)]
        assert ds.sequence_info(0).visible[torch.cat([s["t"], s["s"]]).numpy()].all()
        assert s["t"].max() < s["s"].min()
        searched_far |= int(s["s"].min() - s["t"].max()) > 2     # only possible by widening the gap
    assert searched_far


@pytest.mark.parametrize("mode", ["causal", "causal_spread"])
def test_causal_modes_put_templates_before_search_frames(demo_tree, mode):
    ds = LaSOT(demo_tree, split_file="train_split.txt")
    sampler = TrackingSampler([ds], RecordFrames(), samples_per_epoch=100, max_gap=10, mode=mode,
                              num_template_frames=2, num_search_frames=1)
    base_is_first = []
    for i in range(100):
        out = sampler[(0, i)]
        assert out["t"].max() < out["s"].min()
        assert out["s"].min() - out["t"].max() <= 10 or mode == "causal_spread"     # one gap from the base
        base_is_first.append(out["t"][0] == out["t"].max())
    # pytracking's rule: the first template frame is the base, the latest; ltr's earlier one sorts them
    assert all(base_is_first) if mode == "causal" else not all(base_is_first)


def test_dataset_weights_are_respected(demo_tree):
    a = LaSOT(demo_tree, split_file="train_split.txt", name="a")
    b = LaSOT(demo_tree, split_file="train_split.txt", name="b")
    sampler = TrackingSampler([a, b], RecordFrames(), weights=[3, 1], samples_per_epoch=2000)
    share_a = np.mean([sampler[(0, i)]["ds"] == "a" for i in range(2000)])
    assert 0.70 < share_a < 0.80


def test_sample_stream_depends_only_on_seed_epoch_and_index(demo_tree):
    ds = LaSOT(demo_tree, split_file="train_split.txt")
    proc = CropPairProcessing(search_size=32, template_size=16)
    s1 = TrackingSampler([ds], proc, samples_per_epoch=16, seed=7)
    s2 = TrackingSampler([ds], proc, samples_per_epoch=16, seed=7)
    for _ in range(3):
        s2[(0, 0)]                                            # draws in another order do not matter
    torch.testing.assert_close(s1[(2, 5)], s2[(2, 5)])
    assert not torch.equal(s1[(2, 5)]["search_images"], s1[(3, 5)]["search_images"])   # epochs differ
    other_seed = TrackingSampler([ds], proc, samples_per_epoch=16, seed=8)
    assert not torch.equal(s1[(2, 5)]["search_images"], other_seed[(2, 5)]["search_images"])


def test_loader_is_the_same_with_and_without_workers(demo_tree):
    ds = LaSOT(demo_tree, split_file="train_split.txt")
    sampler = TrackingSampler([ds], CropPairProcessing(search_size=32, template_size=16), samples_per_epoch=16)
    cfg = {"batch_size": 4, "workers": 0, "stack_dim": 0, "pin_memory": False, "prefetch_factor": 2}
    serial = list(build_loader(sampler, cfg))
    parallel = list(build_loader(sampler, {**cfg, "workers": 2}))
    for a, b in zip(serial, parallel):
        torch.testing.assert_close(a, b)


def test_ranks_split_each_global_batch():
    one = list(EpochBatches(16, 4, rank=0, world_size=1, epoch=3))
    r0 = list(EpochBatches(16, 2, rank=0, world_size=2, epoch=3))
    r1 = list(EpochBatches(16, 2, rank=1, world_size=2, epoch=3))
    assert [sorted(a + b) for a, b in zip(r0, r1)] == one
    assert not set(map(tuple, r0[0])) & set(map(tuple, r1[0]))


def test_collate_stacks_along_the_configured_dimension():
    samples = [{"x": torch.zeros(1, 3), "name": "a"}, {"x": torch.ones(1, 3), "name": "b"}]
    assert StackCollate(0)(samples)["x"].shape == (2, 1, 3)
    out = StackCollate(1)(samples)
    assert out["x"].shape == (1, 2, 3) and out["name"] == ["a", "b"]


# -- geometry and decoding ------------------------------------------------------------------------------
def test_crop_places_the_box_where_expected_and_pads_with_zeros():
    img = np.full((100, 200, 3), 255, np.uint8)
    img[40:60, 90:110] = 0                     # a black 20x20 square at x=90, y=40
    box = np.array([90.0, 40.0, 20.0, 20.0])
    center, side, out = (100.0, 50.0), 80.0, 64
    crop = crop_square(img, center, side, out)
    mapped = box_in_crop(box, center, side, out)
    np.testing.assert_allclose(mapped, [24, 24, 16, 16])
    assert crop[26:38, 26:38].max() == 0 and crop[10, 10].min() == 255
    # a crop hanging over the top-left corner is zero-padded there
    corner = crop_square(img, (10.0, 10.0), 40.0, 40)
    assert corner[:9, :9].max() == 0 and corner[30, 30].min() == 255


def test_dct_downscaled_decode_gives_the_same_crop(tmp_path):
    rng = np.random.default_rng(0)
    img = cv2.resize(rng.integers(0, 255, (45, 80, 3), dtype=np.uint8), (1280, 720), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(tmp_path / "f.jpg"), img)
    full, s1 = read_image(tmp_path / "f.jpg")
    small, s4 = read_image(tmp_path / "f.jpg", min_scale=0.25)
    assert s1 == 1.0 and small.shape[1] == 320 and s4 == 0.25
    half, s2 = read_image(tmp_path / "f.jpg", min_scale=0.3)       # power-of-two scales only: 1/2 >= 0.3
    assert half.shape[:2] == (360, 640) and s2 == 0.5
    a = crop_square(full, (600.0, 300.0), 512.0, 64, image_scale=1.0).astype(float)
    b = crop_square(small, (600.0, 300.0), 512.0, 64, image_scale=s4).astype(float)
    assert np.abs(a - b).mean() < 6


@pytest.mark.parametrize("scale", [1.0, 0.5, 0.25])
@pytest.mark.parametrize("center,side", [((600.3, 300.7), 333.0), ((30.2, 40.9), 401.0), ((1250.0, 700.0), 500.0)])
def test_snapped_crop_resizes_a_slice_like_the_warp_does(scale, center, side):
    rng = np.random.default_rng(1)                                   # values 30..225: never the padding
    full = cv2.resize(rng.integers(30, 225, (45, 80, 3), dtype=np.uint8), (1280, 720), interpolation=cv2.INTER_LINEAR)
    img = cv2.resize(full, (int(1280 * scale), int(720 * scale)), interpolation=cv2.INTER_AREA)
    c, sd = snap_crop(center, side, scale)
    assert abs(c[0] - center[0]) <= 0.75 / scale and abs(sd - side) <= 0.5 / scale   # corner, side: half a pixel
    x0, y0 = (c[0] - sd / 2) * scale, (c[1] - sd / 2) * scale
    assert x0 == round(x0) and y0 == round(y0) and sd * scale == round(sd * scale)
    sliced = crop_square(img, c, sd, 128, image_scale=scale).astype(float)
    warped = crop_square(img, (c[0] + 1e-3, c[1]), sd, 128, image_scale=scale).astype(float)  # off-grid: warp
    assert np.abs(sliced - warped).mean() < 0.5
    # the zero padding covers exactly the part of the crop outside the image, on both paths
    u = (np.arange(128) + 0.5) * sd / 128 + (c[0] - sd / 2)            # full-resolution x of each output column
    v = (np.arange(128) + 0.5) * sd / 128 + (c[1] - sd / 2)
    m = 1 / scale                                                       # one decoded pixel of margin
    outside = (v[:, None] < -m) | (v[:, None] > 720 + m) | (u[None] < -m) | (u[None] > 1280 + m)
    assert sliced[outside].max(initial=0) == 0 and warped[outside].max(initial=0) == 0
    inside = (v[:, None] > m) & (v[:, None] < 719 - m) & (u[None] > m) & (u[None] < 1279 - m)
    assert sliced[inside].min() > 0


def test_a_crop_entirely_outside_the_frame_is_padding():
    img = np.full((50, 60, 3), 200, np.uint8)
    for side in (20.0, 40.0, 20.5):                    # slice, slice too large to pad (warp), off-grid (warp)
        crop = crop_square(img, (-100.0, -100.0), side, 16, pad_value=7)
        assert crop.shape == (16, 16, 3) and (crop == 7).all()


class _Frame:
    """A frame of one colour, read through the transient buffer like a dataset frame."""

    def __init__(self, path):
        self.path = str(path)

    def read(self, min_scale=1.0, fast=False, transient=False):
        return read_image(self.path, min_scale, fast, transient)


def test_processing_crops_each_frame_before_the_next_read_and_normalises(tmp_path):
    red, blue = np.zeros((720, 1280, 3), np.uint8), np.zeros((720, 1280, 3), np.uint8)
    red[..., 2], blue[..., 0] = 200, 200                                # BGR on disk
    cv2.imwrite(str(tmp_path / "red.jpg"), red)
    cv2.imwrite(str(tmp_path / "blue.jpg"), blue)
    proc = CropPairProcessing(search_center_jitter=0, search_scale_jitter=0, transforms=[])
    box = np.array([[600.0, 300.0, 80.0, 80.0]], np.float32)
    out = proc({"template_frames": [_Frame(tmp_path / "red.jpg")], "template_boxes": box,
                "search_frames": [_Frame(tmp_path / "blue.jpg")], "search_boxes": box}, np.random.default_rng(0))
    expected = lambda rgb: [(v / 255 - m) / s for v, m, s in zip(rgb, IMAGENET_MEAN, IMAGENET_STD)]
    t, s_ = out["template_images"][0], out["search_images"][0]
    assert t.shape == (3, 128, 128) and s_.shape == (3, 256, 256)
    np.testing.assert_allclose(t[:, 64, 64], expected([200, 0, 0]), atol=0.05)   # still red: not overwritten
    np.testing.assert_allclose(s_[:, 128, 128], expected([0, 0, 200]), atol=0.05)
    np.testing.assert_allclose(out["search_anno"][0], [96, 96, 64, 64], atol=1e-4)  # 4x crop of an 80 px box


def test_transient_reads_share_one_buffer_and_plain_reads_do_not(tmp_path):
    write_jpeg(tmp_path / "a.jpg", value=10)
    write_jpeg(tmp_path / "b.jpg", value=240)
    a, _ = read_image(tmp_path / "a.jpg", transient=True)
    b, _ = read_image(tmp_path / "b.jpg", transient=True)
    assert np.shares_memory(a, b) and int(a[0, 0, 0]) > 200               # the second read reused the memory
    c, _ = read_image(tmp_path / "a.jpg")
    d, _ = read_image(tmp_path / "b.jpg")
    assert not np.shares_memory(c, d) and int(c[0, 0, 0]) < 30


def test_png_frames_decode_through_the_fallback(tmp_path):
    img = np.zeros((10, 12, 3), np.uint8)
    img[..., 2] = 200                                   # red in BGR
    cv2.imwrite(str(tmp_path / "f.png"), img)
    rgb, scale = read_image(tmp_path / "f.png")
    assert rgb[0, 0].tolist() == [200, 0, 0] and scale == 1.0


# -- bad data --------------------------------------------------------------------------------------------
def _copy_tree(demo_tree, tmp_path):
    root = tmp_path / "tree"
    shutil.copytree(demo_tree, root)
    return root


def test_corrupt_frame_is_skipped_counted_and_logged(demo_tree, tmp_path, caplog):
    root = _copy_tree(demo_tree, tmp_path)
    bad = root / "zebra" / "zebra-1" / "img" / "00000003.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    ds = LaSOT(root, sequences=["zebra-1"])
    sampler = TrackingSampler([ds], CropPairProcessing(search_size=32, template_size=16), samples_per_epoch=200,
                              max_gap=2, max_failure_fraction=1.0)
    with caplog.at_level("WARNING"):
        for i in range(200):
            sampler[(0, i)]
    assert sampler.failures > 0
    assert str(bad) in caplog.text
    assert bad.read_bytes().startswith(b"\xff\xd8")   # the file is left as it was


def test_too_many_failures_stop_with_a_clear_error(demo_tree, tmp_path):
    root = _copy_tree(demo_tree, tmp_path)
    for f in (root / "zebra" / "zebra-1" / "img").glob("*.jpg"):
        f.write_bytes(b"garbage")
    ds = LaSOT(root, sequences=["zebra-1"])
    sampler = TrackingSampler([ds], CropPairProcessing(search_size=32, template_size=16), samples_per_epoch=10,
                              max_failure_fraction=0.2)
    with pytest.raises(TooManyFailures, match=r"could not be read \(more than 20%\).*max_failure_fraction"):
        sampler[(0, 0)]


# -- demo generator --------------------------------------------------------------------------------------
def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_demo_generator_is_byte_identical_for_a_seed_whatever_the_worker_count(tmp_path):
    spec = DemoSpec(classes=2, per_class=2, frames=20, width=96, height=64, seed=11, test_per_class=1)
    make_demo(tmp_path / "a", spec, progress=False, workers=1)
    make_demo(tmp_path / "b", spec, progress=False, workers=2)
    make_demo(tmp_path / "c", DemoSpec(**{**spec.__dict__, "seed": 12}), progress=False)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b") != _digest(tmp_path / "c")
    off = DemoSpec(**{**spec.__dict__, "photos": "off"})
    make_demo(tmp_path / "d", off, progress=False, workers=1)
    make_demo(tmp_path / "e", off, progress=False, workers=2)
    assert _digest(tmp_path / "d") == _digest(tmp_path / "e") != _digest(tmp_path / "a")


def test_demo_uses_scikit_image_photographs_as_backgrounds_and_targets(tmp_path):
    from ltr_core.data import demo

    spec = DemoSpec(classes=4, per_class=4, frames=20, width=96, height=64, seed=3, test_per_class=1)
    summary = make_demo(tmp_path / "p", spec, progress=False)
    assert summary["photos"] == sorted(demo.PHOTOS), "scikit-image is in the demo extra: pip install -e '.[demo]'"
    info = json.loads((tmp_path / "p" / "demo_info.json").read_text())
    assert info["photos"] == summary["photos"] and info["spec"]["seed"] == 3
    looks = [p.read_text() for p in (tmp_path / "p").glob("*/*/nlp.txt")]
    assert 0 < sum("photographic" in t for t in looks) < len(looks)   # photo targets and procedural ones
    off = make_demo(tmp_path / "o", DemoSpec(**{**spec.__dict__, "photos": "off"}), progress=False)
    assert off["photos"] == [] and not any("photographic" in p.read_text()
                                           for p in (tmp_path / "o").glob("*/*/nlp.txt"))


def test_photo_region_is_a_scaled_crop_of_the_photograph():
    from ltr_core.data.demo.photos import _photo_region

    rng = np.random.default_rng(0)
    photo = rng.uniform(0, 255, (30, 40, 3)).astype(np.float32)
    views = [_photo_region(photo, 30, 40, rng, 1.0) for _ in range(8)]   # exact size: itself or its mirror
    assert all(np.array_equal(v, photo) or np.array_equal(v, photo[:, ::-1]) for v in views)
    assert any(np.array_equal(v, photo[:, ::-1]) for v in views) and any(np.array_equal(v, photo) for v in views)
    v = _photo_region(photo, 20, 20, rng, 2.0)
    assert v.shape == (20, 20, 3) and v.flags["C_CONTIGUOUS"]
    grey = _photo_region(photo[..., :1], 50, 60, rng, 1.3)     # smaller photo: scaled up to cover
    assert grey.shape == (50, 60, 1)


def test_a_photograph_with_another_checksum_is_left_out_and_named(tmp_path, monkeypatch):
    from ltr_core.data import demo

    src = demo.photo_dir()
    assert src is not None, "scikit-image is in the demo extra: pip install -e '.[demo]'"
    fake = tmp_path / "data"
    fake.mkdir()
    shutil.copy(src / "chelsea.png", fake / "chelsea.png")
    (fake / "coffee.png").write_bytes((src / "coffee.png").read_bytes()[:-10])   # truncated: another file
    monkeypatch.setattr(demo.photos, "photo_dir", lambda: fake)
    found, notes = demo.find_photos("auto")
    assert list(found) == ["chelsea.png"]
    assert any(str(fake / "coffee.png") in n and "SHA-256" in n for n in notes)
    assert any(str(fake / "astronaut.png") in n and "missing" in n for n in notes)
    monkeypatch.setattr(demo.photos, "photo_dir", lambda: None)
    assert demo.find_photos("auto") == ({}, [demo.find_photos("auto")[1][0]])
    with pytest.raises(demo.PhotoError, match=r"pip install 'ltr-core\[demo\]'"):
        demo.find_photos("on")
    with pytest.raises(demo.PhotoError, match="not one of"):
        demo.find_photos("sometimes")


def test_make_demo_cli_photos_on_without_scikit_image_fails_cleanly(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from ltr_core.cli import main
    from ltr_core.data.demo import photos

    monkeypatch.setattr(photos, "photo_dir", lambda: None)
    res = CliRunner().invoke(main, ["data", "make-demo", "--out", str(tmp_path / "d"), "--photos", "on",
                                    "--classes", "1", "--per-class", "2", "--test-per-class", "1", "--frames", "20"])
    assert res.exit_code == 2 and "scikit-image" in res.output and not (tmp_path / "d" / "train_split.txt").exists()


def test_demo_tree_has_lasot_files_and_hard_cases(demo_tree):
    seqs = sorted(p for p in demo_tree.glob("*/*-*") if p.is_dir())
    assert len(seqs) == 6
    for s in seqs:
        assert {p.name for p in s.iterdir()} == {"img", "groundtruth.txt", "full_occlusion.txt", "out_of_view.txt",
                                                 "nlp.txt"}
        assert len(list((s / "img").glob("*.jpg"))) == 40
    assert (demo_tree / "demo_info.json").is_file()
    flags = [np.loadtxt(s / f, delimiter=",") for s in seqs for f in ("full_occlusion.txt", "out_of_view.txt")]
    assert any(f.any() for f in flags)


def test_sampler_builds_from_a_config(tiny_env, demo_tree):
    cfg = load_config("tiny/tiny")
    sampler = build_sampler(cfg["data"]["train"], cfg["seed"], tiny_env)
    sample = sampler[(0, 0)]
    assert sample["search_images"].shape == (1, 3, 32, 32)
    assert sample["template_images"].shape == (1, 3, 16, 16)


@pytest.mark.parametrize("stack_dim", [0, 1])
def test_batches_of_the_core_processing_follow_the_batch_contract(tiny_env, demo_tree, stack_dim):
    from ltr_core.data.build import build_train_loader
    from ltr_core.data.processing import BATCH_CONTRACT

    cfg = load_config("tiny/tiny", ["data.train.sampler.num_search_frames=2",
                                    f"data.train.loader.stack_dim={stack_dim}",
                                    "data.train.loader.batch_size=3"])
    batch = next(iter(build_train_loader(cfg, tiny_env)))
    sizes = {"B": 3, "Nt": 1, "Ns": 2, "T": 16, "S": 32}
    assert set(batch) == set(BATCH_CONTRACT)
    for key, (shape, dtype, _) in BATCH_CONTRACT.items():
        dims = [sizes[d] if d in sizes else int(d) for d in shape.strip("()").split(", ")]
        if stack_dim == 1:
            dims[0], dims[1] = dims[1], dims[0]
        assert tuple(batch[key].shape) == tuple(dims), key
        assert str(batch[key].dtype) == f"torch.{dtype}", key
    boxes = batch["search_anno"].reshape(-1, 4)
    assert ((boxes[:, 2:] > 0) & (boxes[:, :2] + boxes[:, 2:] / 2 < 32 + 8)).all()    # in crop pixels


def test_short_sequences_and_too_few_visible_frames_are_never_drawn(tmp_path):
    _lasot_sequence(tmp_path, "ant-1", ["1,1,10,10"] * 10, frames=1)                      # too short
    _lasot_sequence(tmp_path, "ant-2", ["1,1,10,10"] * 30, occ=[1] * 27 + [0] * 3, frames=1)  # 3 visible
    _lasot_sequence(tmp_path, "ant-3", ["1,1,10,10"] * 30, frames=1)
    ds = LaSOT(tmp_path, split="all")
    sampler = TrackingSampler([ds], RecordFrames(), samples_per_epoch=60, max_gap=5)
    assert {int(sampler[(0, i)]["seq"]) for i in range(60)} == {2}


def test_context_crop_pads_with_the_frame_mean_and_centres_the_box_at_out_minus_one_half():
    from ltr_core.data.processing import CropPairProcessing

    image = np.zeros((100, 100, 3), np.uint8)
    image[:, 50:] = 201                                    # per-channel mean 100.5 -> padding 100
    frame = type("Frame", (), {"read": lambda self, *a, **k: (image, 1.0)})()
    processing = CropPairProcessing(crop_style="context", transforms=[])
    box = np.array([2.0, 3.0, 20.0, 10.0])
    crop, mapped = processing.crop(frame, box, box, 4.0, 32)
    assert crop[0, 0].tolist() == [100, 100, 100]          # past the top-left corner: the mean, truncated
    assert (mapped[:2] + mapped[2:] / 2).tolist() == [15.5, 15.5]
    # side ceil(sqrt((20 + 45) * (10 + 45))) = 60, not ceil(sqrt(20 * 10) * 4) = 57
    assert mapped[2] == pytest.approx(20 * 32 / 60)
    with pytest.raises(ValueError, match="crop_style"):
        CropPairProcessing(crop_style="square")


def test_more_sequences_per_class_add_sequences_and_leave_the_others_byte_identical(tmp_path):
    small = DemoSpec(classes=2, per_class=2, frames=20, width=96, height=64, seed=7, test_per_class=1)
    make_demo(tmp_path / "s", small, progress=False, workers=1)
    make_demo(tmp_path / "l", DemoSpec(**{**small.__dict__, "per_class": 4, "test_per_class": 2}),
              progress=False, workers=2)
    for seq in sorted(p for p in (tmp_path / "s").glob("*/*-*") if p.is_dir()):
        assert _digest(seq) == _digest(tmp_path / "l" / seq.relative_to(tmp_path / "s")), seq.name
    assert (tmp_path / "l" / "train_split.txt").read_text().split() == [
        n for n in (tmp_path / "l" / "train_split.txt").read_text().split() if n.endswith(("-1", "-2"))]
    assert len((tmp_path / "l" / "test_split.txt").read_text().split()) == 4


def test_make_demo_skip_if_current_writes_nothing_for_the_same_spec_and_regenerates_otherwise(tmp_path):
    from click.testing import CliRunner

    from ltr_core.cli import main

    args = ["data", "make-demo", "--out", str(tmp_path / "d"), "--classes", "1", "--per-class", "2",
            "--test-per-class", "1", "--frames", "20", "--size", "96x64", "--skip-if-current"]
    assert CliRunner().invoke(main, args).exit_code == 0
    frame = tmp_path / "d" / "zebra" / "zebra-2" / "img" / "00000020.jpg"
    stamp = frame.stat().st_mtime_ns
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0 and "is current" in res.output and frame.stat().st_mtime_ns == stamp
    frame.unlink()                                              # an incomplete tree is written again
    res = CliRunner().invoke(main, args)
    assert "is current" not in res.output and frame.is_file()
    res = CliRunner().invoke(main, args + ["--seed", "1"])
    assert "is current" not in res.output and "wrote 2 sequences" in res.output
