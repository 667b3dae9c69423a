"""HCAT's ONNX export: each part equals PyTorch, and the tracker running on ONNX Runtime still gives the
original HCAT tracker's boxes (the golden fixture of test_hcat_golden.py)."""

import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from ltr_core.deploy.onnx import OnnxNet, compare_with_torch, export_parts, read_manifest
from ltr_hcat.export import export_parts as hcat_parts
from ltr_hcat.tracker import HCATTracker

sys.path.insert(0, str(Path(__file__).parent / "golden"))
import recipe  # noqa: E402
import sequence  # noqa: E402
from test_hcat_golden import DATA, official_net  # noqa: E402


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("hcat_onnx")
    net = official_net(recipe.tracker_state_dict())
    parts = hcat_parts(net)
    export_parts(parts, out, config="hcat/default", checkpoint=None, report=lambda m: None)
    return out, parts


def test_each_part_is_checked_and_equals_pytorch(exported):
    out, parts = exported
    m = read_manifest(out)
    assert [p["name"] for p in m["parts"]] == ["template_branch", "search_branch"]
    assert m["parts"][1]["inputs"][0]["shape"] == [1, 3, 256, 256]
    assert [o["shape"] for o in m["parts"][1]["outputs"]] == [[1, 256, 2], [1, 256, 4]]
    for p in m["parts"]:
        onnx.checker.check_model(onnx.load(str(out / p["file"])), full_check=True)
    diffs = compare_with_torch(parts, out, seed=3)
    assert set(diffs) == {"template_branch", "search_branch"} and max(diffs.values()) < 1e-4


@torch.no_grad()
def test_onnx_runtime_tracker_gives_the_original_trackers_boxes(exported):
    out, _ = exported
    golden = np.load(DATA / "golden_tracker.npz")
    frames, gt, _ = sequence.build()
    tracker = HCATTracker(OnnxNet(out))
    tracker.initialize(frames[0], gt[0])
    boxes = [gt[0]] + [tracker.track(f)[0] for f in frames[1:]]
    np.testing.assert_allclose(np.array(boxes), golden["boxes"], rtol=0, atol=0.01)


def test_a_network_on_the_gpu_exports(tmp_path):
    """A GPU run found `export_parts` of a network on CUDA failing: HCAT's parts run the template branch on a CPU
    example to make the search branch's input. The core hands the factory the network on the CPU; checked here on
    a simulated GPU, which stops where CUDA would."""
    from ltr_core.components import build_net
    from ltr_core.config import load_config
    from ltr_core.deploy.onnx import parts_for
    from ltr_core.devicecheck import SimulatedDevice
    from ltr_core.track.factory import inference_net_config

    cfg = load_config("hcat/demo")
    with SimulatedDevice() as sim:
        net = build_net(inference_net_config(cfg)).to("cuda").eval()
        assert sim.is_device(next(net.parameters()))
        parts = parts_for(cfg, net)
        assert not any(sim.is_device(p) for part in parts for p in part.module.parameters())
    manifest = export_parts(parts, tmp_path, config="hcat/demo", checkpoint=None, report=lambda m: None)
    assert [p["name"] for p in manifest["parts"]] == ["template_branch", "search_branch"]
