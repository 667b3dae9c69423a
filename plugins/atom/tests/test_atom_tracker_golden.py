"""ltr-atom's tracker against pytracking's own ATOM tracker.

Golden: ``golden/pytracking_atom_tracker.json`` holds the boxes, maximum scores and flags of pytracking's
``pytracking/tracker/atom/atom.py`` over the generated 72-frame sequence of ``golden/tracking_sequence.py`` (a border
crossing, a look-alike distractor, an out-of-view spell) with the parameters of its ``parameter/atom/default.py``
(``init_CG_iter`` 30) and, in a second case, the cosine window on the scores and the refinement's step decay; seeded
weights, float64 on the CPU. Regenerate it with
``python plugins/atom/tests/golden/regenerate_atom_tracker.py /path/to/pytracking``.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ltr_atom.network import build_net
from ltr_atom.tracker import ATOMTracker
from ltr_core.train.importing import adapt_foreign_state

GOLDEN_DIR = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))
import regenerate_atom_tracker as harness  # noqa: E402  the cases and the network's weights
import tracking_sequence  # noqa: E402  the frames

GOLDEN = json.loads((GOLDEN_DIR / "pytracking_atom_tracker.json").read_text())
NAMES = json.loads((GOLDEN_DIR / "pytracking_atom.json").read_text())["state"]    # pytracking's parameter names


def run_ltr(name, frames, box):
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        net = build_net(pretrained_backbone=False).double().eval()
        state = adapt_foreign_state(net, harness.tracking_weights(NAMES), "pytracking's state dict")
        net.load_state_dict(state, strict=True)
        tracker = ATOMTracker(net, **harness.CASES[name])
        torch.manual_seed(tracking_sequence.SEED)
        tracker.initialize(frames[0], box)
        out = {"boxes": [list(box)], "scores": [None], "flags": [None]}
        for image in frames[1:]:
            b, score = tracker.track(image)
            out["boxes"].append(b.tolist())
            out["scores"].append(score)
            out["flags"].append(tracker.flag)
        return out
    finally:
        torch.set_default_dtype(before)


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_the_tracker_follows_pytrackings_atom_frame_for_frame(name):
    frames, box, truth = tracking_sequence.make_sequence()
    want = GOLDEN["cases"][name]
    got = run_ltr(name, frames, box)
    assert len(want["boxes"]) == len(frames) == 72
    for t in range(1, len(frames)):
        assert got["flags"][t] == (want["flags"][t] or "normal"), f"frame {t}"    # pytracking's None: found
        np.testing.assert_allclose(got["boxes"][t], want["boxes"][t], rtol=1e-7, atol=1e-6, err_msg=f"frame {t}")
        assert got["scores"][t] == pytest.approx(want["scores"][t], rel=1e-6, abs=1e-7), f"frame {t}"
    assert all(truth[t][0] < 0 for t in tracking_sequence.OUT_OF_VIEW)
    assert all(want["flags"][t] == "not_found" for t in tracking_sequence.OUT_OF_VIEW)
    assert min(want["min_gaps"].values()) > 5e-7          # no choice decided by float noise


def test_the_golden_takes_every_branch_of_the_target_found_logic():
    flags = {f for f in GOLDEN["cases"]["default"]["flags"][1:]}
    assert flags == {None, "not_found", "uncertain", "hard_negative"}
