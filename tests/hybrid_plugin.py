"""A third-party tracker that keeps part of its network in PyTorch under ``--runtime onnx`` (plugin API 1.4).

It is the tests' tiny tracker, plus something learned online per sequence in PyTorch, as DiMP learns its filter:
at the first frame it embeds the template with the network's template branch (in PyTorch, on ``net.pytorch``
under ONNX Runtime), and reports that embedding's norm as each frame's score. The per-frame box stays the exported
``forward`` part. Its config (``hybrid/hybrid``) is the tiny one with this tracker.
"""

from pathlib import Path

import torch

from ltr_core.api import hookimpl
from tiny_plugin import TinyTracker


class HybridTracker(TinyTracker):
    """The tiny tracker with a per-sequence embedding learned in PyTorch (test plugin)."""

    onnx_needs_torch = True

    def __init__(self, net, **kwargs):
        super().__init__(net, **kwargs)
        self.pytorch = net if isinstance(net, torch.nn.Module) else net.pytorch

    @torch.no_grad()
    def initialize(self, image, box):
        super().initialize(image, box)
        self.embedding = self.pytorch.template(self.template)

    def finish(self, outputs, image):
        box, _ = super().finish(outputs, image)
        return box, float(self.embedding.norm())


@hookimpl
def ltr_plugin_api():
    return ">=1.4,<2"


@hookimpl
def ltr_trackers():
    return {"hybrid": HybridTracker}


@hookimpl
def ltr_configs():
    return {"hybrid": Path(__file__).parent / "configs" / "hybrid.yaml"}
