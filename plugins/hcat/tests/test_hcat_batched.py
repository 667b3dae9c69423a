"""HCAT in batched tracking (`ltr eval --batch N`): the boxes of N sequences stepped together equal the unbatched
tracker's, and the exported parts take any batch."""

import numpy as np
import pytest
import torch

from ltr_core.config import load_config
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.data.demo import DemoSpec, make_demo
from ltr_core.evaluation.metrics import read_result_file
from ltr_core.track.factory import TrackerFactory
from ltr_core.track.runner import EvalSequence, run_sequences, sequences_from_dataset


@pytest.fixture(scope="module")
def sequences(tmp_path_factory):
    root = tmp_path_factory.mktemp("hcat_batched")
    make_demo(root, DemoSpec(classes=2, per_class=2, frames=24, width=192, height=144, seed=4, test_per_class=1,
                             photos="off"), progress=False)
    seqs = sequences_from_dataset(LaSOT(root, split="all"))
    seqs[1].frames, seqs[1].gt = seqs[1].frames[:11], seqs[1].gt[:11]      # ends early: its slot takes the next
    return seqs


def compare(config, seqs, folder, batch):
    factory = TrackerFactory(load_config(config), None, device="cpu")
    run_sequences(factory, seqs, folder / "one", progress=False)
    summary = run_sequences(factory, seqs, folder / "batched", progress=False, batch=batch)
    assert summary["tracked"] == len(seqs)
    for s in seqs:
        one = read_result_file(folder / "one" / f"{s.name}.txt").boxes
        batched = read_result_file(folder / "batched" / f"{s.name}.txt").boxes
        assert np.abs(one - batched).max() <= 0.0101, s.name
    return summary


def test_batched_boxes_equal_the_unbatched_trackers(sequences, tmp_path):
    assert compare("hcat/demo", sequences, tmp_path, batch=3)["steps"] == 11 + 24


def test_the_paper_configs_network_batched_too(sequences, tmp_path):
    """The paper config's larger network, on the first frames of three sequences (its tracker is the demo's)."""
    short = [EvalSequence(s.name, s.frames[:6 - i], s.gt[:6 - i], None) for i, s in enumerate(sequences[:3])]
    compare("hcat/default", short, tmp_path, batch=2)


def test_the_exported_parts_take_any_batch(tmp_path):
    from ltr_core.components import build_net
    from ltr_core.deploy.onnx import OnnxNet, export_parts, parts_for
    from ltr_core.track.factory import inference_net_config

    cfg = load_config("hcat/demo")
    torch.manual_seed(0)
    parts = parts_for(cfg, build_net(inference_net_config(cfg)).eval())
    export_parts(parts, tmp_path, config=cfg["_name"], checkpoint=None, report=lambda m: None)
    onnx = OnnxNet(tmp_path)
    g = torch.Generator().manual_seed(1)
    for part in parts:
        for n in (1, 3):
            inputs = [torch.randn((n, *v.shape[1:]), generator=g) for v in part.inputs.values()]
            with torch.no_grad():
                ref = part.module(*inputs)
            ref = ref if isinstance(ref, tuple) else (ref,)
            got = getattr(onnx, part.name)(*inputs)
            got = tuple(got.values()) if isinstance(got, dict) else (got if isinstance(got, tuple) else (got,))
            for a, b in zip(ref, got):
                assert a.shape == b.shape and a.shape[0] == n
                torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)
