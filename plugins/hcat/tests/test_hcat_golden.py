"""HCAT against numbers produced by the original code (github.com/chenxin-dlut/HCAT), not by our reading of it.

The fixtures in ``data/golden_*.npz`` were written by ``golden/regenerate.py``, which imports and runs the
original's own classes (``ltr/models/tracking/hcat.py``, ``ltr/models/neck/featurefusion_network.py``,
``pysot_toolkit/trackers/tracker_cpu.py``) on weights and inputs from ``golden/recipe.py`` and frames from
``golden/sequence.py``. To regenerate them: ``git clone https://github.com/chenxin-dlut/HCAT /tmp/HCAT`` and
``python plugins/hcat/tests/golden/regenerate.py /tmp/HCAT``.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ltr_hcat import build_net
from ltr_hcat.tracker import HCATTracker

sys.path.insert(0, str(Path(__file__).parent / "golden"))
import recipe  # noqa: E402
import sequence  # noqa: E402

DATA = Path(__file__).parent / "data"


def official_net(state: dict):
    net = build_net(pretrained_backbone=False).eval()
    net.load_state_dict(state, strict=True)
    return net


@pytest.fixture(scope="module")
def golden_network():
    return np.load(DATA / "golden_network.npz")


@torch.no_grad()
def test_full_forward_equals_the_original_network(golden_network):
    net = official_net(recipe.state_dict(seed=0))
    search, template = recipe.inputs(seed=0, batch=2)
    out = net(search, template)
    np.testing.assert_allclose(out["pred_logits"].numpy(), golden_network["pred_logits"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(out["pred_boxes"].numpy(), golden_network["pred_boxes"], rtol=0, atol=1e-5)


@torch.no_grad()
def test_template_then_search_branch_equal_the_original_template_and_track(golden_network):
    net = official_net(recipe.state_dict(seed=0))
    search, template = recipe.inputs(seed=0, batch=2)
    out = net.search_branch(search, net.template_branch(template))
    np.testing.assert_allclose(out["pred_logits"].numpy(), golden_network["split_pred_logits"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(out["pred_boxes"].numpy(), golden_network["split_pred_boxes"], rtol=0, atol=1e-5)


@torch.no_grad()
def test_swapping_the_fusion_updates_parameters_is_caught(golden_network):
    """The bug this fixture exists for: the search and query updates using each other's parameters loads
    strictly but computes something else."""
    state = recipe.state_dict(seed=0)
    for key in list(state):
        for a, b in (("multihead_attn1", "multihead_attn2"), ("linear11", "linear21"), ("linear12", "linear22"),
                     ("norm12", "norm22"), ("norm13", "norm23")):
            if f".{a}." in key:
                other = key.replace(f".{a}.", f".{b}.")
                state[key], state[other] = state[other], state[key]
    out = official_net(state)(*recipe.inputs(seed=0, batch=2))
    assert np.abs(out["pred_logits"].numpy() - golden_network["pred_logits"]).max() > 1e-2


def test_tracker_gives_the_original_trackers_boxes_on_every_frame():
    golden = np.load(DATA / "golden_tracker.npz")
    frames, gt, out_of_view = sequence.build()
    assert sequence.checksum(frames) == str(golden["frames_sha256"]), "golden/sequence.py no longer builds the same frames"
    assert out_of_view.sum() >= 3 and gt[0, 0] < 5                      # an out-of-view spell; starts at the border
    assert np.nanmin(golden["score_gap"]) > 1e-4                        # no argmax decided by float noise
    tracker = HCATTracker(official_net(recipe.tracker_state_dict()))
    tracker.initialize(frames[0], gt[0])
    boxes = [gt[0]] + [tracker.track(f)[0] for f in frames[1:]]
    np.testing.assert_allclose(np.array(boxes), golden["boxes"], rtol=0, atol=0.01)
    # the sequence drives crops past the left border at the start and past the bottom-right corner later
    assert golden["boxes"][:, 0].max() + golden["boxes"][:, 2].max() > 320 and golden["boxes"][:, 1].max() > 200


class FullFrame:
    """A frame already decoded at full size (the training path without DCT downscaling)."""

    def __init__(self, image):
        self.image = image

    def read(self, min_scale=1.0, fast=False, transient=False):
        return self.image, 1.0


def test_training_crops_and_boxes_equal_the_originals():
    """Context crop side, whole-pixel window, padding with the frame's mean, (out - 1) / 2 box mapping."""
    from ltr_hcat.processing import HCATProcessing
    from regenerate import CROP_CASES, CROP_SIZES

    golden = np.load(DATA / "golden_processing.npz")
    frame = FullFrame(sequence.build()[0][0])
    processing = HCATProcessing(transforms=[])
    for i, (jittered, gt) in enumerate(CROP_CASES):
        for kind, (factor, size) in CROP_SIZES.items():
            crop, box = processing.crop(frame, np.array(gt), np.array(jittered), factor, size)
            np.testing.assert_array_equal(crop, golden[f"{kind}_crop_{i}"], err_msg=f"{kind} crop {i}")
            np.testing.assert_allclose(box, golden[f"{kind}_box_{i}"], rtol=0, atol=1e-4, err_msg=f"{kind} box {i}")


def test_target_encoding_equals_the_original_actors():
    from ltr_hcat.processing import HCATProcessing

    golden = np.load(DATA / "golden_processing.npz")
    boxes = np.stack([golden[f"search_box_{i}"] for i in range(3)])                # three search frames' boxes
    targets = HCATProcessing(search_size=64, transforms=[]).targets({"search_anno": torch.from_numpy(boxes)}, None)
    np.testing.assert_allclose(targets["search_box"].numpy(), golden["search_targets"], rtol=0, atol=1e-6)


def test_loss_terms_equal_the_original_set_criterion():
    from ltr_hcat.objective import build_objective

    golden = np.load(DATA / "golden_loss.npz")
    outputs = {"pred_logits": torch.from_numpy(golden["pred_logits"]), "pred_boxes": torch.from_numpy(golden["pred_boxes"])}
    loss, terms = build_objective()(outputs, torch.from_numpy(golden["inside_targets"]))
    assert loss.item() == pytest.approx(float(golden["inside_total"]), abs=1e-5)
    for mine, theirs in (("ce", "loss_ce"), ("l1", "loss_bbox"), ("giou", "loss_giou"), ("iou", "iou")):
        assert terms[mine].item() == pytest.approx(float(golden[f"inside_{theirs}"]), abs=1e-6), mine


def test_loss_differs_from_the_original_only_where_its_slice_drops_a_target_past_the_left_border():
    """Intended difference: the original slices the grid with a negative start for a box past the left or top
    border, which selects no cell, so that sample gets no positive and no box loss. ltr clamps the range to the
    grid and keeps the border cells as positives."""
    from ltr_hcat.objective import build_objective, positive_mask

    golden = np.load(DATA / "golden_loss.npz")
    targets = torch.from_numpy(golden["past_left_targets"])
    assert golden["past_left_positives"].tolist()[-1] == 0
    mine = positive_mask(targets, 16).sum(1).tolist()
    assert mine[:3] == golden["past_left_positives"].tolist()[:3] and mine[3] > 0
    outputs = {"pred_logits": torch.from_numpy(golden["pred_logits"]), "pred_boxes": torch.from_numpy(golden["pred_boxes"])}
    loss, _ = build_objective()(outputs, targets)
    assert abs(loss.item() - float(golden["past_left_total"])) > 1e-2
