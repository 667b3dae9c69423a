"""Data: dataset readers, frame sampling, processing (crops, augmentation) and batching."""

from ltr_core.data.batch import Processing
from ltr_core.data.dataset import DataError, FrameRef, SequenceInfo, VideoDataset
from ltr_core.data.transforms import Transform

__all__ = ["DataError", "FrameRef", "SequenceInfo", "VideoDataset", "Processing", "Transform"]

_MOVED = {"CropPairProcessing": "ltr_core.data.processing", "TrackingSampler": "ltr_core.data.sampler"}


def __getattr__(name: str):
    """``ltr_core.data.CropPairProcessing`` and ``.TrackingSampler`` (0.2) live in their modules: kept as
    deprecated aliases for 0.3 (see CHANGELOG.md), looked up by name so that importing a leaf of this package
    never imports the registry."""
    if name in _MOVED:
        import importlib        # here: a deprecated alias, looked up only when used
        import warnings

        warnings.warn(f"ltr_core.data.{name} is deprecated; import it from {_MOVED[name]} (removed in 0.4)",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module 'ltr_core.data' has no attribute {name!r}")
