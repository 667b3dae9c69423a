"""HCAT's network against the official Res18_N2_q16 parameter names and shapes, and official-weight import."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from ltr_core.cli_runner import run_ltr
from ltr_hcat import build_net

REFERENCE = json.loads((Path(__file__).parent / "data" / "hcat_res18_N2_q16_state_dict.json").read_text())


def test_every_parameter_and_buffer_matches_the_official_model():
    net = build_net(pretrained_backbone=False)
    shapes = {k: list(v.shape) for k, v in net.state_dict().items()}
    assert shapes == REFERENCE
    assert sum(p.numel() for p in net.parameters() if p.requires_grad) == 9_956_934


def test_outputs_and_the_split_into_template_and_search_branches():
    torch.manual_seed(0)
    net = build_net(pretrained_backbone=False).eval()
    search, template = torch.randn(2, 3, 256, 256), torch.randn(2, 3, 128, 128)
    out = net(search, template)
    assert out["pred_logits"].shape == (2, 256, 2) and out["pred_boxes"].shape == (2, 256, 4)
    assert 0 <= out["pred_boxes"].min() and out["pred_boxes"].max() <= 1
    split = net.search_branch(search, net.template_branch(template))
    torch.testing.assert_close(split["pred_logits"], out["pred_logits"])


def test_the_inference_max_pool_is_bit_equal_to_torchvision_s_with_and_without_gradients():
    from ltr_hcat.backbone import Backbone

    pool = Backbone("resnet18").body.maxpool
    reference = torch.nn.MaxPool2d(3, 2, 1)
    torch.manual_seed(0)
    x = torch.randn(2, 64, 33, 40).relu()          # odd sizes, and ties (zeros) as after the ReLU
    with torch.no_grad():
        fast = pool(x)
    assert fast.is_contiguous() and torch.equal(fast, reference(x))
    x.requires_grad_(True)
    pool(x).sum().backward()                       # the training path: torchvision's kernel and its indices
    expected = torch.autograd.grad(reference(x).sum(), x)[0]
    assert torch.equal(x.grad, expected)


def test_resnet50_trunk_has_1024_channel_features():
    net = build_net(backbone="resnet50", pretrained_backbone=False)
    assert net.input_proj.weight.shape == (256, 1024, 1, 1)


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_a_scaled_trunk_has_torchvision_s_layout_and_scales_every_channel_count(name):
    from ltr_hcat.backbone import Backbone

    reference = {k: v.shape for k, v in Backbone(name).state_dict().items()}
    same_width = Backbone(name, width=0.9999).state_dict()      # built block by block, not by torchvision
    assert {k: v.shape for k, v in same_width.items()} == reference
    half = Backbone(name, width=0.5)
    for k, v in half.state_dict().items():
        if v.dim() == 4:       # conv weights: out and in channels halve, except the RGB input of conv1
            assert v.shape[0] * 2 == reference[k][0] and (v.shape[1] == 3 or v.shape[1] * 2 == reference[k][1])
    assert half.num_channels * 2 == Backbone(name).num_channels
    assert half(torch.zeros(2, 3, 128, 96)).shape == (2, half.num_channels, 8, 6)


def test_a_scaled_trunk_in_the_network_trains_and_refuses_imagenet_weights():
    torch.manual_seed(0)
    net = build_net(pretrained_backbone=False, hidden_dim=32, nheads=2, dim_feedforward=64, backbone_width=0.25)
    assert net.input_proj.weight.shape == (32, 64, 1, 1)
    out = net(torch.randn(2, 3, 128, 128), torch.randn(2, 3, 64, 64))
    (out["pred_boxes"].sum() + out["pred_logits"].sum()).backward()
    assert net.backbone[0].body.conv1.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="net.backbone_width 0.5: ImageNet weights exist only for width 1.0"):
        build_net(pretrained_backbone=True, backbone_width=0.5)
    with pytest.raises(ValueError, match="net.backbone_width 0: must be above 0"):
        build_net(pretrained_backbone=False, backbone_width=0)


def test_pretrained_backbone_offline_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    import torch.hub
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("network is unreachable")))
    with pytest.raises(RuntimeError) as err:
        build_net(pretrained_backbone=True)
    msg = str(err.value)
    assert str(tmp_path / "hub" / "checkpoints" / "resnet18-") in msg and "pretrained_backbone=false" in msg


def _official_checkpoint(path: Path, marker: Path) -> dict:
    """A pytracking-style file whose pickled `constructor` would run a command if unpickled normally."""

    class NetConstructor:
        def __reduce__(self):
            return (subprocess.call, (["touch", str(marker)],))

    torch.manual_seed(1)
    state = build_net(pretrained_backbone=False).state_dict()
    torch.save({"net": state, "epoch": 500, "net_type": "HCAT", "actor_type": "HCATActor", "optimizer": None,
                "stats": None, "settings": None, "constructor": NetConstructor()}, path)
    return state


def test_import_official_weights_without_running_pickled_code(tmp_path):
    marker = tmp_path / "pwned"
    src = tmp_path / "HCAT_ep0500.pth.tar"
    state = _official_checkpoint(src, marker)
    with pytest.raises(Exception):
        torch.load(src, weights_only=True)          # plain safe loading refuses the file
    out = run_ltr("import", "hcat", str(src), "-o", str(tmp_path / "c.pth"))
    assert out.returncode == 0, out.stderr
    assert not marker.exists()
    ckpt = torch.load(tmp_path / "c.pth", weights_only=True)
    assert ckpt["config"]["_name"] == "hcat/default"
    for k, v in state.items():
        assert torch.equal(ckpt["net"][k], v), k
    net = build_net(pretrained_backbone=False)
    net.load_state_dict(ckpt["net"], strict=True)
    # --init-from reads the official file the same way: tensors only, nothing runs
    from ltr_core.train.importing import load_net_weights
    assert all(torch.equal(load_net_weights(src)[k], v) for k, v in state.items()) and not marker.exists()
    # the imported checkpoint is enough to build the tracker (eval and track use exactly this)
    from ltr_core.config import load_config
    from ltr_core.track.factory import TrackerFactory
    tracker = TrackerFactory(load_config("hcat/default"), str(tmp_path / "c.pth"))()
    frames = np.random.default_rng(0).integers(0, 255, (3, 240, 320, 3), dtype=np.uint8)
    tracker.initialize(frames[0], [100, 80, 60, 40])
    box, score = tracker.track(frames[1])
    assert box.shape == (4,) and 0 <= score <= 1 and box[2] >= 10


def test_import_rejects_weights_of_another_network(tmp_path):
    torch.save({"net": {"conv.weight": torch.zeros(1)}}, tmp_path / "other.pth")
    out = run_ltr("import", "hcat", str(tmp_path / "other.pth"), "-o", str(tmp_path / "c.pth"))
    assert out.returncode == 2 and "does not fit the network of hcat/default" in out.stderr
    assert not (tmp_path / "c.pth").exists()
