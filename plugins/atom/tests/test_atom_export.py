"""ATOM's IoU-Net parts in ONNX (PrRoIPool made of tensor ops exports) equal PyTorch, at any image size and
proposal count."""

import numpy as np
import onnx
import pytest
import torch

from ltr_atom.export import export_parts as atom_parts
from ltr_atom.network import build_net
from ltr_core.deploy.onnx import OnnxNet, compare_with_torch, export_parts, read_manifest


def test_iounet_parts_equal_pytorch_at_other_sizes_and_proposal_counts(tmp_path):
    torch.manual_seed(0)
    net = build_net(pretrained_backbone=False).eval()
    parts = atom_parts(net, image_size=144)
    export_parts(parts, tmp_path, config="atom/demo", checkpoint=None, report=lambda m: None)
    m = read_manifest(tmp_path)
    assert [p["name"] for p in m["parts"]] == ["trunk", "reference_branch", "search_features", "iou_predictor"]
    assert m["parts"][2]["aliases"] == ["test_features"]                  # the 0.2 name, for one minor version
    assert "PyTorch" in m["parts"][3]["note"] and "PyTorch" in m["parts"][0]["note"]
    for p in m["parts"]:
        onnx.checker.check_model(onnx.load(str(tmp_path / p["file"])), full_check=True)
    assert max(compare_with_torch(parts, tmp_path, seed=5).values()) < 1e-4
    # dynamic axes: a 192x160 frame and 13 proposals through the sessions, against the torch network
    ort = OnnxNet(tmp_path)
    g = torch.Generator().manual_seed(1)
    ref_img, test_img = torch.randn(1, 3, 160, 192, generator=g), torch.randn(1, 3, 160, 192, generator=g)
    box = torch.tensor([[50.0, 40.0, 60.0, 50.0]])
    props = torch.cat([torch.rand(1, 13, 2, generator=g) * 100, 20 + torch.rand(1, 13, 2, generator=g) * 60], -1)
    with torch.no_grad():
        mod = net.bb_regressor.get_modulation(*net.feature_extractor(ref_img), box)
        feat = net.bb_regressor.get_iou_feat(*net.feature_extractor(test_img))
        want = net.bb_regressor.predict_iou(mod, feat, props)
    got_mod = ort.reference_branch(ref_img, box)
    got_feat = ort.search_features(test_img)
    with pytest.warns(FutureWarning, match="'test_features' is now called 'search_features'"):
        assert ort.test_features is ort.parts["search_features"]
    got = ort.iou_predictor(*got_mod, *got_feat, props)
    assert got.shape == (1, 13) and want.std() > 1e-3
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-4, rtol=1e-4)
    # the trunk the tracker runs: 5 crops of another size in [0, 255], the normalisation inside
    crops = 255 * torch.rand(5, 3, 176, 208, generator=g)
    with torch.no_grad():
        want2, want3 = net.trunk(crops)
    got2, got3 = ort.trunk(crops)
    assert got2.shape == want2.shape == (5, 128, 22, 26) and got3.shape == want3.shape == (5, 256, 11, 13)
    np.testing.assert_allclose(got3.numpy(), want3.numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(got2.numpy(), want2.numpy(), atol=1e-4, rtol=1e-4)
