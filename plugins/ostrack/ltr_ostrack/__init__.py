"""ltr-ostrack: OSTrack (Ye et al., ECCV 2022, one-stream ViT tracking with candidate elimination) for ltr."""

from ltr_ostrack.network import OSTrackNet, build_net

__all__ = ["OSTrackNet", "build_net"]
