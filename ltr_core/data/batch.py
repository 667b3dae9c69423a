"""The batch contract: the :class:`Processing` interface, which turns a sampler's frames and boxes into network
inputs, and :data:`BATCH_CONTRACT`, the keys the core's processing gives an actor. Public API (re-exported by
:mod:`ltr_core.api`); :mod:`ltr_core.data.processing` holds the core's implementation."""

from __future__ import annotations

import abc

import numpy as np
import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: The batch the core's processing (:class:`CropPairProcessing` and its subclasses) gives an actor, after the
#: loader stacks samples with ``loader.stack_dim: 0``: key -> (shape, dtype, contents). ``B`` is the batch size,
#: ``Nt``/``Ns`` the sampler's ``num_template_frames``/``num_search_frames``, ``T``/``S`` the processing's
#: ``template_size``/``search_size``. With ``stack_dim: 1`` (pytracking's layout) the first two dimensions swap.
#: A subclass's :meth:`CropPairProcessing.targets` adds keys of its own. This is part of the plugin API: a key
#: does not change meaning within a major version.
BATCH_CONTRACT = {
    "template_images": ("(B, Nt, 3, T, T)", "float32",
                        "template crops, RGB, normalised with the ImageNet mean and std (0-255 with "
                        "normalize: false), in channels-last memory"),
    "template_anno": ("(B, Nt, 4)", "float32",
                      "the target's box in each template crop: x, y, w, h in crop pixels, origin at the crop's "
                      "top-left corner"),
    "search_images": ("(B, Ns, 3, S, S)", "float32", "search crops, as the template crops"),
    "search_anno": ("(B, Ns, 4)", "float32", "the target's box in each search crop, as template_anno"),
}


class Processing(abc.ABC):
    """Interface: ``processing(sample, rng) -> dict of tensors`` (one sample; the loader stacks them).

    ``sample`` has ``template_frames`` / ``search_frames`` (lists of :class:`FrameRef`) and
    ``template_boxes`` / ``search_boxes`` ((n, 4) float arrays, full-resolution ``x, y, w, h``).
    ``rng`` is the sample's own generator: all randomness must come from it. What the core's own processing
    returns is :data:`BATCH_CONTRACT`.
    """

    @abc.abstractmethod
    def __call__(self, sample: dict, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        ...
