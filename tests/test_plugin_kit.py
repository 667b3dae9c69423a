"""The conformance kit (ltr_core.testing, `ltr check-plugin`) and the run-time checks on what components return,
as a plugin author meets them: a good plugin passes, a broken one fails with lines naming what it returned."""

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ltr_core import registry
from ltr_core.cli import main
from ltr_core.cli_runner import run_ltr
from ltr_core.testing import check_plugin


@pytest.fixture
def broken_env(tiny_env, monkeypatch):
    monkeypatch.setenv("LTR_PLUGINS", "tiny=tiny_plugin,broken=broken_plugin")
    registry.set_registry(None)
    yield tiny_env
    registry.set_registry(None)


def test_the_tiny_plugin_passes_every_check(tiny_env, ltr_plugin_check):
    report = ltr_plugin_check("tiny")       # the fixture of ltr-core's pytest plugin (entry point pytest11)
    lines = [c.line() for c in report.checks]
    assert lines[0] == "PASS  config tiny/tiny: validates"
    assert lines[1].startswith("PASS  config tiny/tiny: 2 training steps, batch 2: loss ")
    assert lines[1].endswith("stats mae; gradients on 8 of 8 trainable parameters; on cpu")
    assert lines[2].startswith("PASS  config tiny/tiny: tracked generated sequence ") and "every box finite" in lines[2]
    assert lines[3] == ("PASS  config tiny/tiny: 4 sequences through 3 slots in lockstep: every box as the unbatched "
                        "tracker's")
    assert lines[4] == ("PASS  config tiny/tiny: on a simulated GPU, no CPU tensor mixed into GPU work; 0 host syncs "
                        "per training step, 1 per tracked frame; with trainer.deterministic a GPU would refuse "
                        "aten._adaptive_avg_pool2d_backward (nn.AdaptiveAvgPool2d)")     # the tiny net's pooling
    assert lines[5].startswith("PASS  config tiny/tiny: ONNX Runtime against PyTorch: forward max |diff| ")
    assert report.counts() == "6 passed, 0 failed"


def test_a_batched_network_step_that_uses_one_sequences_state_fails_the_batch_check(tiny_env, tmp_path, monkeypatch):
    import tiny_plugin
    import torch

    @torch.no_grad()
    def network(self, inputs):             # the bug: this tracker's template for every sequence of the batch
        template = self.template.expand(len(inputs["search"]), -1, -1, -1)
        return {"box": self.net(self.normalise(inputs["search"]), template)}

    monkeypatch.setattr(tiny_plugin.TinyTracker, "network", network)
    report = check_plugin("tiny", tmp_path, export=False)
    failure, = report.failures
    assert failure.message.startswith("tracker 'tiny/tiny' (plugin 'tiny', LTR_PLUGINS:tiny_plugin dev): batched "
                                      "boxes differ from the unbatched tracker's by ")
    assert "network may use only what every tracker of the batch shares" in failure.message


def test_a_broken_plugin_fails_with_messages_naming_each_component_and_what_it_returned(broken_env, tmp_path):
    report = check_plugin("broken", tmp_path)
    assert not report.ok
    who = "(plugin 'broken', LTR_PLUGINS:broken_plugin dev)"
    failures = [c.message for c in report.failures]
    assert failures[0] == (f"actor 'broken/broken' {who} returned as loss a tensor of shape (2, 4) and dtype "
                           "float32; expected a one-element floating tensor (reduce the loss terms, e.g. with .mean())")
    assert failures[1] == (f"tracker 'broken/broken' {who} returned an array of shape (4,) and dtype float64 for "
                           "frame 2 of sequence zebra-2; expected (box, score): four numbers x, y, w, h and a "
                           "number")
    assert failures[2] == "part 'forward' returns 1 outputs but declares ['box', 'score']"
    assert failures[3].startswith("applied to two (32, 48, 3) uint8 crops it returned list ")
    assert [c.subject for c in report.failures] == ["config broken/broken"] * 3 + [f"transform 'broken/shrink' {who}"]
    assert report.counts() == "1 passed, 4 failed"


def test_check_plugin_exit_codes(broken_env):
    good = CliRunner().invoke(main, ["check-plugin", "tiny", "--no-export"])
    assert good.exit_code == 0, good.output
    assert good.output.splitlines()[-1] == "check-plugin tiny: 5 passed, 0 failed"
    bad = CliRunner().invoke(main, ["check-plugin", "broken", "--config", "broken/broken"])
    assert bad.exit_code == 1 and bad.output.splitlines()[-1] == "check-plugin broken: 1 passed, 3 failed"
    unknown = CliRunner().invoke(main, ["check-plugin", "brokn"])
    assert unknown.exit_code == 2
    assert "error: no plugin named 'brokn' is installed in the environment" in unknown.output
    assert "(installed plugins: " in unknown.output


def ltr(*args):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args)


def ltr_process(*args):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True, timeout=300,
                          env=os.environ)


def test_wrong_results_at_run_time_end_in_one_line_naming_the_component(broken_env):
    train = ltr("train", "broken/broken")
    assert train.returncode == 2 and "Traceback" not in train.stderr
    assert train.stderr.strip().splitlines()[-1] == (
        "error: actor 'broken/broken' (plugin 'broken', LTR_PLUGINS:broken_plugin dev) returned as loss a tensor "
        "of shape (4, 4) and dtype float32; expected a one-element floating tensor (reduce the loss terms, e.g. "
        "with .mean())")
    track = ltr("eval", "broken/broken", "--untrained")
    assert track.returncode == 2 and "Traceback" not in track.stderr
    assert track.stderr.strip().splitlines()[-1].startswith(
        "error: tracker 'broken/broken' (plugin 'broken', LTR_PLUGINS:broken_plugin dev) returned an array of "
        "shape (4,) and dtype float64 for frame 2 of sequence ")
    assert track.stderr.strip().endswith("; expected (box, score): four numbers x, y, w, h and a number")
