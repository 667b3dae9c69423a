"""HCAT on a simulated GPU (ltr_core.devicecheck): the training step and the tracker keep every tensor on the
device, and the tracker waits for the GPU once per frame (scores and boxes of all tokens in one copy); the training
step calls no operator that CUDA refuses under trainer.deterministic (a GPU run found F.cross_entropy's NLLLoss)."""

import pytest

from ltr_core.config import load_config
from ltr_core.testing import simulated_gpu_syncs


@pytest.mark.parametrize("config", ["hcat/demo", "hcat/res50"])
def test_training_step_and_tracker_on_a_simulated_gpu(config, tmp_path):
    assert simulated_gpu_syncs(load_config(config), tmp_path) == {"step": 0, "frame": 1, "nondeterministic": ""}


def test_the_class_weighted_cross_entropy_is_torchs_without_nll_loss():
    import torch
    import torch.nn.functional as F

    from ltr_core.devicecheck import RecordNondeterministic
    from ltr_core.registry import get_registry

    objective = get_registry().get("objective", "hcat/hcat").factory()
    g = torch.Generator().manual_seed(3)
    for background in (0.0625, 1.0):
        objective.class_weight.fill_(1.0)[1] = background
        logits = torch.randn(4, 64, 2, generator=g, requires_grad=True)
        pos = torch.rand(4, 64, generator=g) < 0.1
        pos[0] = False                                                 # a search crop without the target
        with RecordNondeterministic() as rec:
            ours = objective.loss_labels(logits, pos)
            (grad,) = torch.autograd.grad(ours, logits)
        assert rec.found == {}
        reference = F.cross_entropy(logits.transpose(1, 2), (~pos).long(), weight=objective.class_weight)
        (expected,) = torch.autograd.grad(reference, logits)
        assert abs(float(ours.detach()) - float(reference.detach())) < 1e-6 and torch.allclose(grad, expected, atol=1e-7)
