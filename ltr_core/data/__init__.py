"""Data: dataset readers, frame sampling, processing (crops, augmentation) and batching."""

from ltr_core.data.dataset import DataError, FrameRef, SequenceInfo, VideoDataset
from ltr_core.data.processing import CropPairProcessing, Processing
from ltr_core.data.sampler import TrackingSampler
from ltr_core.data.transforms import Transform

__all__ = ["DataError", "FrameRef", "SequenceInfo", "VideoDataset", "Processing", "CropPairProcessing",
           "TrackingSampler", "Transform"]
