"""The core's evaluation benchmarks (registered as ``core/<name>``) and opening one by its ``--dataset`` value.

``lasot``: protocol II test split (or train). ``got10k``: the official val folder (``val``) or the test set
(``test``, results for the evaluation server). ``trackingnet``: the test set (results for the evaluation
server). ``demo``: the generated tree's ``<split>_split.txt``. ``otb``, ``uav123``, ``nfs``, ``tnl2k``,
``lasot_extension``: the whole benchmark (``ltr_core.data.datasets.benchmarks`` describes the layouts).
"""

from __future__ import annotations

from pathlib import Path

from ltr_core.data.dataset import DataError
from ltr_core.evaluation.benchmark import Benchmark, parse_dataset_option


def _lasot(root: Path, split: str):
    from ltr_core.data.datasets.lasot import LaSOT

    return LaSOT(root, split=split)


def _demo(root: Path, split: str):
    from ltr_core.data.datasets.lasot import LaSOT

    return LaSOT(root, split_file=f"{split}_split.txt", name="demo")


def _got10k(root: Path, split: str):
    from ltr_core.data.datasets.got10k import GOT10k, GOT10kTest

    return GOT10kTest(root) if split == "test" else GOT10k(root, subset="val", split="all")


def _sequences(root: Path, split: str):
    from ltr_core.data.datasets.sequences import Sequences

    return Sequences(root, split=split)


def _trackingnet(root: Path, split: str):
    from ltr_core.data.datasets.trackingnet import TrackingNetTest

    return TrackingNetTest(root)


def _table(cls_name: str):
    def open_benchmark(root: Path, split: str):
        from ltr_core.data.datasets import benchmarks

        return getattr(benchmarks, cls_name)(root)
    return open_benchmark


WHOLE = ("test", "all")
BENCHMARKS = {
    "lasot": Benchmark("LaSOT, protocol II test split (280 sequences), train, or all", _lasot, "LTR_LASOT_DIR",
                       ("test", "train", "all")),
    "got10k": Benchmark("GOT-10k: val (scored here) or test (packed for its server)", _got10k, "LTR_GOT10K_DIR",
                        ("val", "test"), server_splits=("test",)),
    "trackingnet": Benchmark("TrackingNet test set (511 sequences, packed for its server)", _trackingnet,
                             "LTR_TRACKINGNET_DIR", ("test",), server_splits=("test",)),
    "demo": Benchmark("The generated demo dataset: <split>_split.txt of its tree", _demo, "LTR_DEMO_DIR", None),
    "sequences": Benchmark("Your own folder of frame folders or videos with boxes (all, or <split>_split.txt)",
                           _sequences, "LTR_SEQUENCES_DIR", None),
    "otb": Benchmark("OTB-2015 (100 sequences)", _table("OTB100"), "LTR_OTB_DIR", WHOLE),
    "uav123": Benchmark("UAV123 (123 sequences)", _table("UAV123"), "LTR_UAV123_DIR", WHOLE),
    "nfs": Benchmark("Need for Speed, 30 fps (100 sequences)", _table("NfS30"), "LTR_NFS_DIR", WHOLE),
    "tnl2k": Benchmark("TNL2K test set (700 sequences)", _table("TNL2K"), "LTR_TNL2K_DIR", WHOLE),
    "lasot_extension": Benchmark("LaSOT extension (150 sequences, 15 classes)", _table("LaSOTExtension"),
                                 "LTR_LASOT_EXTENSION_DIR", WHOLE),
}


def benchmark(value: str, registry=None) -> tuple[Benchmark, str, str | None]:
    """The benchmark a ``--dataset`` value names: ``(benchmark, its qualified name, inline root or None)``."""
    from ltr_core.registry import get_registry

    name, root = parse_dataset_option(value)
    comp = (registry or get_registry()).get("benchmark", name)
    return comp.factory, comp.qualname, root


def open_eval_dataset(value: str, split: str, workspace: Path, registry=None):
    """Open the split of the benchmark ``value`` (``NAME`` or ``NAME:PATH``) names."""
    from ltr_core.registry import get_registry

    reg = registry or get_registry()
    bench, qualname, root = benchmark(value, reg)
    try:
        return reg.build("benchmark", qualname, split, workspace, root)
    except DataError as e:
        raise DataError(f"--dataset {value} --split {split}: {e}") from None


def server_scored(value: str, split: str, registry=None) -> bool:
    return benchmark(value, registry)[0].server_scored(split)
