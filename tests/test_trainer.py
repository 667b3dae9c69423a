"""The trainer on the tiny tracker: learning, checkpoints, exact resume after SIGKILL, DDP, AMP, NaN, safety."""

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from ltr_core.cli_runner import run_ltr
from ltr_core.config import load_config
from ltr_core.train.checkpoint import CheckpointError, list_checkpoints, load_checkpoint
from ltr_core.train.trainer import Trainer, TrainingError


def ltr(*args, **kw):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args)


def ltr_process(*args, **kw):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True,
                          timeout=kw.get("timeout", 300))


def ckpt_dir(ws):
    return ws / "checkpoints" / "ltr" / "tiny" / "tiny"


def test_training_lowers_the_loss_and_writes_checkpoints(tiny_env):
    cfg = load_config("tiny/tiny", ["trainer.epochs=6", "data.train.sampler.samples_per_epoch=64"])
    history = Trainer(cfg, tiny_env, out=lambda m: None).train()
    assert history[-1]["loss"] < 0.8 * history[0]["loss"]
    # keep_last=3 (default): only the three newest remain
    assert [e for e, _ in list_checkpoints(ckpt_dir(tiny_env))] == [4, 5, 6]
    state = torch.load(ckpt_dir(tiny_env) / "ep0006.pth", weights_only=True)
    assert state["epoch"] == 6 and state["config"]["net"] == {"name": "tiny/tiny", "width": 8}
    assert (tiny_env / "logs" / "tiny" / "tiny" / "train.log").read_text().count("epoch ") == 6


def test_param_groups_get_their_own_learning_rate(tiny_env):
    cfg = load_config("tiny/tiny", ["optimizer.param_groups=[{match: head, lr: 0.5}]"])
    trainer = Trainer(cfg, tiny_env, out=lambda m: None, resume=False)
    lrs = sorted(g["lr"] for g in trainer.optimizer.param_groups)
    assert lrs == [0.003, 0.5]
    head = {id(p) for p in trainer.net.head.parameters()}
    group = next(g for g in trainer.optimizer.param_groups if g["lr"] == 0.5)
    assert {id(p) for p in group["params"]} == head


def test_start_and_end_messages(tiny_env):
    out = ltr("train", "tiny/tiny", "--set", "trainer.epochs=1")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "config: tiny/tiny"
    assert any(l.startswith("workspace: ") for l in lines)
    assert any(l.startswith("device: cpu  world size: 1") for l in lines)
    assert any(l.startswith("parameters: ") for l in lines)
    assert lines[-1].startswith("done. checkpoints: ") and str(ckpt_dir(tiny_env)) in lines[-1]
    assert "samples/s" in out.stderr and "data" in out.stderr   # the progress bar


def _final_weights(ws, epoch):
    return load_checkpoint(ckpt_dir(ws) / f"ep{epoch:04d}.pth")["net"]


