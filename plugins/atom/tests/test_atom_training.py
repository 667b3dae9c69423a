"""atom/demo learns: the IoU-prediction error on held-out pairs drops, and box refinement by gradient ascent on
the predicted IoU brings perturbed boxes closer to the ground truth."""

import os
import re

import numpy as np
import pytest
import torch

from ltr_atom.processing import iou_xywh, perturb_box
from ltr_atom.refine import refine_on_pair
from ltr_core import registry
from ltr_core.cli_runner import run_ltr
from ltr_core.config import load_config
from ltr_core.data.build import build_sampler
from ltr_core.data.demo import DemoSpec, make_demo
from ltr_core.train.trainer import Trainer


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("atom")
    # procedural textures: on 6 training sequences with photographs, 8 short epochs do not generalise to the
    # held-out photographs (error 0.21 -> 0.24 seen); the full atom/demo run is measured in the README.
    # The trunk stays frozen at its random initialisation, as ATOM's own recipe freezes its (pretrained) trunk:
    # what is tested is that the IoU-Net learns. Batches of 4: the held-out error falls with the number of steps
    # more than with the samples seen, so 56 steps of 4 per epoch (224 samples) learn about as much as 24 steps
    # of 16 in 0.73x the time (76 s against 105 s, run one after the other on the AVX-512 EPYC): held-out error
    # 0.202 -> 0.147 (0.73x; batches of 16: 0.71x, batches of 8 over 192 samples: 0.84x) against the 0.8x asked,
    # refinement +0.15 IoU against +0.03
    make_demo(tmp / "demo", DemoSpec(classes=3, per_class=3, frames=50, width=240, height=180, seed=4,
                                     test_per_class=1, photos="off"), progress=False)
    mp = pytest.MonkeyPatch()
    mp.setenv("LTR_DEMO_DIR", str(tmp / "demo"))
    mp.delenv("LTR_PLUGINS", raising=False)
    registry.set_registry(None)
    cfg = load_config("atom/demo", ["trainer.epochs=8", "net.freeze_backbone=true",
                                    "data.train.sampler.samples_per_epoch=224", "data.train.loader.batch_size=4",
                                    "data.val.sampler.samples_per_epoch=128", "data.train.loader.workers=0",
                                    "data.val.loader.workers=0", "trainer.tensorboard=false",
                                    "scheduler.step_size=6", "trainer.val_every=8"])
    messages = []
    trainer = Trainer(cfg, tmp / "ws", out=messages.append)
    history = trainer.train()
    yield cfg, trainer, history, messages, tmp
    mp.undo()


@pytest.mark.slow
def test_iou_prediction_error_on_held_out_pairs_drops(trained):
    cfg, trainer, history, messages, _ = trained
    before = next(m for m in messages if m.startswith("before training: "))
    error_before = float(before.split("val/iou_error ")[1].split()[0])
    assert history[-1]["val/iou_error"] < 0.8 * error_before, (error_before, history[-1]["val/iou_error"])


@pytest.mark.slow
def test_refinement_raises_the_iou_of_perturbed_boxes(trained):
    cfg, trainer, _, _, tmp = trained
    sampler = build_sampler(cfg["data"]["val"], 99, tmp / "ws")
    rng = np.random.default_rng(0)
    before, after = [], []
    for i in range(24):
        s = sampler[(0, i)]
        gt = s["search_anno"][0].numpy().astype(np.float64)
        start = np.stack([perturb_box(gt, rng, 0.3, (0.2, 0.3)) for _ in range(8)])
        refined, _ = refine_on_pair(trainer.net, s["template_images"][:1], s["template_anno"][:1],
                                    s["search_images"][:1], torch.from_numpy(start).float()[None])
        before.append(iou_xywh(start, gt).mean())
        after.append(iou_xywh(refined[0].numpy().astype(np.float64), gt).mean())
    assert np.mean(after) > np.mean(before) + 0.03, (np.mean(before), np.mean(after))


