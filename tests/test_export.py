"""ONNX export and the ONNX Runtime tracker switch, on the tests' tiny plugin (which declares its export
through the same `ltr_exports` hook as any tracker)."""

import json
import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch

from ltr_core.cli_runner import run_ltr
from ltr_core.deploy.onnx import ExportError, OnnxNet, activation_products, compare_with_torch, parts_for, read_manifest


def ltr(*args):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args)


def ltr_process(*args):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def trained_tiny(tiny_env):
    out = ltr("train", "tiny/tiny", "--set", "trainer.epochs=1")
    assert out.returncode == 0, out.stderr
    return tiny_env


def test_export_writes_checked_onnx_and_a_manifest_that_match_pytorch(trained_tiny, tmp_path):
    out = ltr("export", "tiny/tiny", "--out", str(tmp_path / "x"))
    assert out.returncode == 0, out.stderr
    m = read_manifest(tmp_path / "x")
    ckpt = trained_tiny / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0001.pth"
    assert m["config"] == "tiny/tiny" and m["checkpoint"] == str(ckpt) and m["opset"] == 17
    assert m["ltr_version"] and len(m["checkpoint_sha256"]) == 64
    (part,) = m["parts"]
    assert part["name"] == "forward" and [i["shape"] for i in part["inputs"]] == [[1, 3, 32, 32], [1, 3, 16, 16]]
    assert part["outputs"] == [{"name": "box", "shape": [1, 4], "dtype": "float32"}]
    onnx.checker.check_model(onnx.load(str(tmp_path / "x" / "forward.onnx")), full_check=True)
    diff = float(re.search(r"forward: max \|onnxruntime - torch\| = (\S+)", out.stdout).group(1))
    assert diff < 1e-4
    # the same comparison in-process, against the checkpoint's weights
    from ltr_core.config import load_config
    from ltr_core.track.factory import TrackerFactory

    factory = TrackerFactory(load_config("tiny/tiny"), str(ckpt))
    cfg, _ = factory.resolved()
    diffs = compare_with_torch(parts_for(cfg, factory.network()), tmp_path / "x", seed=1)
    assert diffs["forward"] < 1e-4
    # opset and --epoch are honoured
    again = ltr("export", "tiny/tiny", "--epoch", "1", "--opset", "18", "--out", str(tmp_path / "y"), "--no-check")
    assert again.returncode == 0 and read_manifest(tmp_path / "y")["opset"] == 18
    assert onnx.load(str(tmp_path / "y" / "forward.onnx")).opset_import[0].version == 18


def test_onnx_runtime_tracker_scores_like_the_torch_tracker(trained_tiny):
    torch_run = ltr("eval", "tiny/tiny")
    onnx_run = ltr("eval", "tiny/tiny", "--runtime", "onnx", "--workers", "2")
    assert torch_run.returncode == 0 and onnx_run.returncode == 0, onnx_run.stderr
    auc = [float(re.search(r"^AUC ([\d.]+)", r.stdout.splitlines()[-1]).group(1)) for r in (torch_run, onnx_run)]
    assert abs(auc[0] - auc[1]) <= 0.1
    res = trained_tiny / "results"
    assert (res / "tiny" / "tiny-onnx" / "demo").is_dir()        # results kept apart from the torch run's
    for f in sorted((res / "tiny" / "tiny" / "demo").glob("*-?.txt")):
        a = np.loadtxt(f, delimiter=",")
        b = np.loadtxt(res / "tiny" / "tiny-onnx" / "demo" / f.name, delimiter=",")
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=0.02)   # 2 decimals; the tiny tracker's boxes blow up
    folder = trained_tiny / "export" / "tiny" / "tiny" / "ep0001"
    stamp = (folder / "manifest.json").stat().st_mtime_ns
    third = ltr("eval", "tiny/tiny", "--runtime", "onnx", "--tag", "onnx-again")
    assert third.returncode == 0 and "wrote" not in third.stdout              # reused, not exported again
    assert (folder / "manifest.json").stat().st_mtime_ns == stamp


def test_track_runs_with_the_onnx_runtime(trained_tiny, demo_tree, tmp_path):
    seq = demo_tree / "zebra" / "zebra-3"
    init = (seq / "groundtruth.txt").read_text().splitlines()[0]
    outs = []
    for runtime in ("torch", "onnx"):
        r = ltr("track", "tiny/tiny", "--frames", str(seq / "img"), "--init", init, "--runtime", runtime,
                "--boxes", str(tmp_path / f"{runtime}.txt"))
        assert r.returncode == 0, r.stderr
        outs.append(np.loadtxt(tmp_path / f"{runtime}.txt", delimiter=","))
    assert outs[0].shape == outs[1].shape == (40, 4)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-4, atol=0.02)


