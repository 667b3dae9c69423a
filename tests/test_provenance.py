"""What made a checkpoint or an export is recorded, and loading one into a network that no longer fits it says
which file, which parameter and which versions differ."""

import os
import subprocess
import sys

import torch

from ltr_core.cli_runner import run_ltr
from ltr_core.train.checkpoint import load_checkpoint


def ltr(*args):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args)


def ltr_process(*args):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True, timeout=300,
                          env=os.environ)


def test_checkpoints_record_versions_and_a_network_that_no_longer_fits_names_file_parameter_and_versions(
        tiny_env, tmp_path):
    assert ltr("train", "tiny/tiny", "--set", "trainer.epochs=1").returncode == 0
    path = tiny_env / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0001.pth"
    state = load_checkpoint(path)
    assert state["versions"]["ltr-core"] == "0.3.6" and state["versions"]["plugin_api"] == "1.4"
    assert state["versions"]["components"]["net"] == "tiny/tiny"
    assert state["versions"]["plugins"]["tiny"] == {"distribution": "LTR_PLUGINS:tiny_plugin", "version": "dev"}

    state["versions"]["plugins"]["tiny"]["version"] = "0.0.1"          # made by an older release of the plugin
    older = tmp_path / "older.pth"
    torch.save(state, older)
    ok = ltr("eval", "tiny/tiny", "--checkpoint", str(older), "--tag", "older")
    assert ok.returncode == 0, ok.stderr
    assert f"note: {older}: LTR_PLUGINS:tiny_plugin 0.0.1 made it, dev is installed" in ok.stderr

    del state["net"]["head.bias"]                                        # ... that had no such layer
    state["net"]["head.weight"] = state["net"]["head.weight"][:, :5]
    misfit = tmp_path / "misfit.pth"
    torch.save(state, misfit)
    bad = ltr("eval", "tiny/tiny", "--checkpoint", str(misfit), "--tag", "misfit")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1] == (
        f"error: {misfit} does not fit the network of tiny/tiny (LTR_PLUGINS:tiny_plugin 0.0.1 made it, dev is "
        "installed): parameter 'head.weight' has shape (4, 5) in the file but (4, 136) in the network (1 "
        "missing, 1 of another shape of 8). Use a checkpoint made with this config and these versions, or start a "
        "new run")