EVAL = ("--set", "tracker.init_CG_iter=24", "--set", "tracker.init_GN_iter=3", "--workers", "1")


@pytest.fixture(scope="module")
def evaluated(trained):
    """``ltr eval atom/demo`` of the trained checkpoint (PyTorch), shared by the eval and ONNX tests."""
    _, _, _, _, tmp = trained
    env = {k: v for k, v in os.environ.items() if k != "LTR_PLUGINS"}
    env["LTR_DEMO_DIR"] = str(tmp / "demo")
    res = run_ltr("eval", "atom/demo", "--workspace", str(tmp / "ws"), "--tag", "rt-torch", *EVAL, env=env)
    return res, env, tmp / "ws"


@pytest.mark.slow
def test_ltr_eval_tracks_the_demo_test_split_with_the_trained_checkpoint(evaluated):
    res, _, ws = evaluated
    assert res.returncode == 0, res.stderr
    assert re.search(r"tracked 3 sequences \(0 already done\): [\d.]+ fps tracker, [\d.]+ fps with decoding",
                     res.stdout), res.stdout
    auc = float(re.search(r"^AUC ([\d.]+)", res.stdout, re.M).group(1))
    assert 0 <= auc <= 100
    results = sorted((ws / "results" / "rt-torch" / "demo").glob("*-*.txt"))
    assert len([p for p in results if not p.name.endswith("_time.txt")]) == 3


@pytest.mark.slow
def test_ltr_eval_with_the_onnx_runtime_follows_pytorch_with_the_trained_checkpoint(evaluated):
    """The trunk in ONNX Runtime, the classifier and the IoU-Net in PyTorch (``net.pytorch``): the boxes of the
    demo test split against PyTorch's. ATOM's online classifier is trained by Gauss-Newton and CG from the trunk's
    features, and that training amplifies their float differences (ONNX Runtime's convolutions round otherwise
    than PyTorch's), so the runs are compared frame by frame until they part, and the parting is stated."""
    torch_run, env, ws = evaluated
    assert torch_run.returncode == 0, torch_run.stderr
    run = run_ltr("eval", "atom/demo", "--workspace", str(ws), "--runtime", "onnx", "--tag", "rt-onnx", *EVAL,
                  env=env)
    assert run.returncode == 0, run.stderr
    # exported on the way, the trunk among the parts
    assert len(re.findall(r"^wrote .*\.onnx ", run.stdout, re.M)) == 4 and "trunk.onnx" in run.stdout
    boxes = {rt: {f.stem: np.loadtxt(f, delimiter=",") for f in sorted((ws / "results" / f"rt-{rt}" / "demo")
                                                                       .glob("*-?.txt"))}
             for rt in ("torch", "onnx")}
    assert boxes["torch"].keys() == boxes["onnx"].keys() and len(boxes["torch"]) == 3
    for name, want in boxes["torch"].items():
        got = boxes["onnx"][name]
        diff = np.abs(got - want).max(1)
        parted = np.flatnonzero(diff > BOX_TOLERANCE)
        print(f"{name}: {len(diff)} frames, within {BOX_TOLERANCE} px until frame "
              f"{parted[0] if len(parted) else len(diff)}, then up to {diff.max():.2f} px")
        # the first frame's classifier and the first frames tracked with it: the same boxes (measured on an Intel
        # Xeon with AVX-512, 2 cores: two of the three sequences agree on all 50 frames, the third parts at its
        # second classifier update, frame 21, by at most 1.4 px; mean IoU of the two runs' boxes above 0.98)
        assert diff[:11].max() <= BOX_TOLERANCE, (name, diff[:11])
        assert np.mean(iou_xywh(got, want)) > 0.9, name


#: pixels: the result files hold boxes with 2 decimals, so one rounding step either side
BOX_TOLERANCE = 0.02

