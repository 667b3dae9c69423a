"""DiMP under ONNX Runtime: the per-frame network parts exported (``ltr_dimp.export``), the filter's optimiser and
the IoU-Net's refinement in PyTorch on the same weights (``net.pytorch``, plugin API 1.4).

The network is DiMP-18 with the tracker golden's seeded weights (``golden/regenerate_tracker.py``: the residual
branches off, so that an untrained network tracks), imported with ``ltr import`` as a ``dimp/demo`` checkpoint: no
training. The sequences are a generated demo split of two 30-frame test sequences at 160 x 120.

The untrained IoU-Net's predicted IoU is steep, and at pytracking's refinement step (1.0) its gradient ascent
amplifies float noise: PyTorch alone, with 1e-5 relative noise on its IoU features, ends up tens of pixels away on
one of these sequences within 5 frames. The comparison therefore runs with ``tracker.box_refinement_step_length
0.1``, at which that perturbed PyTorch run stays within 1e-4 px of the plain one on both sequences: a difference
beyond that is ONNX Runtime's. (With a trained dimp/demo checkpoint and the config's own step, docs/deployment.md
gives the figure over 8 sequences of the full demo split.)
"""

import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ltr_core.cli_runner import run_ltr
from ltr_core.deploy.onnx import ExportError, OnnxNet, export_parts, read_manifest

GOLDEN_DIR = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))
import regenerate_tracker as harness  # noqa: E402  the trackers' seeded weights

NET_GOLDEN = json.loads((GOLDEN_DIR / "pytracking_dimp.json").read_text())
#: pixels: the result files hold boxes with 2 decimals, so one rounding step either side
BOX_TOLERANCE = 0.02
#: the untrained network's refinement step (see above)
GENTLE_REFINEMENT = ("--set", "tracker.box_refinement_step_length=0.1")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A workspace with a generated demo split and ``ck.pth``, DiMP-18's seeded weights as a dimp/demo checkpoint;
    the environment to run ``ltr`` in."""
    from ltr_core.data.demo import DemoSpec, make_demo

    root = tmp_path_factory.mktemp("dimp_onnx")
    make_demo(root / "demo", DemoSpec(classes=2, per_class=2, frames=30, width=160, height=120, seed=5,
                                      test_per_class=1, photos="off"), progress=False)
    env = {**os.environ, "LTR_WORKSPACE": str(root / "ws"), "LTR_DEMO_DIR": str(root / "demo")}
    weights = {k: v.float() if v.is_floating_point() else v
               for k, v in harness.tracking_weights(NET_GOLDEN["nets"]["dimp18"]["state"]).items()}
    torch.save({"net": weights, "epoch": 50}, root / "dimp18.pth")
    out = run_ltr("import", "dimp", root / "dimp18.pth", "--config", "dimp/demo", "-o", root / "ck.pth", env=env)
    assert out.returncode == 0, out.stderr
    return root, env


def test_ltr_eval_with_the_onnx_runtime_gives_pytorchs_boxes_on_the_demo_split(workspace):
    root, env = workspace
    ckpt = root / "ck.pth"
    folder = root / "ws" / "export" / "dimp" / "demo" / "ck"      # where `ltr eval --runtime onnx` looks for it
    out = run_ltr("export", "dimp/demo", "--checkpoint", ckpt, "--out", folder, env=env)
    assert out.returncode == 0, out.stderr
    assert [p["name"] for p in read_manifest(folder)["parts"]] == ["init_features", "search_features"]
    diffs = [float(d) for d in re.findall(r"max \|onnxruntime - torch\| = (\S+)", out.stdout)]
    assert len(diffs) == 2 and max(diffs) < 1e-4, out.stdout

    runs = {}
    for runtime in ("torch", "onnx"):
        run = run_ltr("eval", "dimp/demo", "--checkpoint", ckpt, "--runtime", runtime, "--workers", "1",
                      "--device", "cpu", *GENTLE_REFINEMENT, env=env)
        assert run.returncode == 0, run.stderr
        runs[runtime] = run
    assert "wrote" not in runs["onnx"].stdout             # the export above was used, not made again
    results = root / "ws" / "results" / "dimp"
    files = sorted((results / "demo" / "demo").glob("*-?.txt"))
    assert len(files) == 2
    largest = 0.0
    for f in files:
        torch_boxes = np.loadtxt(f, delimiter=",")
        onnx_boxes = np.loadtxt(results / "demo-onnx" / "demo" / f.name, delimiter=",")
        assert torch_boxes.shape == onnx_boxes.shape == (30, 4)
        assert np.abs(np.diff(torch_boxes[:, :2], axis=0)).max() > 1      # the boxes move: the tracker tracks
        largest = max(largest, float(np.abs(torch_boxes - onnx_boxes).max()))
    print(f"largest |onnx - torch| box difference: {largest:.2e} px")
    assert largest <= BOX_TOLERANCE


def test_an_export_without_dimps_parts_or_from_another_checkpoint_is_refused_in_one_line(workspace, tmp_path):
    from ltr_core.config import load_config
    from ltr_core.track.factory import TrackerFactory
    from ltr_dimp.export import export_parts as dimp_parts
    from ltr_dimp.tracker import DiMPTracker

    root, env = workspace
    factory = TrackerFactory(load_config("dimp/demo"), str(root / "ck.pth"), device="cpu")
    net = factory.network()
    export_parts(dimp_parts(net, 144)[:1], tmp_path / "part", config="dimp/demo", checkpoint=str(root / "ck.pth"),
                 report=lambda m: None)
    with pytest.raises(ExportError, match=re.escape(str(tmp_path / "part" / "manifest.json")) +
                       r" \(config dimp/demo\) has no part 'search_features', which the DiMP tracker runs"):
        DiMPTracker(OnnxNet(tmp_path / "part", pytorch=net), image_sample_size=144)

    out = run_ltr("export", "dimp/demo", "--untrained", "--out", tmp_path / "untrained", "--no-check", env=env)
    assert out.returncode == 0, out.stderr
    with pytest.raises(ExportError, match=r"exported from config dimp/demo, the untrained network, but dimp/dimp "
                                          r"runs its PyTorch parts from config dimp/demo, checkpoint .*ck.pth"):
        TrackerFactory(load_config("dimp/demo"), str(root / "ck.pth"), onnx_dir=str(tmp_path / "untrained"))()


def test_a_net_object_without_the_pytorch_network_is_refused_saying_what_to_give():
    from ltr_dimp.tracker import DiMPTracker

    with pytest.raises(ValueError, match=r"give it the PyTorch network, or ONNX parts with the PyTorch network "
                                         r"beside them \(net.pytorch"):
        DiMPTracker(object())
