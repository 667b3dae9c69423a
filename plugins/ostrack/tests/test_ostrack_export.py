"""OSTrack's per-frame network in ONNX (candidate elimination's sort, gather and scatter included) equals PyTorch,
and the tracker run through ONNX Runtime gives PyTorch's boxes."""

import numpy as np
import onnx
import pytest
import torch

from ltr_core.deploy.onnx import OnnxNet, compare_with_torch, export_parts, read_manifest
from ltr_ostrack.export import export_parts as ostrack_parts
from ltr_ostrack.network import build_net
from ltr_ostrack.tracker import OSTrackTracker
from ostrack_golden import sequence   # tests/ostrack_golden/ (HCAT's tests have helpers of the same names)

DEMO = dict(embed_dim=192, depth=6, num_heads=3, patch_size=8, template_size=64, search_size=128,
            pretrain_img_size=128, ce_loc=[2, 4], ce_keep_ratio=[0.7, 0.7], head_channels=128)


@pytest.mark.parametrize("stem", ["patch", "conv"])     # the paper configs' patch projection, ostrack/demo's conv stem
def test_track_forward_exports_and_tracks_as_pytorch_does(tmp_path, stem):
    torch.manual_seed(0)
    net = build_net(**DEMO, stem=stem).eval()
    with torch.no_grad():                      # a sharper score map than initialisation gives, as training makes
        net.box_head.conv5_ctr.weight.mul_(8.0)
    parts = ostrack_parts(net, template_size=64, search_size=128)
    export_parts(parts, tmp_path, config="ostrack/demo", checkpoint=None, report=lambda m: None)
    manifest = read_manifest(tmp_path)
    assert [p["name"] for p in manifest["parts"]] == ["track_forward"]
    model = onnx.load(str(tmp_path / manifest["parts"][0]["file"]))
    onnx.checker.check_model(model, full_check=True)
    ops = {n.op_type for n in model.graph.node}
    assert {"TopK", "GatherElements", "ScatterElements"} & ops, sorted(ops)      # CE is in the graph
    assert max(compare_with_torch(parts, tmp_path, seed=3).values()) < 1e-4

    frames, gt = sequence.build()
    boxes = {}
    for name, runner in (("torch", net), ("onnx", OnnxNet(tmp_path))):
        tracker = OSTrackTracker(runner, template_size=64, search_size=128, patch_size=8)
        tracker.initialize(frames[0], gt[0])
        boxes[name] = np.array([tracker.track(f)[0] for f in frames[1:12]])
    assert np.ptp(boxes["torch"], axis=0).max() > 1.0                 # the boxes move: a real comparison
    np.testing.assert_allclose(boxes["onnx"], boxes["torch"], atol=0.05)
