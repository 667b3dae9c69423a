"""One trainer for every plugin: the loop over epochs and steps, exact resume, DDP, mixed precision.

Plugins customise training through their actor, objective, config and trainer hooks. What the loop does besides
stepping -- the weight average, validation, checkpoints, the epoch log -- are the standard hooks of
:mod:`ltr_core.train.hooks`, run before the config's own (``trainer.hooks``). Rank 0 alone writes checkpoints
and logs; every rank resumes from the same checkpoint.

Exact resume: each epoch reseeds torch from ``(seed, epoch, rank)`` and the sampler derives every sample
from ``(seed, epoch, index)``, so an epoch replayed after a crash is the same epoch; checkpoints, taken at
epoch ends, carry model, optimizer, scheduler, grad-scaler and RNG states.
"""

from __future__ import annotations

import copy
import logging
import os
import time
from pathlib import Path

import torch

from ltr_core import device as device_rule
from ltr_core.components import build_net
from ltr_core.data.build import build_processing, build_train_loader, processing_stage
from ltr_core.errors import UserError
from ltr_core.paths import set_aside
from ltr_core.progress import Progress
from ltr_core.registry import get_registry
from ltr_core.provenance import load_weights, versions_for
from ltr_core.train import distributed as D
from ltr_core.train.checkpoint import CheckpointError, checkpoint_dir, list_checkpoints, load_checkpoint, load_latest
from ltr_core.train.hooks import AverageWeights, Checkpointer, EpochLog, Validation
from ltr_core.train.importing import load_net_weights
from ltr_core.train.optim import build_optimizer, build_scheduler
from ltr_core.train.resume import average_problem, check_resumable
from ltr_core.train.step import StatAccumulator, StepError, build_train_step, grad_scaler

log = logging.getLogger("ltr.train")


class TrainingError(UserError, RuntimeError):
    """Training stopped for a reason the user must act on (non-finite loss, bad data...)."""

    exit_code = 1


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    return (seed * 1_000_003 + epoch * 7919 + rank) % (2**63 - 1)


