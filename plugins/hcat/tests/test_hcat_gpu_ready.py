"""HCAT on a simulated GPU (ltr_core.devicecheck): the training step and the tracker keep every tensor on the
device, and the tracker waits for the GPU once per frame (scores and boxes of all tokens in one copy)."""

import pytest

from ltr_core.config import load_config
from ltr_core.testing import simulated_gpu_syncs


@pytest.mark.parametrize("config", ["hcat/demo", "hcat/res50"])
def test_training_step_and_tracker_on_a_simulated_gpu(config, tmp_path):
    assert simulated_gpu_syncs(load_config(config), tmp_path) == {"step": 0, "frame": 1}
