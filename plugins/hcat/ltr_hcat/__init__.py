"""ltr-hcat: HCAT (Chen et al., Efficient Visual Tracking via Hierarchical Cross-Attention Transformer) for ltr."""

from ltr_hcat.network import HCAT, build_net

__all__ = ["HCAT", "build_net"]