def test_a_changed_or_missing_onnx_file_is_refused_with_its_name(trained_tiny, tmp_path):
    assert ltr("export", "tiny/tiny", "--out", str(tmp_path / "x"), "--no-check").returncode == 0
    f = tmp_path / "x" / "forward.onnx"
    f.write_bytes(f.read_bytes() + b"\0")
    with pytest.raises(ExportError, match=re.escape(str(f)) + ".*SHA-256 differs"):
        OnnxNet(tmp_path / "x")
    f.unlink()
    with pytest.raises(ExportError, match=re.escape(str(f)) + ": missing"):
        OnnxNet(tmp_path / "x")
    with pytest.raises(ExportError, match="no manifest; export first"):
        OnnxNet(tmp_path / "nothing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ExportError, match="not an ltr ONNX manifest"):
        OnnxNet(tmp_path / "bad")


def test_a_net_without_an_export_and_a_missing_onnxruntime_say_what_to_do(tiny_env, monkeypatch):
    from ltr_core.deploy import onnx as deploy

    with pytest.raises(ExportError, match=r"net 'nonet' declares no ONNX export.*exportable nets: .*tiny"):
        parts_for({"net": {"name": "nonet"}}, torch.nn.Identity())
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ExportError, match=r"pip install 'ltr-core\[onnx\]'"):
        deploy.require_onnxruntime()


def test_bench_track_compares_runtimes_in_one_run_and_ends_with_fps(trained_tiny):
    out = ltr("bench", "track", "tiny/tiny", "--runtime", "onnx", "--compare", "--frames", "20", "--size", "160x120")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert any(line.startswith("tiny/tiny runtime torch: 160x120, 19 frames, median of 3 rounds") for line in lines)
    shares = [re.match(r"ms/frame: ([\d.]+)  network ([\d.]+) ms \((\d+)%\)", line) for line in lines]
    shares = [m for m in shares if m]
    assert len(shares) == 2 and all(float(m.group(2)) <= float(m.group(1)) for m in shares)
    # the runtimes alternate three times; the speed-up is the median of the rounds' own ratios
    m = re.fullmatch(r"speed-up of onnx over torch \(same run\): ([\d.]+)x \(median of 3 interleaved rounds: "
                     r"([\d.]+), ([\d.]+), ([\d.]+)\)", lines[-2])
    assert m, lines[-2]
    assert m.group(1) == sorted(m.group(2, 3, 4), key=float)[1]
    assert re.fullmatch(r"fps: [\d.]+", lines[-1])
    one = ltr("bench", "track", "tiny/tiny", "--runtime", "onnx", "--compare", "--rounds", "1", "--frames", "20",
              "--size", "160x120")
    assert one.returncode == 0, one.stderr
    assert re.fullmatch(r"speed-up of onnx over torch \(same run\): [\d.]+x", one.stdout.strip().splitlines()[-2])
    bad = ltr("bench", "track", "tiny/tiny", "--size", "12x5")
    assert bad.returncode == 2 and "expected WxH" in bad.stderr


def test_int8_export_is_calibrated_on_the_trackers_inputs_and_stays_close(trained_tiny, tmp_path):
    out = ltr("export", "tiny/tiny", "--out", str(tmp_path / "q"), "--dtype", "int8")
    assert out.returncode == 0, out.stderr
    m = read_manifest(tmp_path / "q")
    assert m["dtype"] == "int8"
    model = onnx.load(str(tmp_path / "q" / "forward.onnx"))
    assert {"QuantizeLinear", "DequantizeLinear"} <= {n.op_type for n in model.graph.node}
    diff = float(re.search(r"forward: max \|onnxruntime - torch\| = (\S+)", out.stdout).group(1))
    assert 0 < diff < 0.05           # quantised: not exact, but close on outputs in [0, 1]
    run = ltr("eval", "tiny/tiny", "--runtime", "onnx", "--ort-dtype", "int8")
    assert run.returncode == 0, run.stderr
    assert (trained_tiny / "results" / "tiny" / "tiny-onnx-int8" / "demo").is_dir()
    assert (trained_tiny / "export" / "tiny" / "tiny" / "ep0001-int8" / "manifest.json").is_file()


class Attention(torch.nn.Module):
    """One head of attention: two products with weights (the projections), two of activations only."""

    def __init__(self):
        super().__init__()
        self.q = torch.nn.Linear(8, 8, bias=False)
        self.k = torch.nn.Linear(8, 8, bias=False)

    def forward(self, x):
        scores = (self.q(x) @ self.k(x).transpose(1, 2)).softmax(-1)
        return scores @ x


def test_int8_leaves_products_of_two_activations_in_float(tmp_path):
    path = tmp_path / "attention.onnx"
    torch.onnx.export(Attention(), (torch.randn(1, 5, 8),), str(path), opset_version=17, dynamo=False)
    graph = onnx.load(str(path)).graph
    matmuls = [n for n in graph.node if n.op_type == "MatMul"]
    excluded = activation_products(path)
    assert len(matmuls) == 4 and len(excluded) == 2
    weights = {t.name for t in graph.initializer}
    for node in matmuls:
        assert (node.name in excluded) == (not any(i in weights for i in node.input))


