"""A tiny tracker defined by the tests and registered through the same hooks as any plugin.

It proves the core is tracker-agnostic: sampling, loading, training, checkpoints, DDP and tracking all run
on it without any real tracker installed. Its net regresses the normalised search box from a
template/search pair with a few convolutions (no BatchNorm, so DDP runs compare exactly).
"""

import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ltr_core.data.geometry import crop_square
from ltr_core.hookspecs import hookimpl
from ltr_core.track.tracker import Tracker
from ltr_core.train.actor import Actor


class TinyNet(nn.Module):
    def __init__(self, width: int = 8):
        super().__init__()
        self.search = nn.Sequential(nn.Conv2d(3, width, 3, 2, 1), nn.ReLU(), nn.Conv2d(width, width, 3, 2, 1),
                                    nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten())
        self.template = nn.Sequential(nn.Conv2d(3, width, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                      nn.Flatten())
        self.head = nn.Linear(width * 17, 4)

    def forward(self, search, template):
        feats = torch.cat([self.search(search), self.template(template)], dim=1)
        return self.head(feats).sigmoid()


def build_tiny_net(width: int = 8):
    """A few convolutions regressing the search box (test plugin)."""
    return TinyNet(width)


class L1Objective(nn.Module):
    """Mean absolute error between predicted and target boxes (test plugin)."""

    def forward(self, pred, target):
        return (pred - target).abs().mean()


def target_boxes(batch):
    anno = batch["search_anno"][:, 0]
    size = batch["search_images"].shape[-1]
    box = anno / size
    return torch.cat([box[:, :2] + box[:, 2:] / 2, box[:, 2:]], dim=1)


class TinyActor(Actor):
    """Runs the tiny net and its L1 objective (test plugin)."""

    def __init__(self, net, objective, nan_at_step: int = 0, step_delay: float = 0.0):
        super().__init__(net, objective)
        self.nan_at_step = nan_at_step
        self.step_delay = step_delay       # seconds per step, so a test can kill a run mid-epoch
        self.steps = 0

    def __call__(self, batch):
        self.steps += 1
        time.sleep(self.step_delay)
        pred = self.net(batch["search_images"][:, 0], batch["template_images"][:, 0])
        loss = self.objective(pred, target_boxes(batch))
        if self.nan_at_step and self.steps >= self.nan_at_step:
            loss = loss * float("nan")
        return loss, {"mae": loss.detach()}


class TinyTracker(Tracker):
    """Crops around the last box and regresses the next one (test plugin)."""

    def __init__(self, net, search_size: int = 32, template_size: int = 16, jitter: float = 0.0,
                 frame_delay: float = 0.0, device: str = "cpu"):
        super().__init__(net, device)
        self.search_size, self.template_size = search_size, template_size
        self.jitter = jitter     # pixels of random shift per frame: a stochastic tracker, for --runs
        self.frame_delay = frame_delay     # seconds per frame, so a test can stop an evaluation midway

    @torch.no_grad()
    def initialize(self, image, box):
        x, y, w, h = (float(v) for v in box)
        self.center, self.size = np.array([x + w / 2, y + h / 2]), np.array([w, h])
        side = 2 * np.sqrt(w * h)
        self.template = self.crop_tensor(image, self.center, side, self.template_size)

    def track(self, image):
        return self.track_in_steps(image)

    batchable = True     # ltr eval --batch: prepare, network, finish

    def prepare(self, image):
        time.sleep(self.frame_delay)
        self.side = 4 * float(np.sqrt(self.size.prod()))
        pad = tuple(float(v) for v in image.reshape(-1, 3).mean(0))
        crop = crop_square(image, self.center, self.side, self.search_size, pad_value=pad)
        return {"search": torch.from_numpy(crop[None]), "template": self.template}

    @torch.no_grad()
    def network(self, inputs):
        return {"box": self.net(self.normalise(inputs["search"]), inputs["template"])}

    def finish(self, outputs, image):
        side = self.side
        cx, cy, w, h = outputs["box"][0].numpy() * side
        self.center = self.center - side / 2 + np.array([cx, cy])
        if self.jitter:
            self.center = self.center + np.random.uniform(-self.jitter, self.jitter, 2)
        self.size = np.clip([w, h], 4, None)
        return np.array([*(self.center - self.size / 2), *self.size]), 1.0


@hookimpl
def ltr_plugin_api():
    return ">=1.0,<2"


@hookimpl
def ltr_nets():
    return {"tiny": build_tiny_net}


@hookimpl
def ltr_objectives():
    return {"tiny_l1": L1Objective}


@hookimpl
def ltr_actors():
    return {"tiny": TinyActor}


@hookimpl
def ltr_trackers():
    return {"tiny": TinyTracker}


def tiny_export(net, search_size: int = 32, template_size: int = 16):
    """The tiny net as one ONNX part, called like the module (test plugin)."""
    from ltr_core.deploy.onnx import ExportPart

    batch = {0: "batch"}
    return [ExportPart("forward", net, {"search": torch.zeros(1, 3, search_size, search_size),
                                        "template": torch.zeros(1, 3, template_size, template_size)}, ["box"],
                       dynamic_axes={"search": batch, "template": batch, "box": batch})]


@hookimpl
def ltr_exports():
    return {"tiny": tiny_export}


@hookimpl
def ltr_configs():
    return {"tiny": Path(__file__).parent / "configs" / "tiny.yaml"}
