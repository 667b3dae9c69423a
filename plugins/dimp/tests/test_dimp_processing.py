"""ltr-dimp's training targets against pytracking's processing code.

Golden: ``golden/pytracking_processing.json`` holds pytracking's ``gaussian_label_function`` (DiMP's labels and
PrDiMP's label densities, normalised or not, thresholded, with a uniform weight and shrink) for boxes in the middle of
a 288-pixel crop, on a half cell, over its border, of one pixel, nearly as large as the crop and far outside it, and
``sample_box_gmm``'s proposals and densities from replayed draws, and ``target_image_crop``'s crops (SHA-256)
and boxes for every crop type. Regenerate it with
``python plugins/dimp/tests/golden/regenerate_processing.py /path/to/pytracking``.
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ltr_dimp.processing import DiMPProcessing, adaptive_crop, gaussian_label, label_density, sample_box_gmm

GOLDEN_DIR = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))
import regenerate_processing as harness  # noqa: E402  the boxes, parameters and replayed draws

GOLDEN = json.loads((GOLDEN_DIR / "pytracking_processing.json").read_text())
L = harness.LABEL


def close(got, want, what, rtol=1e-6, atol=1e-7):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(want), rtol=rtol, atol=atol,
                               err_msg=what)


def test_dimps_labels_are_pytrackings():
    got = gaussian_label(np.array(harness.BOXES), L["sigma_factor"], L["kernel_sz"], L["feat_sz"], L["image_sz"])
    assert got.shape == (6, 19, 19)                 # an even filter: one more cell than the 18-cell grid
    close(got, GOLDEN["label"], "labels")
    peak = np.unravel_index(np.argmax(got[0]), got[0].shape)
    assert peak == (9, 9) and abs(got[0].max() - 1) < 1e-12      # the crop's middle is cell 9 + half a cell


@pytest.mark.parametrize("name", sorted(harness.DENSITIES))
def test_prdimps_label_densities_are_pytrackings(name):
    got = label_density(np.array(harness.BOXES), L["sigma_factor"], L["kernel_sz"], L["feat_sz"], L["image_sz"],
                        **harness.DENSITIES[name])
    close(got, GOLDEN["density"][name], f"density {name}")
    if harness.DENSITIES[name].get("normalize"):
        assert np.allclose(got.sum((1, 2)), 1 - harness.DENSITIES[name].get("shrink", 0.0))
        assert np.allclose(got[5], got[5].flat[0])            # the box far outside: a uniform map


@pytest.mark.parametrize("i", range(5))
def test_prdimps_gmm_proposals_and_densities_are_pytrackings_from_the_same_draws(i):
    draws = harness.Draws(harness.SEED + i)
    g = harness.GMM
    proposals, density, gt = sample_box_gmm(harness.BOXES[i], g["proposal_sigma"], g["gt_sigma"],
                                            g["num_samples"], draws)
    want = GOLDEN["gmm"][i]
    assert [draws.used_ints, draws.used_normals] == want["used"]
    close(proposals, want["proposals"], "proposals", rtol=1e-5, atol=1e-4)       # pytracking: float32
    close(density, want["proposal_density"], "proposal density", rtol=1e-5, atol=1e-6)
    close(gt, want["gt_density"], "ground-truth density", rtol=1e-5, atol=1e-6)
    assert (gt > 0).any() and (gt == 0).sum() < len(gt)      # some proposals near the truth, not all


def test_the_processing_gives_the_actors_keys_with_their_shapes():
    search = torch.tensor([[100.0, 90.0, 60.0, 70.0], [20.0, 30.0, 40.0, 30.0], [150.0, 140.0, 20.0, 25.0]])
    rng = np.random.default_rng(3)
    dimp = DiMPProcessing().targets({"search_anno": search}, rng)
    assert set(dimp) == {"proposals", "proposal_iou", "search_label"}
    assert dimp["proposals"].shape == (3, 8, 4) and dimp["search_label"].shape == (3, 19, 19)
    assert dimp["proposal_iou"].min() >= 2 * 0.1 - 1                      # every proposal over min_iou
    prdimp = DiMPProcessing(proposal_method="gmm", proposals_per_frame=128, label=False,
                            label_density=True).targets({"search_anno": search}, rng)
    assert set(prdimp) == {"proposals", "proposal_density", "gt_density", "search_label_density"}
    assert prdimp["proposals"].shape == (3, 128, 4) and prdimp["proposal_density"].min() > 0
    assert torch.allclose(prdimp["search_label_density"].sum((1, 2)), torch.ones(3))
    with pytest.raises(ValueError, match="proposal_method 'grid'"):
        DiMPProcessing(proposal_method="grid")
    with pytest.raises(ValueError, match="proposal_sigma"):
        DiMPProcessing(proposal_sigma=[[0.05]])


@pytest.mark.parametrize("i", range(len(harness.CROPS)))
def test_training_crops_are_pytrackings_bit_for_bit(i):
    around, box, factor, size, mode, change = harness.CROPS[i]
    crop, mapped = adaptive_crop(harness.frame(), around, box, factor, size, mode, change)
    want = GOLDEN["crops"][i]
    assert list(crop.shape) == want["shape"] and crop.dtype == np.uint8
    assert hashlib.sha256(np.ascontiguousarray(crop).tobytes()).hexdigest() == want["sha256"], \
        f"crop {i} ({mode}): mean {crop.mean():.3f}, pytracking's {want['mean']:.3f}"
    close(mapped, want["box"], f"box in crop {i}", rtol=0, atol=1e-4)


def test_the_processing_crops_frames_as_pytracking_and_keeps_crops_inside_for_superdimp(tmp_path):
    from ltr_core.data.dataset import FrameRef

    class OneFrame:                                   # a dataset of one decoded frame, as FrameRef reads it
        def read_frame(self, seq_id, frame_id, min_scale, fast, transient):
            assert min_scale == 1.0 and not fast      # full, accurate decode: pytracking's frames
            return harness.frame(), 1.0

    around, box, factor, size, mode, change = harness.CROPS[5]
    processing = DiMPProcessing(area_factor=factor, output_size=size, crop_mode=mode, max_scale_change=change)
    crop, mapped = processing.crop(FrameRef(OneFrame(), 0, 0), np.array(box), np.array(around), factor, size)
    assert hashlib.sha256(np.ascontiguousarray(crop).tobytes()).hexdigest() == GOLDEN["crops"][5]["sha256"]
    with pytest.raises(ValueError, match="crop_mode 'outside'"):
        DiMPProcessing(crop_mode="outside")
