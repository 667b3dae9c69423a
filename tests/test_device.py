"""The device rule (`--device` on every command, `trainer.device`), inference precision (`--amp`) and the simulated
GPU that catches CUDA mistakes on a CPU."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from ltr_core import device as device_rule
from ltr_core.cli_runner import run_ltr
from ltr_core.devicecheck import DeviceMixError, SimulatedDevice
from ltr_core.track.precision import AutocastNet, resolve_amp


def ltr(*args, env=None):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args, env=env)


def ltr_process(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True, timeout=300,
                          env=env or os.environ)


# -- the device rule --------------------------------------------------------------------------------------------
def test_settings_are_checked_and_resolved_on_a_machine_without_a_gpu(monkeypatch):
    for good in ("auto", "cpu", "cuda", "cuda:3"):
        assert device_rule.check_setting(good) == good
    for bad in ("gpu", "cuda:", "cuda:x", "CPU", "", "mps"):
        with pytest.raises(device_rule.DeviceError, match="expected auto | cpu | cuda | cuda:N"):
            device_rule.check_setting(bad)
    monkeypatch.setattr(device_rule, "gpu_count", lambda: 0)
    assert device_rule.resolve("auto") == torch.device("cpu")
    assert device_rule.resolve("cpu") == torch.device("cpu")
    with pytest.raises(device_rule.DeviceError, match=r"^--device cuda:1: PyTorch sees no GPU here"):
        device_rule.resolve("cuda:1")


def test_auto_and_cuda_take_the_local_ranks_gpu_and_workers_are_dealt_over_several(monkeypatch):
    monkeypatch.setattr(device_rule, "gpu_count", lambda: 2)
    assert device_rule.resolve("auto", local_rank=1) == torch.device("cuda", 1)
    assert device_rule.resolve("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(device_rule.DeviceError, match=r"this machine has 2 GPUs \(cuda:0..cuda:1\)"):
        device_rule.resolve("cuda:2")
    assert [device_rule.for_worker("auto", i) for i in range(3)] == ["cuda:0", "cuda:1", "cuda:0"]
    assert device_rule.for_worker("cuda:1", 0) == "cuda:1" and device_rule.for_worker("cpu", 1) == "cpu"
    monkeypatch.setattr(device_rule, "gpu_count", lambda: 1)
    assert [device_rule.for_worker("auto", i) for i in range(3)] == ["auto"] * 3      # one GPU: shared


@pytest.mark.parametrize("args", [
    ["train", "tiny/tiny", "--device", "cuda"],
    ["eval", "tiny/tiny", "--untrained", "--device", "cuda"],
    ["track", "tiny/tiny", "--device", "cuda:0", "--frames", ".", "--init", "1,1,4,4"],
    ["bench", "train", "tiny/tiny", "--device", "cuda"],
    ["bench", "track", "tiny/tiny", "--untrained", "--device", "cuda"],
    ["check-plugin", "tiny", "--device", "cuda"],
    ["export", "tiny/tiny", "--untrained", "--out", "x", "--dtype", "int8", "--device", "cuda"],
])
def test_every_command_takes_the_device_option_and_a_missing_gpu_is_one_line(tiny_env, args, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the refusal cannot happen")
    out = ltr(*args)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "PyTorch sees no GPU here" in last and "use --device cpu or auto" in last


def test_a_malformed_device_is_a_usage_error_and_trainer_device_is_checked_at_load(tiny_env):
    out = ltr("eval", "tiny/tiny", "--untrained", "--device", "gpu")
    assert out.returncode == 2 and "Invalid value for '--device': 'gpu': expected auto | cpu | cuda | cuda:N" \
        in out.stderr
    out = ltr("config", "show", "tiny/tiny", "--set", "trainer.device=gpu0")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: trainer.device 'gpu0': expected auto | cpu | cuda | cuda:N"


def test_train_device_sets_trainer_device_and_the_header_names_it(tiny_env):
    out = ltr("train", "tiny/tiny", "--device", "cpu", "--set", "trainer.epochs=1")
    assert out.returncode == 0, out.stderr
    assert "device: cpu  world size: 1" in out.stdout
    ckpt = next((tiny_env / "checkpoints" / "ltr" / "tiny" / "tiny").glob("*.pth"))
    assert torch.load(ckpt, weights_only=True)["config"]["trainer"]["device"] == "cpu"


# -- the simulated GPU ------------------------------------------------------------------------------------------
def test_the_simulated_gpu_stops_where_cuda_would_and_counts_host_syncs():
    with SimulatedDevice() as sim:
        assert device_rule.resolve("auto") == torch.device("cuda", 0)
        net = torch.nn.Linear(3, 2).to(torch.device("cuda"))
        assert net.weight.device == torch.device("cuda", 0) and net.weight.is_cuda
        x = torch.ones(4, 3).to("cuda")
        y = net(x)
        assert y.device.type == "cuda"
        y = y + torch.zeros(2, device=y.device) + torch.tensor(1.0)   # a 0-d CPU tensor is a scalar to CUDA
        with pytest.raises(DeviceMixError, match=r"add\(\) mixes a tensor on the GPU with a CPU tensor of shape "
                                                 r"\(2,\).* at test_device.py:\d+ "):
            y + torch.zeros(2)
        with pytest.raises(DeviceMixError, match=r"numpy\(\) of a tensor on the GPU"):
            y.detach().numpy()
        with pytest.raises(DeviceMixError, match="non-blocking copy from the GPU to the host"):
            y.to("cpu", non_blocking=True)
        with pytest.raises(DeviceMixError, match="mixes a tensor on the GPU with a CPU tensor"):
            torch.cat([y, y.detach().cpu()])
        sim.reset()
        y = y.detach()
        float(y.sum())
        y.cpu().numpy()
        y.max().item()
        assert sim.sync_count() == 3
    assert device_rule.simulated is None and device_rule.gpu_count() == torch.cuda.device_count()


def test_the_kit_fails_a_tracker_that_calls_numpy_on_its_networks_output(tiny_env, tmp_path, monkeypatch):
    import tiny_plugin

    from ltr_core.testing import check_plugin

    @torch.no_grad()
    def track(self, image):
        side = 4 * float(np.sqrt(self.size.prod()))
        pred = self.net(self.crop_tensor(image, self.center, side, self.search_size), self.template)[0].numpy()
        return np.array([*(self.center - self.size / 2), *self.size]), float(pred[0])

    monkeypatch.setattr(tiny_plugin.TinyTracker, "track", track)
    monkeypatch.setattr(tiny_plugin.TinyTracker, "batchable", False)
    report = check_plugin("tiny", tmp_path, export=False)
    failure, = report.failures
    assert failure.subject == "config tiny/tiny"
    assert failure.message.startswith("on a simulated GPU: tracker 'tiny/tiny' (plugin 'tiny', ")
    assert "numpy() of a tensor on the GPU (CUDA refuses it: call .cpu() first) at test_device.py:" in failure.message


def test_the_kit_fails_a_network_that_makes_a_cpu_tensor_in_its_forward(tiny_env, tmp_path, monkeypatch):
    import tiny_plugin

    from ltr_core.testing import check_plugin

    def forward(self, search, template):
        feats = torch.cat([self.search(search), self.template(template)], dim=1)
        return (self.head(feats) + torch.zeros(4)).sigmoid()

    monkeypatch.setattr(tiny_plugin.TinyNet, "forward", forward)
    report = check_plugin("tiny", tmp_path, export=False)
    failure, = report.failures
    assert failure.message.startswith("on a simulated GPU: actor 'tiny/tiny' (plugin 'tiny', ")
    assert ("raised DeviceMixError: add() mixes a tensor on the GPU with a CPU tensor of shape (4,) (made without "
            "device=, or copied back with .cpu()) at test_device.py:") in failure.message


# -- inference precision ----------------------------------------------------------------------------------------
class _Probe(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)
        self.seen = []

    def forward(self, x):
        out = self.lin(x)
        self.seen.append(out.dtype)
        return {"y": out, "n": torch.arange(3)}

    def branch(self, x):
        return self.lin(x), x.sum()


def test_autocast_net_runs_every_call_in_bf16_and_returns_float32():
    net = AutocastNet(_Probe(), "bf16")
    out = net(torch.randn(2, 4))
    assert net.inner.seen == [torch.bfloat16] and out["y"].dtype == torch.float32 and out["n"].dtype == torch.long
    a, b = net.branch(torch.randn(2, 4))
    assert a.dtype == torch.float32 and b.dtype == torch.float32
    assert net.lin(torch.randn(1, 4)).dtype == torch.float32                        # a sub-module's call too
    assert isinstance(net, torch.nn.Module) and net.to("cpu").eval() is net
    assert not AutocastNet(_Probe(), "fp16").training or True


def test_amp_auto_follows_the_config_on_a_gpu_only():
    cfg = {"eval": {"amp": "bf16"}}
    assert resolve_amp("auto", cfg, torch.device("cuda", 0)) == "bf16"
    assert resolve_amp("auto", cfg, torch.device("cpu")) == "off"
    assert resolve_amp("fp16", cfg, torch.device("cpu")) == "fp16"
    assert resolve_amp("auto", {"eval": {"amp": "off"}}, torch.device("cuda", 0)) == "off"


def test_eval_amp_writes_its_own_results_folder_and_records_the_precision(tiny_env):
    out = ltr("eval", "tiny/tiny", "--untrained", "--amp", "bf16", "--device", "cpu")
    assert out.returncode == 0, out.stderr
    assert "on cpu, bf16 -> " in out.stdout
    folder = tiny_env / "results" / "tiny" / "tiny-untrained-bf16" / "demo"
    record = json.loads((folder / "provenance.json").read_text())
    assert record["dtype"] == "bf16" and record["device"] == "cpu" and record["runtime"] == "torch"
    assert ltr("eval", "tiny/tiny", "--untrained", "--amp", "bf16", "--runtime", "onnx").returncode == 2
    refused = ltr("eval", "tiny/tiny", "--baseline", "static", "--amp", "fp16")
    assert refused.returncode == 2 and "--amp fp16 applies to a PyTorch network" in refused.stderr


def test_results_of_an_earlier_ltr_without_a_device_or_batch_in_their_record_are_kept():
    from ltr_core.provenance import record_difference

    new = {"format": "ltr-results/1", "runtime": "torch", "dtype": "fp32", "device": "cpu", "batch": 1}
    old = {k: v for k, v in new.items() if k not in ("device", "batch")}
    assert record_difference(old, new) == ""
    assert record_difference(old, {**new, "batch": 8}).startswith("they were made with other settings (batch: 1 -> 8")
    assert record_difference(old, {**new, "device": "cuda"}).startswith(
        "they were made with other settings (device: cpu -> cuda")


# -- a checkpoint from a GPU on a machine without one ---------------------------------------------------------
def as_if_saved_on_a_gpu(path):
    """Rewrite a checkpoint so that every tensor's storage says it was saved from cuda:0, as torch.save writes a
    GPU run's checkpoint (torch.load then needs map_location on a CPU-only machine)."""
    import zipfile

    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as dst:
        for info, data in entries:
            if info.filename.endswith("data.pkl"):
                assert b"X\x03\x00\x00\x00cpu" in data
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            dst.writestr(info, data)