def test_resume_after_sigkill_matches_an_uninterrupted_run(tiny_env, tmp_path, monkeypatch):
    args = ["train", "tiny/tiny", "--set", "trainer.epochs=5", "--set", "data.train.sampler.samples_per_epoch=48",
            "--set", "net.width=16", "--set", "actor.step_delay=0.1"]
    ref = ltr(*args, "--workspace", str(tmp_path / "ref"))
    assert ref.returncode == 0, ref.stderr
    ws = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "ltr_core", *args, "--workspace", str(ws)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list_checkpoints(ckpt_dir(ws)) and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)                                         # an epoch is 6 steps of >= 0.1 s: kill mid-epoch
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = [e for e, _ in list_checkpoints(ckpt_dir(ws))]
    assert done and done[-1] < 5, "the run finished before it could be killed; make it longer"
    resumed = ltr(*args, "--workspace", str(ws))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed from {ckpt_dir(ws) / f'ep{done[-1]:04d}.pth'}" in resumed.stdout
    a, b = _final_weights(tmp_path / "ref", 5), _final_weights(ws, 5)
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_truncated_latest_checkpoint_falls_back_to_the_previous_one(tiny_env):
    assert ltr("train", "tiny/tiny", "--set", "trainer.epochs=2").returncode == 0
    latest = ckpt_dir(tiny_env) / "ep0002.pth"
    data = latest.read_bytes()
    latest.write_bytes(data[: len(data) // 2])
    out = ltr("train", "tiny/tiny", "--set", "trainer.epochs=3")
    assert out.returncode == 0, out.stderr
    assert "ep0002.pth cannot be loaded: " in out.stdout and "falling back to the previous checkpoint" in out.stdout
    assert "resumed from" in out.stdout and "ep0001.pth (epoch 1)" in out.stdout


def test_checkpoint_with_code_in_a_pickle_is_refused_and_nothing_runs(tiny_env, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    ckpt_dir(tiny_env).mkdir(parents=True)
    torch.save({"format": "ltr-checkpoint-v1", "epoch": 1, "net": {}, "evil": Payload()},
               ckpt_dir(tiny_env) / "ep0001.pth")
    with pytest.raises(CheckpointError, match="holds pickled objects other than tensors"):
        load_checkpoint(ckpt_dir(tiny_env) / "ep0001.pth")
    out = ltr("train", "tiny/tiny", "--set", "trainer.epochs=1")
    assert "holds pickled objects other than tensors" in out.stdout
    assert not marker.exists()


def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tiny_env):
    out = ltr("train", "tiny/tiny", "--set", "trainer.epochs=3", "--set", "actor.nan_at_step=6")  # 4 steps/epoch
    assert out.returncode == 1
    assert "error: non-finite loss (nan) at epoch 2, step 2" in out.stderr
    assert "the last good checkpoint" in out.stderr
    assert [e for e, _ in list_checkpoints(ckpt_dir(tiny_env))] == [1]
    assert load_checkpoint(ckpt_dir(tiny_env) / "ep0001.pth")["epoch"] == 1


def test_bf16_autocast_trains_on_cpu(tiny_env):
    cfg = load_config("tiny/tiny", ["trainer.amp=bf16", "trainer.epochs=1"])
    trainer = Trainer(cfg, tiny_env, out=lambda m: None)
    seen = []
    inner = trainer.actor

    class Spy:
        def __call__(self, batch):
            seen.append(torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else None)
            return inner(batch)

        def train(self, mode=True):
            inner.train(mode)

    trainer.actor = Spy()
    history = trainer.train()
    assert seen and all(d == torch.bfloat16 for d in seen)
    assert torch.isfinite(torch.tensor(history[0]["loss"]))


def test_init_from_loads_weights_only(tiny_env, tmp_path):
    assert ltr("train", "tiny/tiny", "--set", "trainer.epochs=1", "--workspace", str(tmp_path / "a")).returncode == 0
    src = tmp_path / "a" / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0001.pth"
    cfg = load_config("tiny/tiny", ["trainer.epochs=1"])
    trainer = Trainer(cfg, tmp_path / "b", out=lambda m: None, init_from=str(src))
    assert trainer.epoch == 0
    ref = load_checkpoint(src)["net"]
    for k, v in trainer.net.state_dict().items():
        assert torch.equal(v, ref[k])


def _torchrun(nproc, batch, ws, extra=()):
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", "-m", "ltr_core",
         "train", "tiny/tiny", "--workspace", str(ws), "--set", f"data.train.loader.batch_size={batch}",
         "--set", "trainer.epochs=1", "--set", "data.train.sampler.samples_per_epoch=48",
         "--set", "optimizer.name=sgd", "--set", "optimizer.lr=0.05", *extra],
        capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_ddp_two_ranks_match_one_process_with_twice_the_batch(tiny_env, tmp_path):
    two = _torchrun(2, 4, tmp_path / "two")
    assert two.returncode == 0, two.stderr[-3000:]
    assert "world size: 2" in two.stdout
    one = _torchrun(1, 8, tmp_path / "one")
    assert one.returncode == 0, one.stderr[-3000:]
    a = load_checkpoint(tmp_path / "two" / "checkpoints/ltr/tiny/tiny/ep0001.pth")["net"]
    b = load_checkpoint(tmp_path / "one" / "checkpoints/ltr/tiny/tiny/ep0001.pth")["net"]
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)


