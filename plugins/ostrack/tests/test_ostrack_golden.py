"""ltr-ostrack against numbers produced by OSTrack's own code (github.com/botaoye/OSTrack).

The fixtures in ``tests/data/golden_*.npz`` were written by ``tests/ostrack_golden/regenerate.py``, which runs
the original's network, loss, crops, CE helpers and tracker on seeded weights and inputs
(``tests/ostrack_golden/recipe.py``) and a generated sequence (``tests/ostrack_golden/sequence.py``). Here the
same weights and inputs go through ltr-ostrack.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from ltr_ostrack.actor import keep_ratio
from ltr_ostrack.network import build_net, centre_token_mask
from ltr_ostrack.objective import build_objective, centre_heatmaps
from ltr_ostrack.processing import box_in_crop, sample_target
from ltr_ostrack.tracker import OSTrackTracker

from ostrack_golden import recipe, sequence   # tests/ostrack_golden/ (HCAT's tests have helpers of the same names)

HERE = Path(__file__).parent


def golden(name: str) -> dict:
    with np.load(HERE / "data" / f"golden_{name}.npz") as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="module")
def vitb():
    """OSTrack-256's network (vitb_256_mae_ce_32x4_ep300) with the recipe's weights under the original's names."""
    torch.manual_seed(0)
    net = build_net()
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    net.load_state_dict(recipe.weights(shapes, seed=0), strict=True)      # strict: every name and shape is theirs
    return net.eval()


def test_forward_matches_the_original_with_and_without_candidate_elimination(vitb):
    g = golden("forward")
    z, x = recipe.images(1, 2, 128), recipe.images(2, 2, 256)
    mask = centre_token_mask(8, 2)
    np.testing.assert_array_equal(mask.numpy(), g["mask"])
    with torch.no_grad():
        for tag, keep in (("ce", None), ("noce", 1.0), ("ce85", 0.85)):
            out = vitb(z, x, mask, keep)
            for key in ("score_map", "size_map", "offset_map", "pred_boxes"):
                np.testing.assert_allclose(out[key].numpy(), g[f"{tag}_{key}"], rtol=1e-5, atol=1e-5,
                                           err_msg=f"{tag} {key}")
            theirs = sorted(k for k in g if k.startswith(f"{tag}_removed"))
            assert len(out["removed_indexes_s"]) == len(theirs), tag
            for ours, key in zip(out["removed_indexes_s"], theirs):
                # which tokens go at each CE location: the same set (the order among equal scores may differ)
                np.testing.assert_array_equal(np.sort(ours.numpy(), 1), np.sort(g[key], 1), err_msg=key)
    assert not any(k.startswith("noce_removed") for k in g)                 # keep 1.0 removes nothing there too


def test_loss_terms_match_the_original():
    g = golden("loss")
    outputs = {k: torch.from_numpy(g[k]) for k in ("pred_boxes", "score_map", "size_map", "offset_map")}
    boxes = torch.from_numpy(g["search_anno"])
    heat = centre_heatmaps(boxes, 16)
    np.testing.assert_allclose(heat.numpy(), g["heatmap"], atol=1e-6)
    loss, terms = build_objective()(outputs, boxes, heat)
    for ours, theirs in ((loss, "loss"), (terms["giou"], "giou"), (terms["l1"], "l1"), (terms["focal"], "focal"),
                         (terms["iou"], "iou")):
        assert float(ours) == pytest.approx(float(g[theirs]), rel=1e-5, abs=1e-6), theirs


def test_crops_are_the_originals_bytes_and_boxes_map_the_same():
    g = golden("crops")
    frames, _ = sequence.build()
    frame = frames[int(g["frame_index"])]
    for i, (gt, jit) in enumerate(zip(g["gt"], g["jittered"])):
        for kind, factor, size in (("search", 4.0, 256), ("template", 2.0, 128)):
            crop, resize = sample_target(frame, jit, factor, size)
            assert crop.shape == tuple(g[f"{kind}{i}_shape"]), (kind, i)
            digest = hashlib.sha256(np.ascontiguousarray(crop).tobytes()).hexdigest()
            assert digest == str(g[f"{kind}{i}_sha256"]), f"{kind} crop {i} differs from the original's"
            # the original's jittered_center_crop returns the box normalised by the crop's size
            np.testing.assert_allclose(box_in_crop(gt, jit, resize, size) / size, g[f"{kind}{i}_box"], atol=1e-6,
                                       err_msg=f"{kind} box {i}")


def test_centre_masks_and_keep_schedule_match_the_original():
    g = golden("crops")
    np.testing.assert_array_equal(centre_token_mask(8, 2).numpy(), g["mask8"])
    np.testing.assert_array_equal(centre_token_mask(12, 2).numpy(), g["mask12"])
    # the original's actor asks for adjust_keep_rate(epoch, start, start + warm, 1, 0.7) with 1-based epochs
    for key, (start, warm) in (("keep_300", (20, 80)), ("keep_got10k", (20, 50))):
        ours = [keep_ratio(int(e), start, warm, 0.7) for e in g["keep_epochs"]]
        np.testing.assert_allclose(ours, g[key], rtol=0, atol=1e-12, err_msg=key)


def test_tracker_gives_the_originals_boxes_through_borders_and_absence():
    """The original's tracker and ours on a 4-block ViT (its sizes stored in the fixture), from the sequence's
    corner start and from mid-frame: crops past borders, the Hann window, decoding, mapping back, clipping with a
    10-px margin, and five frames with the target out of view."""
    g = golden("tracker")
    net = build_net(embed_dim=int(g["embed_dim"]), depth=int(g["depth"]), num_heads=int(g["num_heads"]),
                    ce_loc=g["ce_loc"].tolist(), ce_keep_ratio=g["ce_keep_ratio"].tolist())
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    net.load_state_dict(recipe.weights(shapes, seed=0, peak=8.0, size_bias=float(g["size_bias"])), strict=True)
    frames, gt = sequence.build()
    np.testing.assert_array_equal(gt, g["gt"])
    tracker = OSTrackTracker(net)
    margins, forward = [], net.track_forward

    def recorded(template, search):                  # the windowed score's margin between its two best cells
        score, size, offset = forward(template, search)
        top = (score * tracker.window).flatten().topk(2).values
        margins.append(float(top[0] - top[1]))
        return score, size, offset
    net.track_forward = recorded
    for start in g["starts"].tolist():
        tracker.initialize(frames[start], gt[start])
        boxes = [gt[start]] + [tracker.track(f)[0] for f in frames[start + 1:]]
        np.testing.assert_allclose(np.array(boxes), g[f"boxes{start}"], atol=0.01, err_msg=f"from frame {start}")
    # peaked weights: the chosen cell wins by far more than float noise, so the argmax is the original's by design
    assert min(margins) > 1e-4, min(margins)
