"""OSTrack's weights: MAE's ImageNet ViT starts the backbone as the original does (golden: ``golden_mae.npz``,
written by ``tests/ostrack_golden/regenerate.py`` from the original's ``build_ostrack``), a missing file is one
line, and checkpoints saved the way OSTrack's trainer saves them load through ``ltr import`` (then
``--checkpoint``)."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from ltr_core.cli_runner import run_ltr
from ltr_ostrack.network import build_net

from ostrack_golden import recipe   # tests/ostrack_golden/ (HCAT's tests have helpers of the same names)

HERE = Path(__file__).parent

SMALL = dict(embed_dim=192, depth=4, num_heads=3, patch_size=8, template_size=56, search_size=112,
             pretrain_img_size=112, ce_loc=[1, 2], ce_keep_ratio=[0.7, 0.7], head_channels=64)


def ltr(*args, env=None, timeout=600):
    """`ltr ARGS` in this interpreter, with ``env`` added to the environment."""
    return run_ltr(*map(str, args), env={**os.environ, **(env or {})}, timeout=timeout)


def test_mae_weights_start_the_backbone_as_the_original_does(tmp_path):
    with np.load(HERE / "data" / "golden_mae.npz") as f:
        g = {k: f[k] for k in f.files}
    probe = build_net().backbone.state_dict()
    names = {k: tuple(v.shape) for k, v in probe.items() if k not in ("pos_embed_z", "pos_embed_x")}
    assert sorted(names) == g["names"].tolist()                     # MAE's encoder names are the backbone's
    state = recipe.weights(names, seed=7)
    mae = tmp_path / "mae_pretrain_vit_base.pth"
    torch.save({"model": {**state, "decoder_embed.weight": torch.zeros(3, 3)}}, mae)   # an extra tensor: unused
    backbone = build_net(pretrained=str(mae)).backbone.state_dict()
    assert sorted(k for k in names if torch.equal(backbone[k], state[k])) == g["loaded"].tolist()
    channels = g["pos_embed_z"].shape[-1]
    for key in ("pos_embed_z", "pos_embed_x"):                       # resized bicubically from the 14x14 grid
        np.testing.assert_allclose(backbone[key][..., :channels].numpy(), g[key], atol=1e-6, err_msg=key)


def test_a_relative_mae_path_is_looked_up_in_the_pretrained_dir_and_a_missing_file_is_one_line(tmp_path):
    env = {"LTR_PRETRAINED_DIR": str(tmp_path / "pretrained"), "LTR_WORKSPACE": str(tmp_path / "ws")}
    out = ltr("train", "ostrack/default", env=env)
    assert out.returncode == 2, out.stderr
    line = out.stderr.strip().splitlines()[-1]
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert f"MAE weights not found at {tmp_path / 'pretrained' / 'mae_pretrain_vit_base.pth'}: download " in line
    assert "--set net.pretrained=null" in line
    assert not list((tmp_path / "ws").rglob("*.pth"))


class TrainerSettings:
    """Stands in for the settings object OSTrack's trainer pickles into its checkpoints."""

    def __init__(self):
        self.script_name, self.project_path = "ostrack", "train/ostrack/vitb_256_mae_ce_32x4_ep300"


def test_a_checkpoint_saved_as_ostracks_trainer_saves_it_imports_and_evaluates(tmp_path, monkeypatch):
    torch.manual_seed(3)
    net = build_net(**SMALL)
    foreign = tmp_path / "OSTrack_ep0300.pth.tar"
    torch.save({"epoch": 300, "actor_type": "OSTrackActor", "net_type": "OSTrack", "net": net.state_dict(),
                "net_info": None, "constructor": None, "optimizer": None, "stats": None,
                "settings": TrainerSettings()}, foreign)
    from ltr_core.data.demo import DemoSpec, make_demo

    make_demo(tmp_path / "demo", DemoSpec(classes=1, per_class=1, frames=12, width=160, height=120, seed=2,
                                          test_per_class=1, photos="off"), progress=False)
    env = {"LTR_DEMO_DIR": str(tmp_path / "demo"), "LTR_WORKSPACE": str(tmp_path / "ws")}
    patch = ("--set", "net.stem=patch")        # the demo's size with the original's patch projection
    out = ltr("import", "ostrack", foreign, "-o", tmp_path / "imported.pth", "--config", "ostrack/demo", *patch,
              env=env)
    assert out.returncode == 0, out.stderr
    from ltr_core.train.checkpoint import load_checkpoint

    imported = load_checkpoint(tmp_path / "imported.pth")["net"]
    assert imported.keys() == net.state_dict().keys()
    assert all(torch.equal(imported[k], v) for k, v in net.state_dict().items())
    out = ltr("eval", "ostrack/demo", "--checkpoint", tmp_path / "imported.pth", "--json", *patch, env=env)
    assert out.returncode == 0, out.stderr
    assert '"auc"' in out.stdout.lower()
    # the original file straight to --checkpoint: its pickled settings object is never unpickled; one line says
    # to import it
    out = ltr("eval", "ostrack/demo", "--checkpoint", foreign, "--tag", "foreign", *patch, env=env)
    assert out.returncode == 2
    assert "TrainerSettings), which ltr never unpickles" in out.stderr and "`ltr import PLUGIN FILE" in out.stderr


def test_the_conv_stem_gives_the_patch_grid_and_refuses_mae_weights(tmp_path):
    torch.manual_seed(0)
    patch, conv = build_net(**SMALL).eval(), build_net(**SMALL, stem="conv").eval()
    z, x = torch.randn(2, 3, 56, 56), torch.randn(2, 3, 112, 112)
    with torch.no_grad():
        assert conv.backbone.patch_embed(x).shape == patch.backbone.patch_embed(x).shape == (2, 14 * 14, 192)
        out = conv(z, x)
    assert out["score_map"].shape == (2, 1, 14, 14) and torch.isfinite(out["pred_boxes"]).all()
    stem_keys = {k for k in conv.state_dict() if k.startswith("backbone.patch_embed.stem.")}
    assert stem_keys and not stem_keys & set(patch.state_dict())      # no original name is reused for other shapes
    with pytest.raises(ValueError, match="net.stem conv has no pretrained weights"):
        build_net(**SMALL, stem="conv", pretrained=str(tmp_path / "mae.pth"))
    with pytest.raises(ValueError, match="power-of-two patch_size, not 7"):
        build_net(**{**SMALL, "patch_size": 7, "ce_loc": [], "ce_keep_ratio": []}, stem="conv")
