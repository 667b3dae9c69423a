"""The stable import surface for plugins: everything a plugin subclasses, returns or annotates with.

Import from here (``from ltr_core.api import Actor, Tracker, PositiveInt, hookimpl``); these names keep their
meaning for every 1.x plugin API (see ``CHANGELOG.md`` and the deprecation policy in ``docs/plugins.md``). This
module sits at the bottom of the core: it imports only the leaf modules that define these names, never the
registry, the config loader or a command, so importing it is cheap and cannot form an import cycle.

* Base classes: :class:`Actor`, :class:`Tracker` :class:`VideoDataset` with its
  records :class:`SequenceInfo` and :class:`FrameRef`, :class:`Processing` and :data:`BATCH_CONTRACT`,
  :class:`Transform`, :class:`ExportPart`, :class:`Benchmark`, :class:`TrainerHook`.
* :class:`OnnxNet`, the ``net`` a tracker gets under ``--runtime onnx``: its exported parts as ONNX Runtime
  sessions, and for a tracker with ``onnx_needs_torch`` the PyTorch network beside them (``pytorch``; API 1.4).
* Value types for factory keywords: :class:`Bound`, :data:`PositiveInt`, :data:`NonNegativeInt`,
  :data:`PositiveFloat`, :data:`NonNegativeFloat`, :data:`Probability`, :data:`UnitInterval`, :data:`CropSize`.
* Errors a plugin raises for its user: :class:`UserError` (one line, exit 2), :class:`DataError`.
* The hook marker :data:`hookimpl` and the plugin API version :data:`PLUGIN_API`; :func:`follows`, which tells
  the config checker that a function factory forwards its ``**kwargs`` to another factory; :func:`renamed_keys`,
  which keeps a renamed config key's old name working for a release.
"""

from ltr_core.data.batch import BATCH_CONTRACT, IMAGENET_MEAN, IMAGENET_STD, Processing
from ltr_core.data.dataset import DataError, FrameRef, SequenceInfo, VideoDataset
from ltr_core.data.transforms import Transform
from ltr_core.deploy.part import ExportPart
from ltr_core.deploy.runtime import OnnxNet
from ltr_core.errors import ComponentError, UserError
from ltr_core.evaluation.benchmark import Benchmark
from ltr_core.hookspecs import PLUGIN_API, follows, hookimpl, renamed_keys
from ltr_core.track.tracker import Tracker
from ltr_core.train.actor import Actor
from ltr_core.train.hooks import TrainerHook
from ltr_core.valuetypes import (Bound, CropSize, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt,
                                 Probability, UnitInterval)

__all__ = ["Actor", "BATCH_CONTRACT", "Benchmark", "Bound", "ComponentError", "CropSize", "DataError",
           "ExportPart", "FrameRef", "IMAGENET_MEAN", "IMAGENET_STD", "NonNegativeFloat", "NonNegativeInt",
           "OnnxNet", "PLUGIN_API", "PositiveFloat", "PositiveInt", "Probability", "Processing", "SequenceInfo",
           "Tracker", "TrainerHook", "Transform", "UnitInterval", "UserError", "VideoDataset", "follows", "hookimpl",
           "renamed_keys"]