# -- a tracker that keeps part of its network in PyTorch (plugin API 1.4) ------------------------------------
@pytest.fixture
def trained_hybrid(tiny_env, monkeypatch):
    """The tests' hybrid plugin (hybrid_plugin.py: the tiny tracker with ``onnx_needs_torch``), trained one epoch."""
    from ltr_core import registry

    monkeypatch.setenv("LTR_PLUGINS", "tiny=tiny_plugin,hybrid=hybrid_plugin")
    registry.set_registry(None)
    out = ltr("train", "hybrid/hybrid", "--set", "trainer.epochs=1")
    assert out.returncode == 0, out.stderr
    return tiny_env


def test_a_tracker_that_asks_gets_the_onnx_parts_and_the_checkpoints_pytorch_network(trained_hybrid, tmp_path):
    from ltr_core.config import load_config
    from ltr_core.track.factory import TrackerFactory
    from ltr_core.train.checkpoint import inference_weights, load_checkpoint

    torch_run = ltr("eval", "hybrid/hybrid", "--json")
    onnx_run = ltr("eval", "hybrid/hybrid", "--runtime", "onnx", "--json")
    assert torch_run.returncode == 0 and onnx_run.returncode == 0, onnx_run.stderr
    res = trained_hybrid / "results"
    files = sorted((res / "hybrid" / "hybrid" / "demo").glob("*-?.txt"))
    assert files
    for f in files:
        a = np.loadtxt(f, delimiter=",")
        b = np.loadtxt(res / "hybrid" / "hybrid-onnx" / "demo" / f.name, delimiter=",")
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=0.02)

    ckpt = trained_hybrid / "checkpoints" / "ltr" / "hybrid" / "hybrid" / "ep0001.pth"
    folder = trained_hybrid / "export" / "hybrid" / "hybrid" / "ep0001"
    tracker = TrackerFactory(load_config("hybrid/hybrid"), str(ckpt), onnx_dir=str(folder))()
    assert isinstance(tracker.net, OnnxNet) and isinstance(tracker.net.pytorch, torch.nn.Module)
    weights = inference_weights(load_checkpoint(ckpt))
    assert all(torch.equal(v, weights[k]) for k, v in tracker.net.pytorch.state_dict().items())
    # a tracker that does not ask gets the ONNX parts alone, as before plugin API 1.4
    plain = TrackerFactory(load_config("tiny/tiny"), None, onnx_dir=str(folder))()
    assert plain.net.pytorch is None


def test_onnx_parts_from_another_checkpoint_than_the_pytorch_ones_are_refused_naming_the_manifest(trained_hybrid,
                                                                                                     tmp_path):
    from ltr_core.config import load_config
    from ltr_core.track.factory import TrackerFactory

    assert ltr("export", "hybrid/hybrid", "--untrained", "--out", str(tmp_path / "u"), "--no-check").returncode == 0
    ckpt = trained_hybrid / "checkpoints" / "ltr" / "hybrid" / "hybrid" / "ep0001.pth"
    factory = TrackerFactory(load_config("hybrid/hybrid"), str(ckpt), onnx_dir=str(tmp_path / "u"))
    with pytest.raises(ExportError, match=re.escape(str(tmp_path / "u" / "manifest.json")) +
                       r": exported from config hybrid/hybrid, the untrained network, but hybrid/hybrid runs its "
                       r"PyTorch parts from config hybrid/hybrid, checkpoint .*ep0001.pth: export that again"):
        factory()
    with pytest.raises(ExportError, match=r"manifest.json \(config hybrid/hybrid\) has no part 'backbone', which "
                                          r"the tracker runs \(it has: forward\): export this config again"):
        OnnxNet(tmp_path / "u").require("forward", "backbone")


def _plugin_with_tracker(api: str, needs_torch):
    import types

    from ltr_core.api import Tracker

    class Needy(Tracker):
        """A tracker declaring onnx_needs_torch (test)."""
        onnx_needs_torch = needs_torch

        def initialize(self, image, box):
            pass

        def track(self, image):
            return (0, 0, 1, 1), 1.0

    mod = types.ModuleType("needy_plugin")
    mod.ltr_plugin_api = lambda: api
    mod.ltr_trackers = lambda: {"needy": Needy}
    return mod


@pytest.mark.parametrize("api, needs_torch, message", [
    (">=1.0,<2", True, (r"tracker 'needy' sets onnx_needs_torch \(plugin API 1.4\), but its plugin declares "
                        r"plugin API >=1.0,<2, which admits 1.3, .*: declare '>=1.4' in ltr_plugin_api\(\)")),
    (">=1.4,<2", "yes", r"tracker 'needy' sets onnx_needs_torch = 'yes'; expected True or False"),
    (">=1.4,<2", True, None)])
def test_onnx_needs_torch_is_checked_when_the_plugin_loads(api, needs_torch, message):
    from ltr_core.registry import PluginError, Registry

    reg = Registry()
    if message is None:
        reg.add_plugin(_plugin_with_tracker(api, needs_torch), "needy", "ltr-needy", "0.1")
        assert reg.get("tracker", "needy/needy").factory.onnx_needs_torch is True
        return
    with pytest.raises(PluginError, match=message):
        reg.add_plugin(_plugin_with_tracker(api, needs_torch), "needy", "ltr-needy", "0.1")
    assert "needy" not in reg.plugins
