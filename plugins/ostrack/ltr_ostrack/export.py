"""What OSTrack's tracker runs per frame, for ONNX export: the whole network (ViT with candidate elimination's
sort, gather and scatter, and the centre head) from template and search crops to the three maps. The Hann
window, the box decoding and the mapping back stay in the tracker."""

from __future__ import annotations

import torch

from ltr_core.api import ExportPart


class _TrackForward(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, template, search):
        return self.net.track_forward(template, search)


def export_parts(net, template_size: int = 128, search_size: int = 256) -> list[ExportPart]:
    """OSTrack per frame: ``template (B,3,T,T), search (B,3,S,S) -> score_map, size_map, offset_map`` for any batch
    B (exported at 1; ``ltr eval --batch N --runtime onnx`` runs N sequences per call)."""
    batch = {0: "batch"}
    return [ExportPart("track_forward", _TrackForward(net.eval()),
                       {"template": torch.zeros(1, 3, template_size, template_size),
                        "search": torch.zeros(1, 3, search_size, search_size)},
                       ["score_map", "size_map", "offset_map"],
                       note="Hann window and box decoding run in the tracker",
                       dynamic_axes={name: batch for name in ("template", "search", "score_map", "size_map",
                                                               "offset_map")})]
