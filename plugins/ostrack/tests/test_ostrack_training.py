"""OSTrack's training pieces through ltr: the actor follows CE's keep-ratio schedule by the epoch the trainer tells
it, activation checkpointing changes memory and not the gradients."""

import pytest
import torch

from ltr_ostrack.actor import OSTrackActor, keep_ratio
from ltr_ostrack.network import build_net
from ltr_ostrack.objective import build_objective

SMALL = dict(embed_dim=96, depth=4, num_heads=3, patch_size=8, template_size=56, search_size=112,
             pretrain_img_size=112, ce_loc=[1, 2], ce_keep_ratio=[0.7, 0.7], head_channels=32,
             drop_path_rate=0.2)


def batch(n=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    boxes = torch.cat([0.3 + 0.2 * torch.rand(n, 2, generator=g), 0.15 + 0.1 * torch.rand(n, 2, generator=g)], 1)
    from ltr_ostrack.objective import centre_heatmaps

    return {"template_images": torch.randn(n, 1, 3, 56, 56, generator=g),
            "search_images": torch.randn(n, 1, 3, 112, 112, generator=g),
            "search_box": boxes, "heatmap": centre_heatmaps(boxes, 14)}


class Recorder(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.inner, self.keep = net, []
        self.ce_keep_ratio = net.ce_keep_ratio
        self.backbone = net.backbone

    def forward(self, template, search, mask, keep):
        self.keep.append(keep)
        return self.inner(template, search, mask, keep)


def test_the_actor_asks_for_the_keep_ratio_of_the_epoch_it_was_told():
    net = Recorder(build_net(**SMALL))
    actor = OSTrackActor(net, build_objective(), ce_start_epoch=2, ce_warm_epoch=4)
    for epoch in range(1, 9):
        actor.set_epoch(epoch, 8)
        loss, stats = actor(batch())
        assert torch.isfinite(loss) and set(stats) == {"loss/giou", "loss/l1", "loss/focal", "iou"}
    assert net.keep == [keep_ratio(e, 2, 4, 0.7) for e in range(1, 9)]
    assert net.keep[0] == 1 and net.keep[-1] == 0.7 and 0.7 < net.keep[3] < 1


def test_activation_checkpointing_gives_the_same_loss_and_gradients():
    results = []
    for recompute in (False, True):
        torch.manual_seed(0)
        net = build_net(**SMALL, grad_checkpointing=recompute).train()
        actor = OSTrackActor(net, build_objective(), ce_start_epoch=0, ce_warm_epoch=1)
        actor.set_epoch(5, 5)
        torch.manual_seed(1)                             # the same drop-path draws on both sides
        loss, _ = actor(batch())
        loss.backward()
        results.append((loss.item(), {k: p.grad.clone() for k, p in net.named_parameters() if p.grad is not None}))
    (loss_a, grads_a), (loss_b, grads_b) = results
    assert loss_a == pytest.approx(loss_b, rel=1e-6)
    assert grads_a.keys() == grads_b.keys() and len(grads_a) > 50
    for k in grads_a:
        torch.testing.assert_close(grads_b[k], grads_a[k], rtol=1e-4, atol=1e-6, msg=k)