def test_ddp_ranks_end_with_identical_parameters(tiny_env, tmp_path):
    dump = tmp_path / "rank{rank}.pt"
    script = tmp_path / "dump_ranks.py"
    script.write_text(
        "import os, sys, torch\n"
        "from ltr_core.config import load_config\n"
        "from ltr_core.train import distributed as D\n"
        "from ltr_core.train.trainer import Trainer\n"
        "cfg = load_config('tiny/tiny', [f'trainer.epochs={sys.argv[1]}', 'data.train.loader.batch_size=4'])\n"
        "ctx = D.setup('cpu')\n"
        f"t = Trainer(cfg, __import__('pathlib').Path(r'{tmp_path / 'ws'}'), ctx, out=lambda m: None)\n"
        "t.train()\n"
        f"torch.save(t.net.state_dict(), r'{dump}'.format(rank=ctx.rank))\n"
        "D.teardown()\n")
    for epochs in (1, 2):                                  # the second run resumes on both ranks
        out = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                              str(script), str(epochs)], capture_output=True, text=True, timeout=300,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert out.returncode == 0, out.stderr[-3000:]
    r0 = torch.load(str(dump).format(rank=0), weights_only=True)
    r1 = torch.load(str(dump).format(rank=1), weights_only=True)
    for k in r0:
        assert torch.equal(r0[k], r1[k]), k
    # only rank 0 wrote: one log line per epoch, over both runs
    assert (tmp_path / "ws" / "logs" / "tiny" / "tiny" / "train.log").read_text().count("epoch ") == 2


def test_validation_loader_runs_every_k_epochs_and_before_training(tiny_env):
    val = ("data.val={datasets: [{name: lasot, root_env: LTR_DEMO_DIR, split_file: test_split.txt}], "
           "sampler: {name: tracking, samples_per_epoch: 16}, processing: {name: crop_pair, search_size: 32, "
           "template_size: 16}, loader: {batch_size: 8}}")
    cfg = load_config("tiny/tiny", [val, "trainer.epochs=4", "trainer.val_every=2", "trainer.val_at_start=true"])
    messages = []
    history = Trainer(cfg, tiny_env, out=messages.append).train()
    assert [("val/loss" in h) for h in history] == [False, True, False, True]
    assert any(m.startswith("before training: val/loss ") for m in messages)


def test_gradient_clipping_bounds_each_update(tiny_env):
    cfg = load_config("tiny/tiny", ["optimizer.name=sgd", "optimizer.lr=1.0", "optimizer.momentum=0.0",
                                    "trainer.clip_grad_norm=1.0e-4", "trainer.epochs=1",
                                    "data.train.sampler.samples_per_epoch=8"])
    trainer = Trainer(cfg, tiny_env, out=lambda m: None)
    before = torch.cat([p.detach().flatten().clone() for p in trainer.net.parameters()])
    trainer.train()
    after = torch.cat([p.detach().flatten() for p in trainer.net.parameters()])
    assert 0 < (after - before).norm() <= 1.0001e-4        # one step of lr 1 with the gradient norm clipped


