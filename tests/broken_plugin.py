"""A plugin that breaks the run-time contract in the ways authors do (tests of the conformance kit and of the
checks at run time): a loss that is not one number, a tracker that returns only a box, a transform that
changes the crops' shape, an export that declares the wrong outputs."""

from pathlib import Path

import torch

from ltr_core.deploy.onnx import ExportPart
from ltr_core.hookspecs import hookimpl
from tiny_plugin import L1Objective, TinyActor, TinyNet, TinyTracker, target_boxes


class PerBoxLossActor(TinyActor):
    """Returns the loss per box coordinate instead of one number (broken on purpose)."""

    def __call__(self, batch):
        pred = self.net(batch["search_images"][:, 0], batch["template_images"][:, 0])
        return (pred - target_boxes(batch)).abs(), {"mae": 0.0}


class BoxOnlyTracker(TinyTracker):
    """Returns the box without a score (broken on purpose)."""

    def track(self, image):
        return super().track(image)[0]


class Shrink:
    """Returns half-size crops (broken on purpose)."""

    def __call__(self, images, rng):
        return [im[::2, ::2] for im in images]


def wrong_outputs(net, search_size: int = 32, template_size: int = 16):
    """Declares two outputs for a one-output network (broken on purpose)."""
    return [ExportPart("forward", net, {"search": torch.zeros(1, 3, search_size, search_size),
                                        "template": torch.zeros(1, 3, template_size, template_size)},
                       ["box", "score"])]


@hookimpl
def ltr_plugin_api():
    return ">=1.0,<2"


@hookimpl
def ltr_nets():
    return {"broken": lambda width=8: TinyNet(width)}


@hookimpl
def ltr_objectives():
    return {"l1": L1Objective}


@hookimpl
def ltr_actors():
    return {"broken": PerBoxLossActor}


@hookimpl
def ltr_trackers():
    return {"broken": BoxOnlyTracker}


@hookimpl
def ltr_transforms():
    return {"shrink": Shrink}


@hookimpl
def ltr_exports():
    return {"broken": wrong_outputs}


@hookimpl
def ltr_configs():
    return {"broken": Path(__file__).parent / "configs" / "broken.yaml"}
