"""The inference interface every tracker plugin implements, and shared crop helpers."""

from __future__ import annotations

import abc

import numpy as np
import torch

from ltr_core import device as device_rule
from ltr_core.data.geometry import crop_square
from ltr_core.data.batch import IMAGENET_MEAN, IMAGENET_STD


class Tracker(abc.ABC):
    """``initialize(image, box)`` once, then ``track(image) -> (box, score)`` per frame.

    Images are RGB uint8 ``(H, W, 3)`` arrays; boxes are ``x, y, w, h`` in pixels. A tracker that never looks
    at the images (a baseline) sets ``reads_images = False``, and the evaluation runner then skips decoding them;
    one without a network sets ``needs_net = False`` and is built with ``net=None``. One that keeps part of its
    network in PyTorch under ``--runtime onnx`` sets ``onnx_needs_torch = True`` (see that attribute).

    **Batched tracking** (``ltr eval --batch N``: N sequences stepped together, one network call per frame for
    all of them). A tracker opts in by setting ``batchable = True`` and splitting its per-frame work in three:

    * :meth:`prepare` ``(image) -> inputs``: this sequence's network inputs for the frame, a dict of tensors
      with batch dimension 1 (CPU tensors, or tensors this tracker keeps on its device such as a template),
      keeping on ``self`` what :meth:`finish` needs. Called from a worker thread, for several sequences at once:
      crop with NumPy/OpenCV and wrap the result (``torch.from_numpy``), leaving the arithmetic (normalising) to
      :meth:`network`, since tensor arithmetic in a worker thread starts another pool of PyTorch's threads.
    * :meth:`network` ``(inputs) -> outputs``: the inputs of the batch's sequences concatenated along dimension 0
      and moved to the device; returns a dict of tensors with the batch along dimension 0 (few of them: each is
      one copy back to the host). Called on one tracker of the batch: it may use only what every tracker built
      from the same config shares (the network, crop sizes, windows), never one sequence's state.
    * :meth:`finish` ``(outputs, image) -> (box, score)``: this sequence's rows (batch 1, on the CPU) of the
      outputs.

    Its ``track`` is then ``self.track_in_steps(image)``, so batched and unbatched runs take the same steps; the
    trackers of a batch share one network. ``initialize`` stays per sequence.
    """

    reads_images = True
    #: False for trackers that run without a network (baselines): evaluation then loads no checkpoint
    needs_net = True
    #: True for trackers that implement prepare / network / finish (see above)
    batchable = False
    #: True for trackers that keep part of their network in PyTorch under ``--runtime onnx`` (an online
    #: optimiser, gradients through a head): their ``net`` is then an :class:`~ltr_core.deploy.runtime.OnnxNet`
    #: whose ``pytorch`` is the network with the export's weights (plugin API 1.4; see ``OnnxNet``)
    onnx_needs_torch = False

    def __init__(self, net: torch.nn.Module, device: str | torch.device = "cpu"):
        """``device``: ``cpu``, ``cuda``, ``cuda:N`` or ``auto`` (:mod:`ltr_core.device`); commands pass theirs."""
        self.net = net.eval()
        self.device = device_rule.resolve(device, "tracker.device")
        self.net.to(self.device)
        self.mean = torch.tensor(IMAGENET_MEAN, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD, device=self.device).view(1, 3, 1, 1)

    @abc.abstractmethod
    def initialize(self, image: np.ndarray, box) -> None:
        """Start a sequence from the first frame and its ground-truth box."""

    @abc.abstractmethod
    def track(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """Locate the target in the next frame: ``(x, y, w, h)`` and a confidence."""

    # -- batched tracking ------------------------------------------------------------------------------------
    def prepare(self, image: np.ndarray) -> dict[str, torch.Tensor]:
        """This frame's network inputs (batch 1) for a batchable tracker; see the class docstring."""
        raise NotImplementedError(f"{type(self).__name__} does not split track() into prepare/network/finish")

    def network(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The network on a batch of :meth:`prepare` results (on the device); see the class docstring."""
        raise NotImplementedError(f"{type(self).__name__} does not split track() into prepare/network/finish")

    def finish(self, outputs: dict[str, torch.Tensor], image: np.ndarray) -> tuple[np.ndarray, float]:
        """The box and score from this sequence's rows of :meth:`network`'s outputs; see the class docstring."""
        raise NotImplementedError(f"{type(self).__name__} does not split track() into prepare/network/finish")

    def track_in_steps(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """``track`` of a batchable tracker: prepare, network on a batch of one, finish."""
        return self.finish(to_host(self.network(to_device(self.prepare(image), self.device))), image)

    def crop_tensor(self, image: np.ndarray, center, side: float, out_size: int) -> torch.Tensor:
        """A square crop padded with the image's per-channel mean, normalised, as a (1, 3, S, S) tensor."""
        pad = tuple(float(v) for v in image.reshape(-1, 3).mean(0))
        return self.to_network([crop_square(image, center, side, out_size, pad_value=pad)])

    def to_network(self, images: list[np.ndarray]) -> torch.Tensor:
        """RGB uint8 ``(S, S, 3)`` crops -> the network's (N, 3, S, S) input, ImageNet-normalised."""
        return self.normalise(torch.from_numpy(np.stack(images)).to(self.device))

    def normalise(self, crops: torch.Tensor) -> torch.Tensor:
        """uint8 (N, S, S, 3) crops on the device -> the network's (N, 3, S, S) float input, ImageNet-normalised
        (what a batchable tracker's ``network`` does to the crops its ``prepare`` returned)."""
        t = crops.permute(0, 3, 1, 2).float()
        return (t / 255 - self.mean) / self.std


def to_device(inputs: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device, non_blocking=True) for k, v in inputs.items()}


def to_host(outputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Network outputs copied back to the CPU (one wait for the GPU per tensor: keep them few)."""
    return {k: v.cpu() for k, v in outputs.items()}


def stack_inputs(prepared: list[dict[str, torch.Tensor]], device: torch.device) -> dict[str, torch.Tensor]:
    """The :meth:`Tracker.prepare` results of a batch's sequences, concatenated along dimension 0 on ``device``
    (each key's CPU tensors are joined on the CPU and moved in one copy)."""
    out = {}
    for key in prepared[0]:
        parts = [p[key] for p in prepared]
        if all(t.device.type == "cpu" for t in parts):
            out[key] = torch.cat(parts).to(device, non_blocking=True)
        else:
            out[key] = torch.cat([t.to(device) for t in parts])
    return out
