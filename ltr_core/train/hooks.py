"""Trainer hooks: code a plugin (or a config) runs at fixed points of training, without touching the loop.

A hook is a :class:`TrainerHook` built from a ``trainer.hooks`` entry (``{name: <plugin>/<hook>, ...keys}``;
``ltr list trainer_hook``) and called on the main process only: :meth:`~TrainerHook.before_train` once the
trainer is set up (resumed runs included), :meth:`~TrainerHook.after_epoch` after each epoch's checkpoint is
written, with the epoch's numbers, and :meth:`~TrainerHook.after_train` at the end. A hook observes: it reads
``trainer`` (``name``, ``epoch``, ``log_dir``, ``ckpt_dir``, ``net``, ``history``) and writes its own files; what it
raises stops training with one line naming it. Public API (``ltr_core.api.TrainerHook``)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from ltr_core.paths import check_name


class TrainerHook:
    """Base of trainer hooks; override what you need."""

    def before_train(self, trainer) -> None:
        """Once, before the first epoch this process trains."""

    def after_epoch(self, trainer, epoch: int, stats: dict[str, float]) -> None:
        """After epoch ``epoch`` (1-based) and its checkpoint; ``stats`` are its means (``loss``, ``val/...``, ``lr``)."""

    def after_train(self, trainer, history: list[dict]) -> None:
        """Once, after the last epoch."""


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
