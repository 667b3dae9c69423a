"""ATOM on a simulated GPU (ltr_core.devicecheck): the IoU-Net training step keeps every tensor on the device;
the tracker's online classifier and box refinement decide on the host several times a frame (peaks, flags,
refinement), as pytracking's ATOM does: the count is held so that it can only go down."""

from ltr_core.config import load_config
from ltr_core.testing import simulated_gpu_syncs


def test_training_step_and_tracker_on_a_simulated_gpu(tmp_path):
    counts = simulated_gpu_syncs(load_config("atom/demo"), tmp_path)
    assert counts["step"] == 0 and counts["nondeterministic"] == ""   # trainer.deterministic works on a GPU
    assert 1 <= counts["frame"] <= 12, counts
