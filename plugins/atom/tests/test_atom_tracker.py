"""ATOM's online tracker: the classifier finds the target it learned, says when it is gone, refinement backs off
where the predicted IoU fell (ATOM's step decay), and the tracker runs through the core's runner with resume.
Its boxes against pytracking's tracker: ``test_atom_tracker_golden.py``."""

import os
import re

import numpy as np
import pytest
import torch

from ltr_atom.classifier import SampleMemory
from ltr_atom.network import build_net
from ltr_atom.refine import ascend_boxes
from ltr_atom.tracker import ATOMTracker
from ltr_core import registry
from ltr_core.cli_runner import run_ltr
from ltr_core.config import ConfigError, load_config
from ltr_core.data.demo import DemoSpec, make_demo
from ltr_core.evaluation.datasets import open_eval_dataset
from ltr_core.track.factory import TrackerFactory
from ltr_core.track.runner import run_sequences, sequences_from_dataset

SMALL = dict(max_image_sample_size=128 ** 2, min_image_sample_size=128 ** 2)


def scene(target_xy, with_target=True, seed=0, size=(240, 320)):
    """Smooth clutter with (optionally) a 40x40 colour-checker target whose top-left corner is ``target_xy``."""
    rng = np.random.default_rng(seed)
    low = rng.integers(60, 120, (size[0] // 20, size[1] // 20, 3)).astype(np.uint8)
    img = np.kron(low, np.ones((20, 20, 1), np.uint8))
    if with_target:
        x, y = target_xy
        tile = np.zeros((40, 40, 3), np.uint8)
        tile[::2] = (250, 30, 30)
        tile[1::2] = (20, 220, 250)
        tile[:, ::5] = (255, 255, 0)
        img[y:y + 40, x:x + 40] = tile
    return img


def tracker(**kw):
    torch.manual_seed(0)
    return ATOMTracker(build_net(pretrained_backbone=False, freeze_backbone=True), **{**SMALL, **kw})


def test_classifier_locates_the_target_it_was_initialised_on_in_a_shifted_frame():
    t = tracker(use_iou_net=False)
    t.initialize(scene((140, 100)), (140, 100, 40, 40))
    box, score = t.track(scene((164, 84)))              # moved 24 px right and 16 px up, same clutter
    centre = box[:2] + box[2:] / 2
    assert np.abs(centre - (184, 104)).max() <= 8, centre
    assert t.flag in ("normal", "hard_negative") and score > 0.5


def test_modulation_from_the_augmented_samples_is_their_mean():
    plain = tracker()
    plain.initialize(scene((140, 100)), (140, 100, 40, 40))
    aug = tracker(iounet_augmentation=True)
    aug.initialize(scene((140, 100)), (140, 100, 40, 40))
    assert aug.modulation[0].shape == plain.modulation[0].shape == (1, 256, 1, 1)
    assert not torch.allclose(aug.modulation[0], plain.modulation[0])
    box, _ = aug.track(scene((146, 100)))
    assert np.isfinite(box).all()


def test_not_found_state_on_a_frame_without_the_target():
    t = tracker(use_iou_net=False)
    t.initialize(scene((140, 100)), (140, 100, 40, 40))
    t.track(scene((142, 100)))
    before = t.pos.clone()
    box, score = t.track(scene(None, with_target=False, seed=1))     # other clutter, no target
    assert t.flag == "not_found" and score < 0.25
    assert torch.equal(t.pos, before)                   # a lost target leaves the state alone
    stored = t.classifier.memory.num_stored
    t.track(np.full((240, 320, 3), 90, np.uint8))
    assert t.flag == "not_found"
    assert t.classifier.memory.num_stored == stored      # and adds nothing to the memory


class ExactIoU(torch.nn.Module):
    """Stands in for a trained IoU-Net: predicts the true IoU with a fixed box, a peaked landscape on which
    long gradient steps overshoot."""

    def __init__(self, box):
        super().__init__()
        self.box = torch.tensor(box, dtype=torch.float32)

    def predict_iou(self, modulation, iou_feat, boxes):
        g = self.box
        tl = torch.maximum(boxes[..., :2], g[:2])
        br = torch.minimum(boxes[..., :2] + boxes[..., 2:], g[:2] + g[2:])
        inter = (br - tl).clamp(min=0).prod(-1)
        return inter / (boxes[..., 2:].prod(-1) + g[2:].prod() - inter)


def test_refinement_with_a_step_decay_takes_back_a_step_that_lowered_the_iou():
    exact = ExactIoU([50.0, 44.0, 30.0, 36.0])
    rng = np.random.default_rng(1)
    starts = torch.tensor(rng.uniform([30, 30, 20, 20], [60, 60, 50, 50], (64, 4)), dtype=torch.float32)[None]
    one, iou0 = ascend_boxes(exact, None, None, starts, 1, 8.0, 0.5, backtrack=True)
    iou1 = exact.predict_iou(None, None, one)
    fell = iou1 < iou0
    assert 0 < int(fell.sum()) < 64                   # long steps overshoot for some boxes, not all
    two, _ = ascend_boxes(exact, None, None, starts, 2, 8.0, 0.5, backtrack=True)
    torch.testing.assert_close(two[fell], starts[fell])           # those step back to where they were
    plain, _ = ascend_boxes(exact, None, None, starts, 2, 8.0, 0.5)
    assert not torch.allclose(plain[fell], starts[fell])          # where plain ascent keeps going
    # without a decay, ATOM's variant is the plain ascent, to the bit
    a, ia = ascend_boxes(exact, None, None, starts, 3, 2.0, 1.0, backtrack=True)
    b, ib = ascend_boxes(exact, None, None, starts, 3, 2.0, 1.0)
    assert torch.equal(a, b) and torch.equal(ia, ib)


def test_memory_weights_decay_and_the_first_frame_keeps_its_share():
    mem = SampleMemory(torch.zeros(4, 2, 3, 3), torch.zeros(4, 1, 3, 3), size=10, learning_rate=0.5,
                       init_min_weight=0.4)
    slots = [mem.add(torch.full((2, 3, 3), float(k)), torch.zeros(1, 3, 3)) for k in range(8)]
    assert slots[:6] == [4, 5, 6, 7, 8, 9]                 # empty slots first, then the weakest of the rest
    assert 4 <= slots[6] <= 9 and 4 <= slots[7] <= 9       # never a first-frame slot
    assert abs(float(mem.weights[:4].sum()) - 0.4) < 1e-6    # held at its share (later weights rescaled
    assert 1 < float(mem.weights.sum()) < 1.1                # as pytracking does, to a sum just above 1)
    newest = mem.weights[slots[-1]]
    assert float(newest) == float(mem.weights[4:].max())  # the newest sample weighs most


def test_bad_tracker_options_are_refused_naming_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("LTR_PLUGINS", raising=False)
    registry.set_registry(None)
    with pytest.raises(ConfigError, match="tracker.cg_iter"):
        load_config("atom/demo", ["tracker.cg_iter=3"])
    with pytest.raises(ValueError, match="tracker.augmentation.mirror"):
        tracker(augmentation={"mirror": True})
    with pytest.raises(ValueError, match="tracker.proj_init_method"):
        tracker(proj_init_method="svd")
    with pytest.raises(ValueError, match="ONNX parts with the PyTorch network beside them"):
        ATOMTracker(object())


def test_the_tracker_runs_through_the_core_runner_and_resumes(tmp_path, monkeypatch):
    make_demo(tmp_path / "demo", DemoSpec(classes=2, per_class=2, frames=12, width=160, height=120, seed=3,
                                          test_per_class=1, photos="off"), progress=False)
    monkeypatch.setenv("LTR_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.delenv("LTR_PLUGINS", raising=False)
    registry.set_registry(None)
    cfg = load_config("atom/demo", ["tracker.init_CG_iter=12", "tracker.init_GN_iter=2"])
    ds = open_eval_dataset("demo", "test", tmp_path / "ws")
    seqs = sequences_from_dataset(ds)
    assert len(seqs) == 2
    factory = TrackerFactory(cfg, None)
    out = tmp_path / "results"
    first = run_sequences(factory, seqs, out, progress=False, seed=5)
    assert first["tracked"] == 2 and first["frames"] == 24 and first["fps"] > 0
    kept = {s.name: (out / f"{s.name}.txt").read_text() for s in seqs}
    (out / f"{seqs[1].name}.txt").unlink()
    again = run_sequences(factory, seqs, out, progress=False, seed=5)
    assert again["tracked"] == 1 and again["skipped"] == 1
    assert (out / f"{seqs[1].name}.txt").read_text() == kept[seqs[1].name]   # seeded: the same boxes
    rows = np.loadtxt(out / f"{seqs[0].name}.txt", delimiter=",")
    assert rows.shape == (12, 4) and np.isfinite(rows).all() and (rows[:, 2:] >= 1).all()


def test_bench_track_times_the_whole_tracker_and_its_network_calls(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "LTR_PLUGINS"}
    res = run_ltr("bench", "track", "atom/demo", "--untrained", "--frames", "20", "--size", "160x120",
                  "--workspace", str(tmp_path), "--set", "tracker.init_CG_iter=12", "--set", "tracker.init_GN_iter=2",
                  env=env)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    share = next(re.match(r"ms/frame: ([\d.]+)  network ([\d.]+) ms \((\d+)%\)", line) for line in lines
                 if line.startswith("ms/frame"))
    # the backbone and the IoU-Net's methods (called through net.bb_regressor) are counted as network time
    assert 0 < float(share.group(2)) <= float(share.group(1)) and int(share.group(3)) >= 20
    assert re.fullmatch(r"fps: [\d.]+", lines[-1])
