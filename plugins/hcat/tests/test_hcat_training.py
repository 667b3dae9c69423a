"""A short hcat/demo-style training run on generated data lowers the loss."""

import pytest

from ltr_core import registry
from ltr_core.config import load_config
from ltr_core.data.demo import DemoSpec, make_demo
from ltr_core.train.trainer import Trainer


@pytest.mark.slow
def test_short_training_on_generated_data_lowers_the_loss(tmp_path, monkeypatch):
    make_demo(tmp_path / "demo", DemoSpec(classes=2, per_class=3, frames=40, width=192, height=144, seed=2,
                                          test_per_class=1), progress=False)
    monkeypatch.setenv("LTR_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.delenv("LTR_PLUGINS", raising=False)
    registry.set_registry(None)
    cfg = load_config("hcat/demo", ["trainer.epochs=4", "data.train.sampler.samples_per_epoch=64",
                                    "data.train.loader.workers=0", "net.hidden_dim=64", "net.dim_feedforward=128",
                                    "scheduler.name=none", "trainer.tensorboard=false"])
    history = Trainer(cfg, tmp_path / "ws", out=lambda m: None).train()
    assert history[-1]["loss"] < 0.85 * history[0]["loss"]


def test_processing_targets_are_the_search_box_as_normalised_centre_and_size():
    import torch

    from ltr_hcat.processing import HCATProcessing

    anno = torch.tensor([[96.0, 64.0, 64.0, 32.0]])
    out = HCATProcessing().targets({"search_anno": anno}, None)["search_box"]
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, torch.tensor([[0.5, 0.3125, 0.25, 0.125]]))
