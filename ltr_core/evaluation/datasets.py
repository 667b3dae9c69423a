"""The core's evaluation benchmarks (registered as ``core/<name>``) and opening one by its ``--dataset`` value.

``lasot``: protocol II test split (or train). ``got10k``: the official val folder (``val``) or the test set
(``test``, results for the evaluation server). ``trackingnet``: the test set (results for the evaluation
server). ``demo``: the generated tree's ``<split>_split.txt``. ``otb``, ``uav123``, ``nfs``, ``tnl2k``,
``lasot_extension``: the whole benchmark (``ltr_core.data.datasets.benchmarks`` describes the layouts).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ltr_core import env
from ltr_core.data.dataset import DataError, VideoDataset
from ltr_core.data.datasets import benchmarks
from ltr_core.data.datasets.got10k import GOT10k, GOT10kTest
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.data.datasets.sequences import Sequences
from ltr_core.data.datasets.trackingnet import TrackingNetTest
from ltr_core.evaluation.benchmark import Benchmark, parse_dataset_option
from ltr_core.registry import Registry, get_registry


def _lasot(root: Path, split: str):
    return LaSOT(root, split=split)


def _demo(root: Path, split: str):
    return LaSOT(root, split_file=f"{split}_split.txt", name="demo")


def _got10k(root: Path, split: str):
    return GOT10kTest(root) if split == "test" else GOT10k(root, subset="val", split="all")


def _sequences(root: Path, split: str):
    return Sequences(root, split=split)


def _trackingnet(root: Path, split: str):
    return TrackingNetTest(root)


def _whole(cls):
    def open_benchmark(root: Path, split: str):
        return cls(root)
    return open_benchmark


WHOLE = ("test", "all")
# each root variable is spelled once, on its reader class (``root_env``); the demo's is the environment's default
BENCHMARKS = {
    "lasot": Benchmark("LaSOT, protocol II test split (280 sequences), train, or all", _lasot, LaSOT.root_env,
                       ("test", "train", "all")),
    "got10k": Benchmark("GOT-10k: val (scored here) or test (packed for its server)", _got10k, GOT10k.root_env,
                        ("val", "test"), server_splits=("test",)),
    "trackingnet": Benchmark("TrackingNet test set (511 sequences, packed for its server)", _trackingnet,
                             TrackingNetTest.root_env, ("test",), server_splits=("test",)),
    "demo": Benchmark("The generated demo dataset: <split>_split.txt of its tree", _demo, env.DEMO_VARIABLE, None),
    "sequences": Benchmark("Your own folder of frame folders or videos with boxes (all, or <split>_split.txt)",
                           _sequences, Sequences.root_env, None),
    "otb": Benchmark("OTB-2015 (100 sequences)", _whole(benchmarks.OTB100), benchmarks.OTB100.root_env, WHOLE),
    "uav123": Benchmark("UAV123 (123 sequences)", _whole(benchmarks.UAV123), benchmarks.UAV123.root_env, WHOLE),
    "nfs": Benchmark("Need for Speed, 30 fps (100 sequences)", _whole(benchmarks.NfS30), benchmarks.NfS30.root_env,
                     WHOLE),
    "tnl2k": Benchmark("TNL2K test set (700 sequences)", _whole(benchmarks.TNL2K), benchmarks.TNL2K.root_env, WHOLE),
    "lasot_extension": Benchmark("LaSOT extension (150 sequences, 15 classes)", _whole(benchmarks.LaSOTExtension),
                                 benchmarks.LaSOTExtension.root_env, WHOLE),
}


@dataclass(frozen=True)
class EvalDataset:
    """``--dataset NAME[:ROOT] --split SPLIT``, parsed once: the registered benchmark, its qualified name, the
    root given inline (None: the benchmark's root variable) and the split. Everything an evaluation needs to know
    about its data comes from here."""

    option: str             # as given, for messages
    benchmark: Benchmark
    qualname: str
    root: Path | None
    split: str

    @property
    def short(self) -> str:
        """The short name, which names results folders and report lines (also when the root was inline)."""
        return self.qualname.rsplit("/", 1)[-1]

    @property
    def server_scored(self) -> bool:
        return self.benchmark.server_scored(self.split)

    def open(self, workspace: Path, registry: Registry | None = None) -> VideoDataset:
        try:
            return (registry or get_registry()).build("benchmark", self.qualname, self.split, workspace, self.root)
        except DataError as e:
            raise DataError(f"--dataset {self.option} --split {self.split}: {e}") from None


def eval_dataset(value: str, split: str, registry: Registry | None = None) -> EvalDataset:
    """Parse ``--dataset`` (``NAME`` or ``NAME:PATH``; the path expanded as every root is, ``~`` and ``$VARS``)
    and ``--split`` into an :class:`EvalDataset`."""
    name, root = parse_dataset_option(value)
    comp = (registry or get_registry()).get("benchmark", name)
    return EvalDataset(value, comp.factory, comp.qualname, env.expand(root) if root else None, split)


def open_eval_dataset(value: str, split: str, workspace: Path, registry: Registry | None = None) -> VideoDataset:
    """Open the split of the benchmark ``value`` (``NAME`` or ``NAME:PATH``) names."""
    return eval_dataset(value, split, registry).open(workspace, registry)
