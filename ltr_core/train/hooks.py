"""Trainer hooks: everything the training loop does besides stepping the network, as code called at fixed points.

The loop (:mod:`ltr_core.train.trainer`) runs the epochs; the weight average, validation, checkpoints, the
epoch log and a plugin's or config's own additions are hooks, called in this order at these points:

* :meth:`~TrainerHook.before_train` -- once the trainer is set up (resumed runs included), before the first
  epoch this process trains;
* :meth:`~TrainerHook.after_step` -- after each training step (not validation steps);
* :meth:`~TrainerHook.after_train_epoch` -- after an epoch's training steps, before the scheduler's step; a hook
  may add entries to ``stats`` here (validation adds ``val/...``);
* :meth:`~TrainerHook.after_epoch` -- once the epoch is counted (``trainer.epoch``), its numbers (``stats``,
  with ``lr``) are in ``trainer.history``; the checkpoint hook writes ``trainer.last_checkpoint`` first;
* :meth:`~TrainerHook.after_train` -- once, after the last epoch;
* :meth:`~TrainerHook.close` -- always, last, also when training stopped with an error: release files.

A hook runs on the main process only unless its class sets ``ranks = "all"`` (a hook that talks to the other
processes, such as validation averaging over them). It reads the trainer (``name``, ``epoch``, ``log_dir``,
``ckpt_dir``, ``net``, ``optimizer``, ``history``, ``last_checkpoint``, ``out``) and writes its own files.
Plugins register hooks with ``ltr_trainer_hooks()`` (kind ``trainer_hook``, ``ltr list trainer_hook``) and a
config lists them under ``trainer.hooks``; they run after the standard ones, and what one of them raises stops
training with one line naming it. Public API (``ltr_core.api.TrainerHook``, plugin API 1.1; ``after_step``,
``after_train_epoch``, ``close`` and ``ranks`` since 1.2).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from ltr_core.paths import check_name
from ltr_core.train.checkpoint import save_checkpoint
from ltr_core.train.ema import WeightAverage


class TrainerHook:
    """Base of trainer hooks; override what you need."""

    #: ``"main"``: called on the main process only; ``"all"``: on every process of a distributed run.
    ranks = "main"

    def before_train(self, trainer) -> None:
        """Once, before the first epoch this process trains."""

    def after_step(self, trainer, epoch: int, step: int) -> None:
        """After training step ``step`` (1-based) of epoch ``epoch`` (1-based)."""

    def after_train_epoch(self, trainer, epoch: int, stats: dict[str, float]) -> None:
        """After the training steps of ``epoch``; ``stats`` are their means and may be added to."""

    def after_epoch(self, trainer, epoch: int, stats: dict[str, float]) -> None:
        """After epoch ``epoch`` is counted; ``stats`` are its means (``loss``, ``val/...``, ``lr``)."""

    def after_train(self, trainer, history: list[dict]) -> None:
        """Once, after the last epoch."""

    def close(self, trainer) -> None:
        """Always, last, also after an error: release what the hook holds open."""


# -- the standard hooks, built from the trainer's own settings -------------------------------------------

class AverageWeights(TrainerHook):
    """``trainer.ema_decay``: keeps :class:`~ltr_core.train.ema.WeightAverage` of the network after every step
    (on every process, so each holds the same average)."""

    ranks = "all"

    def __init__(self, net, decay: float):
        self.average = WeightAverage(net, decay)

    def after_step(self, trainer, epoch: int, step: int) -> None:
        self.average.update(trainer.net)


class Validation(TrainerHook):
    """``data.val`` with ``trainer.val_every``: an epoch over the validation loader every ``every`` epochs (and
    before training with ``trainer.val_at_start``), its means added to the epoch's as ``val/<name>``."""

    ranks = "all"        # the means are averaged over processes

    def __init__(self, loader, every: int, at_start: bool):
        self.loader, self.every, self.at_start = loader, every, at_start

    def _run(self, trainer, epoch: int) -> dict[str, float]:
        return {f"val/{k}": v for k, v in trainer.run_epoch(self.loader, epoch, False).items()}

    def before_train(self, trainer) -> None:
        if self.at_start and trainer.epoch == 0:
            stats = self._run(trainer, 0)
            if trainer.ctx.is_main:
                trainer.out("before training: " + "  ".join(f"{k} {v:.4g}" for k, v in stats.items()))

    def after_train_epoch(self, trainer, epoch: int, stats: dict[str, float]) -> None:
        if epoch % self.every == 0:
            stats.update(self._run(trainer, epoch))


class Checkpointer(TrainerHook):
    """Writes ``<checkpoints>/epNNNN.pth`` (:meth:`Trainer.state_dict`) after every epoch, keeping the newest
    ``trainer.keep_last``; sets ``trainer.last_checkpoint``."""

    def __init__(self, keep_last: int):
        self.keep_last = keep_last

    def after_epoch(self, trainer, epoch: int, stats: dict[str, float]) -> None:
        trainer.last_checkpoint = save_checkpoint(trainer.state_dict(), trainer.ckpt_dir, epoch, self.keep_last)


class EpochLog(TrainerHook):
    """One line per epoch on the console and in ``<logs>/train.log`` (with the checkpoint's name), and the
    epoch's numbers as TensorBoard scalars with ``trainer.tensorboard`` (an optional extra)."""

    def __init__(self, tensorboard: bool):
        self.tensorboard = tensorboard
        self._writer = None
        self._missing = False

    def after_epoch(self, trainer, epoch: int, stats: dict[str, float]) -> None:
        line = f"epoch {epoch}/{trainer.tcfg['epochs']}  " + "  ".join(f"{k} {v:.4g}" for k, v in stats.items())
        trainer.out(line)
        trainer.log_dir.mkdir(parents=True, exist_ok=True)
        saved = f"  checkpoint {trainer.last_checkpoint.name}" if trainer.last_checkpoint else ""
        with open(trainer.log_dir / "train.log", "a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}{saved}\n")
        writer = self._tensorboard(trainer) if self.tensorboard else None
        if writer is not None:
            for k, v in stats.items():
                writer.add_scalar(k, v, epoch)
            writer.flush()

    def _tensorboard(self, trainer):
        if self._writer is None and not self._missing:
            try:
                from torch.utils.tensorboard import SummaryWriter   # here: an optional extra
            except ImportError:
                trainer.out("tensorboard is not installed: epoch stats go to the log file only "
                            "(pip install tensorboard, or set trainer.tensorboard: false)")
                self._missing = True
                return None
            self._writer = SummaryWriter(str(trainer.tb_dir))
        return self._writer

    def close(self, trainer) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


# -- an example of a hook a config adds ----------------------------------------------------------------

class JsonLinesMetrics(TrainerHook):
    """Appends each epoch's numbers to <logs>/<config>/<file> as one JSON object per line."""

    def __init__(self, file: str = "metrics.jsonl"):
        check_name(file, "trainer.hooks: jsonl_metrics file", nested=False)
        self.file = file

    def after_epoch(self, trainer, epoch: int, stats: dict[str, float]) -> None:
        path = Path(trainer.log_dir) / self.file
        path.parent.mkdir(parents=True, exist_ok=True)
        row = {"config": trainer.name, "epoch": epoch,
               **{k: (float(v) if math.isfinite(float(v)) else None) for k, v in stats.items()}}
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, sort_keys=False) + "\n")
