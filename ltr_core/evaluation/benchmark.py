"""Evaluation benchmarks as registered components (``ltr_benchmarks``): what ``ltr eval --dataset NAME`` opens.

A benchmark names the reader and the root variable of an evaluation dataset, the splits it is evaluated on and
the splits whose ground truth is not public (results go to an evaluation server). ``--dataset NAME:PATH`` opens
it at PATH instead of the root variable's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ltr_core import env
from ltr_core.data.dataset import DataError, VideoDataset, eval_rules_problem


@dataclass(frozen=True)
class Benchmark:
    """``open(root, split) -> VideoDataset``: the reader, whose ``eval_annotations`` gives the ground truth and
    whose ``eval_rules`` the scoring rules (:mod:`ltr_core.evaluation.metrics`). ``splits``: the accepted
    splits, or ``None`` for any name the reader understands. ``server_splits``: splits scored by a server.
    ``example_tree(root, source)``: writes a small tree in the benchmark's layout into ``root`` from ``source``, a
    generated tree in LaSOT's layout, and returns None or keyword arguments (``split``) to open it with; ``ltr
    check-plugin`` reads what it writes (without one, it reads ``source`` itself)."""

    description: str
    open: Callable[[Path, str], VideoDataset]
    root_env: str
    splits: tuple[str, ...] | None = ("test",)
    server_splits: tuple[str, ...] = ()
    example_tree: Callable[[Path, Path], dict | None] | None = None

    def __call__(self, split: str, workspace: Path, root: str | Path | None = None) -> VideoDataset:
        if self.splits is not None and split not in self.splits:
            raise DataError(f"split {split!r} is not one of this benchmark's: {', '.join(self.splits)}")
        folder = env.expand(root) if root else env.dataset_root(self.root_env, workspace)
        if not folder.is_dir():
            raise DataError(f"{folder} does not exist or is not a folder")
        return self.open(folder, split)

    def rules_problem(self) -> str | None:
        """What is wrong with the scoring rules of a reader class given as ``open``, or None (a function's
        reader is checked when it is opened)."""
        if isinstance(self.open, type):
            return eval_rules_problem(getattr(self.open, "eval_rules", None), self.open.__qualname__)
        return None

    def server_scored(self, split: str) -> bool:
        return split in self.server_splits


def parse_dataset_option(value: str) -> tuple[str, str | None]:
    """``NAME`` or ``NAME:PATH`` (a root given inline) -> ``(name, path or None)``."""
    name, sep, path = value.partition(":")
    if sep and not path:
        raise DataError(f"--dataset {value!r}: give a folder after the colon, e.g. {name}:/data/{name}")
    return name, (path or None)
