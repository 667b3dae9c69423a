"""Evaluation datasets by name: which reader, root variable and split each ``--dataset`` means."""

from __future__ import annotations

from pathlib import Path

from ltr_core import env
from ltr_core.data.dataset import DataError
from ltr_core.data.datasets.got10k import GOT10k
from ltr_core.data.datasets.lasot import LaSOT

EVAL_DATASETS = ("lasot", "got10k", "trackingnet", "demo", "otb", "uav123", "nfs", "tnl2k", "lasot_extension")
BENCHMARKS = {   # --dataset name: (reader in ltr_core.data.datasets.benchmarks, root variable)
    "otb": ("OTB100", "LTR_OTB_DIR"), "uav123": ("UAV123", "LTR_UAV123_DIR"), "nfs": ("NfS30", "LTR_NFS_DIR"),
    "tnl2k": ("TNL2K", "LTR_TNL2K_DIR"), "lasot_extension": ("LaSOTExtension", "LTR_LASOT_EXTENSION_DIR")}
SERVER_SCORED = {("trackingnet", "test"), ("got10k", "test")}   # no public ground truth: submitted, not scored


def server_scored(name: str, split: str) -> bool:
    return (name, "test" if name == "trackingnet" else split) in SERVER_SCORED


def open_eval_dataset(name: str, split: str, workspace: Path):
    """``lasot``: protocol II test split (or train). ``got10k``: the official val folder (``val``) or the test
    set (``test``, results for the evaluation server). ``trackingnet``: the test set (results for the evaluation
    server). ``demo``: the generated tree's ``<split>_split.txt``. ``otb``, ``uav123``, ``nfs``, ``tnl2k``,
    ``lasot_extension``: the whole benchmark (``ltr_core.data.datasets.benchmarks`` describes the layouts)."""
    if name in BENCHMARKS:
        from ltr_core.data.datasets import benchmarks

        cls_name, variable = BENCHMARKS[name]
        if split not in ("test", "all"):
            raise DataError(f"{name} is evaluated whole: use --split test (or all), not {split!r}")
        return getattr(benchmarks, cls_name)(env.dataset_root(variable, workspace))
    if name == "demo":
        return LaSOT(env.dataset_root("LTR_DEMO_DIR", workspace), split_file=f"{split}_split.txt", name="demo")
    if name == "lasot":
        return LaSOT(env.dataset_root("LTR_LASOT_DIR", workspace), split=split)
    if name == "got10k":
        if split == "test":
            from ltr_core.data.datasets.got10k import GOT10kTest

            return GOT10kTest(env.dataset_root("LTR_GOT10K_DIR", workspace))
        if split != "val":
            raise DataError(f"GOT-10k split {split!r}: evaluation runs on val (scored here) or test (packed for "
                            "the server with `ltr pack got10k`)")
        return GOT10k(env.dataset_root("LTR_GOT10K_DIR", workspace), subset="val", split="all")
    if name == "trackingnet":
        from ltr_core.data.datasets.trackingnet import TrackingNetTest

        return TrackingNetTest(env.dataset_root("LTR_TRACKINGNET_DIR", workspace))
    raise DataError(f"unknown evaluation dataset {name!r}; use one of {', '.join(EVAL_DATASETS)}")