class Trainer:
    def __init__(self, cfg: dict, workspace: Path, ctx: D.DistContext | None = None, registry=None,
                 init_from: str | None = None, resume: bool = True, out=None, init_partial: bool = False):
        self.cfg = cfg
        self.tcfg = cfg["trainer"]
        self.workspace = Path(workspace)
        self.ctx = ctx or D.DistContext(device=D.pick_device(self.tcfg["device"]))
        self.registry = registry
        self.out = out or (lambda msg: print(msg, flush=True))
        self.name = cfg["_name"]
        self.ckpt_dir = checkpoint_dir(self.workspace, self.name)
        self.log_dir = self.workspace / "logs" / self.name
        self.tb_dir = self.workspace / "tensorboard" / self.name
        self.device = self.ctx.device
        if self.tcfg["deterministic"]:
            if self.device.type == "cuda":       # cuBLAS's reproducible mode, read when cuBLAS first starts
                os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True)

        torch.manual_seed(cfg["seed"])
        self.net = build_net(cfg, registry).to(self.device)
        self.optimizer = build_optimizer(self.net, cfg["optimizer"], registry)
        self.scheduler = build_scheduler(self.optimizer, cfg["scheduler"], self.tcfg["epochs"], registry)
        self._scaler = grad_scaler(self.tcfg["amp"], self.device)
        self.epoch = 0
        self.history: list[dict] = []
        self.last_checkpoint: Path | None = None
        if init_from:
            self._init_weights(init_from, init_partial)
        averaging = AverageWeights(self.net, self.tcfg["ema_decay"]) if self.tcfg["ema_decay"] else None
        self.average = averaging.average if averaging else None
        if resume:
            self._resume()
        elif self.ctx.is_main:
            self._set_aside_previous_run()

        wrap = None
        if self.ctx.distributed:
            def wrap(net):
                return torch.nn.parallel.DistributedDataParallel(
                    net, device_ids=[self.device.index] if self.device.type == "cuda" else None,
                    find_unused_parameters=self.tcfg["find_unused_parameters"])
        try:
            self.step = build_train_step(cfg, self.net, self.optimizer, self.device, registry, wrap,
                                         self._scaler)
        except StepError as e:
            raise TrainingError(str(e)) from None
        loading = copy.deepcopy(cfg)      # the run's config keeps what was asked for; the loaders get the choice
        for section in (loading.get("data") or {}).values():
            if section["loader"]["pin_memory"] is None:     # pinned batches copy asynchronously to a GPU
                section["loader"]["pin_memory"] = self.device.type == "cuda"
        self.loader = build_train_loader(loading, self.workspace, "train", self.ctx.rank, self.ctx.world_size,
                                         registry)
        validation = None
        if "val" in (cfg.get("data") or {}) and self.tcfg["val_every"] > 0:
            validation = Validation(build_train_loader(loading, self.workspace, "val", self.ctx.rank,
                                                       self.ctx.world_size, registry),
                                    self.tcfg["val_every"], self.tcfg["val_at_start"])
        self._processing_stage: dict[str, int] = {}
        reg = registry or get_registry()
        #: (name, hook, the config's own?) in calling order: the standard hooks, then ``trainer.hooks``
        self.hooks = [(name, hook, False) for name, hook in (
            ("weight average", averaging), ("validation", validation),
            ("checkpoints", Checkpointer(self.tcfg["keep_last"])), ("epoch log", EpochLog(self.tcfg["tensorboard"])))
            if hook is not None]
        self.hooks += [(h["name"], reg.build("trainer_hook", h["name"], **{k: v for k, v in h.items() if k != "name"}),
                        True) for h in cfg["trainer"].get("hooks", [])]

    @property
    def actor(self):
        return self.step.actor

    @actor.setter
    def actor(self, actor) -> None:
        self.step.actor = actor

    @property
    def scaler(self) -> torch.amp.GradScaler:
        return self._scaler

    # -- state ----------------------------------------------------------------------------------------
    def _init_weights(self, path: str, partial: bool) -> None:
        """Weights from ``path`` for every parameter with the same name and shape; refused when that is under
        half of the network's, unless ``partial`` (``--init-partial``)."""
        state = load_net_weights(path)
        own = self.net.state_dict()
        fits = {k: v for k, v in state.items() if k in own and tuple(v.shape) == tuple(own[k].shape)}
        if 2 * len(fits) < len(own) and not partial:
            others = [k for k in own if k not in fits][:3]
            raise CheckpointError(f"--init-from {path}: only {len(fits)} of the network's {len(own)} parameters "
                                  f"are in the file with the same name and shape (not e.g. {', '.join(others)}): is "
                                  "it another network's? Add --init-partial to load the ones that fit anyway")
        self.net.load_state_dict(fits, strict=False)
        if len(fits) < len(own) or len(fits) < len(state):
            self.out(f"--init-from {path}: {len(fits)} of {len(own)} parameters loaded; {len(own) - len(fits)} keep "
                     f"their initialisation, {len(state) - len(fits)} of the file's are not used")
        self.out(f"initialised weights from {path}")

    def _set_aside_previous_run(self) -> None:
        """``--no-resume`` on a folder with checkpoints: move that run's checkpoints, logs and tensorboard files
        aside (``<folder>.replaced-<time>``) instead of mixing them with the new run's."""
        if not list_checkpoints(self.ckpt_dir):
            return

        for what, folder in (("checkpoints", self.ckpt_dir), ("logs", self.log_dir), ("tensorboard", self.tb_dir)):
            if folder.is_dir():
                self.out(f"--no-resume: moved the previous run's {what} to {set_aside(folder)}")

    def _check_resumable(self, state: dict, path) -> None:
        extend = check_resumable(state, path, self.cfg, self.registry)
        if extend and self.ctx.is_main:
            self.out("resuming with settings that extend the run: " + "; ".join(extend))

    def _resume(self) -> None:
        """Rank 0 picks the newest loadable checkpoint and every rank loads that same file."""
        found = load_latest(self.ckpt_dir, report=self.out) if self.ctx.is_main else None
        chosen = D.broadcast_object(str(found[1]) if found else None, self.ctx)
        if chosen is None:
            return
        state, path = found if found else (load_checkpoint(chosen), chosen)
        self._check_resumable(state, path)
        load_weights(self.net, state["net"], str(path), state.get("versions"), f"network of {self.name}")
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        problem = average_problem(state, path, self.tcfg["ema_decay"])
        if problem:
            raise TrainingError(problem)
        if self.average is not None:
            self.average.load_state_dict(state["ema"])
        torch.set_rng_state(state["rng"]["torch"])
        self.epoch = int(state["epoch"])
        self.history = list(state.get("history", []))
        self.out(f"resumed from {path} (epoch {self.epoch})")

    def state_dict(self) -> dict:
        return {
            "epoch": self.epoch,
            "net": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else {},
            "ema": self.average.state_dict() if self.average is not None else {},
            "rng": {"torch": torch.get_rng_state()},
            "config": self.cfg,
            "history": self.history,
            "torch_version": str(torch.__version__),
            "versions": versions_for(self.cfg, self.registry),
        }

    # -- loop -----------------------------------------------------------------------------------------
    def num_parameters(self) -> tuple[int, int]:
        total = sum(p.numel() for p in self.net.parameters())
        trainable = sum(p.numel() for p in self.net.parameters() if p.requires_grad)
        return total, trainable

    def print_header(self) -> None:
        total, trainable = self.num_parameters()
        self.out(f"config: {self.name}")
        self.out(f"workspace: {self.workspace}")
        self.out(f"checkpoints: {self.ckpt_dir}")
        self.out(f"logs: {self.log_dir}  tensorboard: {self.tb_dir}")
        group = f" ({torch.distributed.get_backend()})" if self.ctx.group else ""
        self.out(f"device: {device_rule.describe(self.device)}  world size: {self.ctx.world_size}{group}  "
                 f"amp: {self.tcfg['amp']}")
        self.out(f"parameters: {total:,} ({trainable:,} trainable)")
        self.out(f"epochs: {self.epoch + 1}..{self.tcfg['epochs']}  batches/epoch: {len(self.loader)}  "
                 f"batch: {self.loader.batch_sampler.batch_size} x {self.ctx.world_size}")

    def train(self) -> list[dict]:
        if self.epoch >= self.tcfg["epochs"]:
            if self.ctx.is_main:
                self.out(f"run {self.name} is finished: epoch {self.epoch} of {self.tcfg['epochs']} in "
                         f"{self.ckpt_dir}; nothing to train. Raise trainer.epochs to continue it, or train it again "
                         "with --no-resume")
            return self.history
        if self.ctx.is_main:
            self.print_header()
        try:
            self._call_hooks("before_train", self)
            while self.epoch < self.tcfg["epochs"]:
                epoch = self.epoch + 1
                stats = self.run_epoch(self.loader, epoch, training=True)
                self._call_hooks("after_train_epoch", self, epoch, stats)
                self.scheduler.step()
                self.epoch = epoch
                stats["lr"] = self.optimizer.param_groups[0]["lr"]
                self.history.append({"epoch": epoch, **stats})
                self._call_hooks("after_epoch", self, epoch, stats, own_copy=True)
            self._call_hooks("after_train", self, self.history, own_copy=True)
        finally:
            for _, hook, _ in self.hooks:
                if hook.ranks == "all" or self.ctx.is_main:
                    hook.close(self)
        if self.ctx.is_main:
            self.out(f"done. checkpoints: {self.ckpt_dir}  log: {self.log_dir / 'train.log'}  "
                     f"tensorboard: {self.tb_dir}")
        return self.history

    def _call_hooks(self, point: str, *args, own_copy: bool = False) -> None:
        """Run the hooks at ``point`` in order, each on the processes it asks for; with ``own_copy``, each gets its own
        copy of the last argument. What a config's hook raises stops training with one line naming it."""
        for name, hook, configured in self.hooks:
            if hook.ranks != "all" and not self.ctx.is_main:
                continue
            given = (*args[:-1], type(args[-1])(args[-1])) if own_copy else args
            if not configured:
                getattr(hook, point)(*given)
                continue
            try:
                getattr(hook, point)(*given)
            except UserError:
                raise
            except Exception as e:
                raise TrainingError(f"{(self.registry or get_registry()).label('trainer_hook', name)} raised "
                                    f"{type(e).__name__} in {point}: {e}") from e

    def run_epoch(self, loader, epoch: int, training: bool) -> dict:
        torch.manual_seed(epoch_seed(self.cfg["seed"], epoch, self.ctx.rank))
        loader.batch_sampler.set_epoch(epoch)
        self._use_processing(loader, "train" if training else "val", epoch)
        if hasattr(self.actor, "set_epoch"):
            self.actor.set_epoch(epoch, self.tcfg["epochs"])
        self.actor.train(training)
        batch_size = loader.batch_sampler.batch_size * self.ctx.world_size
        bar = Progress(len(loader), f"{'train' if training else 'val'} ep{epoch}",
                       every=self.tcfg["log_every"], enabled=self.ctx.is_main)
        stats = StatAccumulator(self.device)
        n = shown = 0
        data_time = compute_time = 0.0
        t0 = time.perf_counter()
        for batch in loader:
            t1 = time.perf_counter()
            try:
                loss, step_stats = self.step(self.step.to_device(batch), training)
            except Exception as e:        # the actor's error (wrapped with its name) or the backward pass's
                refusal = next((str(x) for x in (e, e.__cause__) if isinstance(x, RuntimeError)
                                and " does not have a deterministic implementation" in str(x)), None)
                if refusal is None or not self.tcfg["deterministic"]:
                    raise
                op = refusal.split(" does not have", 1)[0].strip()
                raise TrainingError(f"trainer.deterministic: {op} has no deterministic kernel on {self.device}, and "
                                    "the training step calls it; set trainer.deterministic=false, or compute it "
                                    "another way (`ltr check-plugin` names such operators on a CPU)") from None
            if training:
                self._call_hooks("after_step", self, epoch, n + 1)
            stats.add(loss, step_stats)
            t2 = time.perf_counter()
            data_time += t1 - t0
            compute_time += t2 - t1
            n += 1
            # the only synchronisation with the device: at logging points and at the end of the epoch
            if n % self.tcfg["log_every"] == 0 or n == len(loader):
                means, first_bad = stats.read()
                self._stop_if_not_finite(first_bad, epoch, means)
                elapsed = data_time + compute_time
                bar.update(n - shown, **{"samples/s": batch_size * n / elapsed,
                                         "data": f"{1000 * data_time / n:.0f}ms",
                                         "compute": f"{1000 * compute_time / n:.0f}ms",
                                         **{k: means[k] for k in list(means)[:6]}})
                shown = n
            t0 = time.perf_counter()
        means, _ = stats.read()
        means = D.mean_over_ranks(means, self.ctx)
        total = data_time + compute_time
        means.update({"samples_per_s": batch_size * n / total if total else 0.0,
                      "data_ms": 1000 * data_time / max(n, 1), "compute_ms": 1000 * compute_time / max(n, 1)})
        sampler = loader.dataset
        if getattr(sampler, "failures", 0):
            means["data_failures"] = float(sampler.failures)
        return means

    def _use_processing(self, loader, split: str, epoch: int) -> None:
        """Hand the loader's sampler the processing that ``data.<split>.processing_schedule`` puts in force at
        ``epoch``. Loader workers start afresh each epoch, so they take the new processing with them; a resumed
        run lands on the same stage, since the stage depends on the epoch only."""
        section = self.cfg["data"][split]
        if not section.get("processing_schedule"):
            return
        stage, settings = processing_stage(section, epoch)
        if self._processing_stage.get(split) == stage:
            return
        sampler = loader.dataset
        if not hasattr(sampler, "processing"):
            raise TrainingError(f"data.{split}.processing_schedule: the sampler {type(sampler).__name__} has no "
                                "`processing` attribute to replace; remove the schedule or give the sampler one")
        sampler.processing = build_processing(settings, self.registry)
        self._processing_stage[split] = stage
        if self.ctx.is_main:
            schedule = section["processing_schedule"]
            scheduled = sorted({k for entry in schedule for k in entry} - {"until_epoch"})
            last = schedule[stage]["until_epoch"] if stage < len(schedule) else self.tcfg["epochs"]
            self.out(f"{split} epochs {epoch}..{last}: processing {settings['name']} with "
                     + ", ".join(f"{k} {settings[k]}" for k in scheduled))

    def _stop_if_not_finite(self, first_bad: int, epoch: int, means: dict) -> None:
        """Stop every rank when any saw a non-finite loss since the epoch began. Checked at each logging point
        and before the epoch's checkpoint, so a bad step is never saved."""
        if D.all_true(first_bad < 0, self.ctx):
            return
        where = f"step {first_bad + 1}" if first_bad >= 0 else "a step on another rank"
        raise TrainingError(
            f"non-finite loss ({means.get('loss')}) at epoch {epoch}, {where}; means so far: "
            f"{ {k: round(v, 6) for k, v in means.items()} }. Nothing was saved for this epoch; the last good "
            f"checkpoint in {self.ckpt_dir} is intact. Try a lower learning rate, trainer.clip_grad_norm, "
            "or trainer.amp: off.")