def test_tensorboard_gets_the_epoch_stats(tiny_env):
    pytest.importorskip("tensorboard", reason="tensorboard is an optional extra; CI installs it")
    cfg = load_config("tiny/tiny", ["trainer.tensorboard=true", "trainer.epochs=1"])
    Trainer(cfg, tiny_env, out=lambda m: None).train()
    events = list((tiny_env / "tensorboard" / "tiny" / "tiny").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0


def test_nproc_launches_torchrun(tiny_env):
    out = subprocess.run([sys.executable, "-m", "ltr_core", "train", "tiny/tiny", "--nproc", "2", "--set",
                          "trainer.epochs=1"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "launching: " in out.stdout and "torch.distributed.run" in out.stdout
    assert "world size: 2" in out.stdout


def test_fp16_uses_a_grad_scaler(tiny_env):
    cfg = load_config("tiny/tiny", ["trainer.amp=fp16", "trainer.epochs=1"])
    trainer = Trainer(cfg, tiny_env, out=lambda m: None)
    assert trainer.scaler.is_enabled()
    history = trainer.train()
    assert torch.isfinite(torch.tensor(history[0]["loss"]))
    assert load_checkpoint(ckpt_dir(tiny_env) / "ep0001.pth")["scaler"]["scale"] > 0


def test_the_loop_reads_the_device_only_at_logging_points(tiny_env, monkeypatch):
    """Loss statistics accumulate on the device; one read per ``log_every`` steps and none in between."""
    from ltr_core.train import step as step_module

    reads = []
    real_read = step_module.StatAccumulator.read
    monkeypatch.setattr(step_module.StatAccumulator, "read", lambda self: reads.append(self.steps) or real_read(self))
    cfg = load_config("tiny/tiny", ["trainer.epochs=1", "trainer.log_every=3",
                                    "data.train.sampler.samples_per_epoch=64"])      # 8 steps of 8
    history = Trainer(cfg, tiny_env, out=lambda m: None).train()
    assert reads == [3, 6, 8, 8]                 # logging points, the last step, the epoch's means
    assert history[0]["loss"] > 0


def test_channels_last_trains_with_channels_last_weights_and_batches(tiny_env):
    cfg = load_config("tiny/tiny", ["trainer.epochs=1", "trainer.channels_last=true"])
    trainer = Trainer(cfg, tiny_env, out=lambda m: None)
    conv = next(p for p in trainer.net.parameters() if p.dim() == 4)
    assert conv.is_contiguous(memory_format=torch.channels_last)
    seen = []
    inner = trainer.actor

    class Spy:
        def __call__(self, batch):
            seen.append(batch["search_images"][:, 0].is_contiguous(memory_format=torch.channels_last))
            return inner(batch)

        def train(self, mode=True):
            inner.train(mode)

    trainer.actor = Spy()
    trainer.train()
    assert seen and all(seen)


def test_fused_optimizer_and_pinning_follow_the_config(tiny_env):
    cfg = load_config("tiny/tiny", ["trainer.epochs=1", "optimizer.impl=fused"])
    trainer = Trainer(cfg, tiny_env, out=lambda m: None)
    assert trainer.optimizer.defaults["fused"] is True
    assert trainer.loader.pin_memory is False     # null: pin only when training on a GPU
    trainer.train()
    with pytest.raises(Exception, match="optimizer.impl"):
        load_config("tiny/tiny", ["optimizer.impl=turbo"])


def test_compile_without_a_compiler_stops_naming_the_option(tiny_env, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    cfg = load_config("tiny/tiny", ["trainer.epochs=1", "trainer.compile=true"])
    with pytest.raises(TrainingError, match="trainer.compile on the CPU needs a C\\+\\+ compiler"):
        Trainer(cfg, tiny_env, out=lambda m: None)


@pytest.mark.slow
def test_compiled_training_matches_eager_and_saves_plain_weights(tiny_env, tmp_path):
    eager = load_config("tiny/tiny", ["trainer.epochs=1"])
    compiled = load_config("tiny/tiny", ["trainer.epochs=1", "trainer.compile=true"])
    a = Trainer(eager, tmp_path / "eager", out=lambda m: None).train()
    b = Trainer(compiled, tmp_path / "compiled", out=lambda m: None).train()
    assert b[0]["loss"] == pytest.approx(a[0]["loss"], rel=1e-3)
    state = load_checkpoint(tmp_path / "compiled" / "checkpoints/ltr/tiny/tiny/ep0001.pth")["net"]
    assert not any(k.startswith("_orig_mod") for k in state)


def test_weight_average_is_a_ramped_exponential_average_of_parameters_and_batchnorm_statistics():
    from ltr_core.train.ema import WeightAverage

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    average = WeightAverage(net, decay=0.9)
    expected = {k: v.clone() for k, v in net.state_dict().items()}
    for t in range(1, 40):
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p))
        net(torch.randn(8, 3))                                  # moves the running statistics too
        average.update(net)
        d = min(0.9, (1 + t) / (10 + t))                        # the ramp, then the cap
        for k, v in net.state_dict().items():
            expected[k] = d * expected[k] + (1 - d) * v if v.is_floating_point() else v.clone()
    for k, v in average.state.items():
        assert torch.allclose(v, expected[k], atol=1e-6), k
    assert average.state["1.num_batches_tracked"].item() == 39
    assert not torch.allclose(average.state["0.weight"], net.state_dict()["0.weight"])


def test_weight_average_resumes_exactly_and_is_what_evaluation_loads(tiny_env, tmp_path):
    from ltr_core.track.factory import TrackerFactory

    args = ["--set", "trainer.ema_decay=0.9", "--set", "data.train.sampler.samples_per_epoch=48"]
    assert ltr("train", "tiny/tiny", "--set", "trainer.epochs=3", *args,
               "--workspace", str(tmp_path / "ref")).returncode == 0
    assert ltr("train", "tiny/tiny", "--set", "trainer.epochs=2", *args).returncode == 0
    out = ltr("train", "tiny/tiny", "--set", "trainer.epochs=3", *args)
    assert out.returncode == 0 and "resumed from" in out.stdout, out.stderr
    ref = load_checkpoint(tiny_env.parent / "ref" / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0003.pth")
    state = load_checkpoint(ckpt_dir(tiny_env) / "ep0003.pth")
    assert state["ema"]["updates"] == ref["ema"]["updates"] == 18          # 3 epochs x 48/8 steps
    for k in ref["ema"]["net"]:
        assert torch.equal(ref["ema"]["net"][k], state["ema"]["net"][k]), k
    cfg = load_config("tiny/tiny")
    loaded = TrackerFactory(cfg, str(ckpt_dir(tiny_env) / "ep0003.pth")).network().state_dict()
    assert all(torch.equal(loaded[k], state["ema"]["net"][k]) for k in loaded)
    assert not torch.equal(loaded["head.weight"], state["net"]["head.weight"])


def test_turning_the_weight_average_on_for_a_run_trained_without_it_is_refused(tiny_env):
    assert ltr("train", "tiny/tiny", "--set", "trainer.epochs=1").returncode == 0
    out = ltr("train", "tiny/tiny", "--set", "trainer.epochs=2", "--set", "trainer.ema_decay=0.99")
    assert out.returncode == 1
    assert "ep0001.pth has no weight average but trainer.ema_decay is 0.99" in out.stderr
    assert [e for e, _ in list_checkpoints(ckpt_dir(tiny_env))] == [1]
    bad = ltr("train", "tiny/tiny", "--set", "trainer.ema_decay=1")
    assert bad.returncode == 2 and "trainer.ema_decay: expected a finite float >= 0 and < 1, got 1" in bad.stderr


def test_turning_the_weight_average_off_when_resuming_a_run_that_keeps_one_is_refused(tiny_env):
    cfg = load_config("tiny/tiny", ["trainer.epochs=1", "trainer.ema_decay=0.9"])
    Trainer(cfg, tiny_env, out=lambda m: None).train()
    before = (ckpt_dir(tiny_env) / "ep0001.pth").read_bytes()
    with pytest.raises(TrainingError, match="ep0001.pth keeps a weight average.*trainer.ema_decay is 0"):
        Trainer(load_config("tiny/tiny", ["trainer.epochs=2"]), tiny_env, out=lambda m: None)
    assert [e for e, _ in list_checkpoints(ckpt_dir(tiny_env))] == [1]
    assert (ckpt_dir(tiny_env) / "ep0001.pth").read_bytes() == before
    # starting over is still possible
    Trainer(load_config("tiny/tiny", ["trainer.epochs=1"]), tiny_env, out=lambda m: None, resume=False).train()


def test_frozen_parameter_groups_stay_at_their_initialisation(tiny_env):
    cfg = load_config("tiny/tiny", ["trainer.epochs=2", "data.train.sampler.samples_per_epoch=48",
                                    "optimizer.param_groups=[{match: search.0, freeze: true}]"])
    trainer = Trainer(cfg, tiny_env, out=lambda m: None, resume=False)
    before = {k: v.clone() for k, v in trainer.net.state_dict().items()}
    in_optimizer = {id(p) for g in trainer.optimizer.param_groups for p in g["params"]}
    assert id(trainer.net.search[0].weight) not in in_optimizer and not trainer.net.search[0].weight.requires_grad
    assert trainer.num_parameters()[1] == trainer.num_parameters()[0] - sum(
        p.numel() for p in trainer.net.search[0].parameters())
    trainer.train()
    after = trainer.net.state_dict()
    assert torch.equal(after["search.0.weight"], before["search.0.weight"])
    assert torch.equal(after["search.0.bias"], before["search.0.bias"])
    assert not torch.equal(after["search.2.weight"], before["search.2.weight"])


class _ShapeSpy:
    """Wraps the trainer's actor and records each training batch's (search, template) crop sizes."""

    def __init__(self, inner):
        self.inner, self.sizes = inner, []

    def __call__(self, batch):
        self.sizes.append((batch["search_images"].shape[-1], batch["template_images"].shape[-1]))
        return self.inner(batch)

    def train(self, mode=True):
        self.inner.train(mode)


@pytest.mark.parametrize("workers", [0, 2])
def test_processing_schedule_sets_the_crop_sizes_by_epoch_and_a_resumed_run_lands_on_the_same_stage(
        tiny_env, workers):
    schedule = "data.train.processing_schedule=[{until_epoch: 2, search_size: 24, template_size: 12}]"
    base = [schedule, f"data.train.loader.workers={workers}", "data.train.sampler.samples_per_epoch=16"]
    messages = []
    trainer = Trainer(load_config("tiny/tiny", base + ["trainer.epochs=1"]), tiny_env, out=messages.append)
    trainer.actor = spy = _ShapeSpy(trainer.actor)
    trainer.train()
    assert spy.sizes == [(24, 12)] * 2
    # a new process resuming at epoch 2 is still in the first stage, then switches to the section's sizes
    trainer = Trainer(load_config("tiny/tiny", base + ["trainer.epochs=4"]), tiny_env, out=messages.append)
    trainer.actor = spy = _ShapeSpy(trainer.actor)
    trainer.train()
    assert spy.sizes == [(24, 12)] * 2 + [(32, 16)] * 4
    stages = [m for m in messages if "processing core/crop_pair" in m]
    assert stages == ["train epochs 1..2: processing core/crop_pair with search_size 24, template_size 12",
                      "train epochs 2..2: processing core/crop_pair with search_size 24, template_size 12",
                      "train epochs 3..4: processing core/crop_pair with search_size 32, template_size 16"]


def test_processing_schedule_entries_are_checked_against_the_processing(tiny_env):
    from ltr_core.config import ConfigError

    key = "data.train.processing_schedule"
    cases = {
        "[{until_epoch: 2, search_sise: 24}]": f"{key}.0.*search_sise",
        "[{search_size: 24}]": f"{key}.0.until_epoch is missing",
        "[{until_epoch: 3, search_size: 24}, {until_epoch: 2, search_size: 28}]": f"{key}.1.until_epoch is 2",
        "[{until_epoch: 2, name: hcat, search_size: 24}]": f"{key}.0.name",
        "[{until_epoch: 2}]": f"{key}.0 changes no processing setting",
        "[{until_epoch: 2, search_size: big}]": f"{key}.0.search_size",
    }
    for value, message in cases.items():
        with pytest.raises(ConfigError, match=message):
            load_config("tiny/tiny", [f"{key}={value}"])
    cfg = load_config("tiny/tiny", [f"{key}=[{{until_epoch: 2, search_size: 24}}]"])
    assert cfg["data"]["train"]["processing_schedule"] == [{"until_epoch": 2, "search_size": 24}]
    assert cfg["data"]["train"]["processing"]["search_size"] == 32


class _EpochSpy(torch.nn.Module):
    """The actor's objective, recording the epoch the actor was told at each call."""

    def __init__(self, actor, seen):
        super().__init__()
        self.objective, self.actor, self.seen = actor.objective, [actor], seen

    def forward(self, *args):
        self.seen.append((self.actor[0].epoch, self.actor[0].epochs))
        return self.objective(*args)


def test_the_actor_is_told_the_epoch_before_each_one_also_after_resuming(tiny_env):
    """Actor.set_epoch(epoch, epochs): 1-based, before the epoch's first step, and a resumed run goes on from
    where it stopped (a schedule that follows the epoch, such as OSTrack's keep ratio, lands on the same value)."""
    seen = []
    base = ["data.train.sampler.samples_per_epoch=16"]
    for epochs in (2, 3):
        trainer = Trainer(load_config("tiny/tiny", base + [f"trainer.epochs={epochs}"]), tiny_env, out=lambda m: None)
        trainer.actor.objective = _EpochSpy(trainer.actor, seen)
        trainer.train()
    assert sorted(set(seen)) == [(1, 2), (2, 2), (3, 3)], seen


def test_an_operator_without_a_deterministic_kernel_is_named_under_trainer_deterministic(tiny_env, monkeypatch):
    # put_ has no deterministic kernel on any device: the same refusal a GPU gives NLLLoss or bilinear backward
    cfg = load_config("tiny/tiny", ["trainer.epochs=1", "trainer.deterministic=true",
                                    "data.train.sampler.samples_per_epoch=8"])
    trainer = Trainer(cfg, tiny_env, out=lambda m: None)
    original = type(trainer.actor).__call__

    def with_put(self, batch):
        torch.zeros(3).put_(torch.tensor([0]), torch.tensor([1.0]))
        return original(self, batch)

    monkeypatch.setattr(type(trainer.actor), "__call__", with_put)
    try:
        with pytest.raises(TrainingError, match=r"^trainer\.deterministic: put_ has no deterministic kernel on cpu, "
                                                r"and the training step calls it; set trainer\.deterministic=false"):
            trainer.train()
    finally:
        torch.use_deterministic_algorithms(False)


def test_the_kit_names_operators_a_gpu_refuses_under_trainer_deterministic():
    import torch.nn.functional as F

    from ltr_core.devicecheck import RecordNondeterministic, SimulatedDevice

    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    with SimulatedDevice(), RecordNondeterministic() as rec:
        y = F.interpolate(x.to("cuda"), scale_factor=2, mode="bilinear")
        F.cross_entropy(y.flatten(2), torch.zeros(2, 64, dtype=torch.long).to("cuda")).backward()
    assert rec.describe() == ("aten.nll_loss2d_forward (F.nll_loss / F.cross_entropy with a class dimension in "
                              "position 1 (NLLLoss)), aten.upsample_bilinear2d_backward (F.interpolate(mode='bilinear'))")
    with RecordNondeterministic() as rec:
        F.mse_loss(F.avg_pool2d(x, 2), torch.zeros(2, 3, 2, 2)).backward()
    assert rec.found == {}