def test_a_checkpoint_saved_on_a_gpu_resumes_evaluates_and_exports_on_a_cpu(tiny_env):
    assert ltr("train", "tiny/tiny", "--set", "trainer.epochs=1").returncode == 0
    ckpt = tiny_env / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0001.pth"
    as_if_saved_on_a_gpu(ckpt)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
            torch.load(ckpt, weights_only=True)          # what a loader without map_location would meet
    resumed = ltr("train", "tiny/tiny", "--set", "trainer.epochs=2")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed from {ckpt} (epoch 1)" in resumed.stdout
    evaluated = ltr("eval", "tiny/tiny", "--checkpoint", str(ckpt))
    assert evaluated.returncode == 0, evaluated.stderr
    exported = ltr("export", "tiny/tiny", "--checkpoint", str(ckpt), "--out", str(tiny_env / "onnx"))
    assert exported.returncode == 0, exported.stderr
    imported = ltr("train", "tiny/tiny", "--no-resume", "--init-from", str(ckpt), "--set", "trainer.epochs=1")
    assert imported.returncode == 0 and f"initialised weights from {ckpt}" in imported.stdout


def test_the_kit_fails_a_config_that_sets_trainer_deterministic_with_an_operator_a_gpu_refuses(tiny_env, tmp_path,
                                                                                               monkeypatch):
    import ltr_core.testing
    from ltr_core.testing import check_plugin

    plain = ltr_core.testing.load_config

    def deterministic(name, overrides=None, **kw):
        return plain(name, [*(overrides or []), "trainer.deterministic=true"], **kw)

    monkeypatch.setattr(ltr_core.testing, "load_config", deterministic)      # the config the kit loads
    report = check_plugin("tiny", tmp_path, export=False)
    failure, = report.failures            # the tiny net pools with nn.AdaptiveAvgPool2d
    assert failure.subject == "config tiny/tiny"
    assert failure.message == ("trainer.deterministic is set, but the training step calls operators with no "
                               "deterministic CUDA kernel, which a GPU refuses: aten._adaptive_avg_pool2d_backward "
                               "(nn.AdaptiveAvgPool2d); compute them another way (elementwise operations and sums are "
                               "deterministic) or set trainer.deterministic=false")
