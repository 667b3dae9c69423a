"""ltr-dimp's tracker against pytracking's own DiMP tracker.

Golden: ``golden/pytracking_tracker.json`` holds the boxes, maximum scores and flags of pytracking's
``pytracking/tracker/dimp/dimp.py`` over a generated 72-frame sequence (a border crossing, a look-alike distractor,
an out-of-view spell) with the parameters of its ``dimp18.py`` and ``prdimp18.py`` and seeded weights, float64 on
the CPU. Regenerate it with ``python plugins/dimp/tests/golden/regenerate_tracker.py /path/to/pytracking``.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ltr_core.train.importing import adapt_foreign_state
from ltr_dimp.network import build_dimp_net
from ltr_dimp.tracker import DiMPTracker

GOLDEN_DIR = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))
import regenerate_dimp as nets  # noqa: E402  the networks' cases and seeded weights
import regenerate_tracker as harness  # noqa: E402  the sequence, the trackers' parameters and weights

GOLDEN = json.loads((GOLDEN_DIR / "pytracking_tracker.json").read_text())
NET_GOLDEN = json.loads((GOLDEN_DIR / "pytracking_dimp.json").read_text())       # pytracking's parameter names


@pytest.fixture(scope="module")
def sequence():
    frames, box, truth = harness.make_sequence()
    return frames, box, truth


def run_ltr(name, frames, box):
    net_case, _, keys = harness.TRACKERS[name]
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        net = build_dimp_net(**nets.CASES[net_case][2]).double().eval()
        weights = harness.tracking_weights(NET_GOLDEN["nets"][net_case]["state"])
        state = adapt_foreign_state(net, weights, "pytracking's state dict")
        net.load_state_dict(state, strict=True)
        tracker = DiMPTracker(net, **keys, **harness.PARAMS[name])
        torch.manual_seed(harness.SEED)
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


@pytest.mark.parametrize("name", sorted(harness.TRACKERS))
def test_the_tracker_follows_pytrackings_boxes_scores_and_flags_frame_for_frame(name, sequence):
    frames, box, truth = sequence
    want = GOLDEN["cases"][name]
    got = run_ltr(name, frames, box)
    assert len(frames) == len(want["boxes"]) == 72
    for t in range(1, len(frames)):
        assert got["flags"][t] == want["flags"][t], f"frame {t}"
        np.testing.assert_allclose(got["boxes"][t], want["boxes"][t], rtol=1e-7, atol=1e-6, err_msg=f"frame {t}")
        assert got["scores"][t] == pytest.approx(want["scores"][t], rel=1e-7, abs=1e-9), f"frame {t}"
    # the sequence exercises what it is made for: found targets and a target lost while out of view
    assert {"normal", "not_found"} <= set(want["flags"][1:])
    assert all(truth[t][0] < 0 for t in harness.OUT_OF_VIEW)
    assert sum(want["flags"][t] == "not_found" for t in harness.OUT_OF_VIEW) >= 7
    assert min(want["min_gaps"].values()) > 1e-5          # no choice decided by float noise


def test_the_golden_sequences_take_every_branch_of_the_target_found_logic():
    flags = {f for case in GOLDEN["cases"].values() for f in case["flags"][1:]}
    assert flags == {"normal", "not_found", "uncertain", "hard_negative"}


def test_ltr_track_runs_imported_pytracking_weights_on_a_folder_of_frames(tmp_path, sequence):
    """pytracking-format weights -> ``ltr import`` -> ``ltr track --frames``: the boxes the command writes are
    the in-process tracker's from the same checkpoint (float32, the config's seed)."""
    import cv2

    from ltr_core.cli_runner import run_ltr as ltr
    from ltr_core.config import load_config
    from ltr_core.track.factory import TrackerFactory

    frames, box, _ = sequence
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, image in enumerate(frames[:10]):
        cv2.imwrite(str(folder / f"{i:04d}.png"), image[:, :, ::-1])
    weights = {k: v.float() if v.is_floating_point() else v
               for k, v in harness.tracking_weights(NET_GOLDEN["nets"]["dimp18"]["state"]).items()}
    torch.save({"net": weights, "epoch": 50}, tmp_path / "dimp18.pth")
    env = {**__import__("os").environ, "LTR_WORKSPACE": str(tmp_path / "ws")}
    out = ltr("import", "dimp", tmp_path / "dimp18.pth", "--config", "dimp/demo", "-o", tmp_path / "ck.pth", env=env)
    assert out.returncode == 0, out.stderr
    init = ",".join(f"{v:g}" for v in box)
    out = ltr("track", "dimp/demo", "--checkpoint", tmp_path / "ck.pth", "--frames", folder, "--init", init,
              "--boxes", tmp_path / "boxes.txt", "--device", "cpu", env=env)
    assert out.returncode == 0, out.stderr
    written = np.loadtxt(tmp_path / "boxes.txt", delimiter=",")

    tracker = TrackerFactory(load_config("dimp/demo"), str(tmp_path / "ck.pth"), device="cpu")()
    tracker.initialize(frames[0], box)
    mine = np.array([box] + [tracker.track(image)[0] for image in frames[1:10]])
    assert written.shape == (10, 4)
    np.testing.assert_allclose(written, mine, atol=0.02)
    assert np.abs(np.diff(mine[:, :2], axis=0)).max() > 1           # the box moved: the tracker tracked


def test_ltr_export_writes_the_trackers_per_frame_parts_and_a_net_object_alone_is_refused(tmp_path):
    """Before ltr-dimp 0.2.2 the export was refused ("declares no ONNX export"); now it writes the parts the tracker
    runs per frame (``test_dimp_export.py`` tracks with them). A net that is neither the PyTorch network nor ONNX
    parts with it beside them is refused in one line saying what to give."""
    from ltr_core.cli_runner import run_ltr as ltr
    from ltr_core.deploy.onnx import read_manifest

    env = {**__import__("os").environ, "LTR_WORKSPACE": str(tmp_path)}
    out = ltr("export", "dimp/demo", "--untrained", "--out", tmp_path / "onnx", "--no-check", env=env)
    assert out.returncode == 0, out.stderr
    parts = read_manifest(tmp_path / "onnx")["parts"]
    assert [p["name"] for p in parts] == ["init_features", "search_features"]
    assert parts[1]["inputs"] == [{"name": "crop", "shape": [1, 3, 144, 144], "dtype": "float32"}]
    with pytest.raises(ValueError, match="give it the PyTorch network, or ONNX parts with the PyTorch network"):
        DiMPTracker(object())
