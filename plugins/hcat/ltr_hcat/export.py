"""What HCAT's tracker runs at inference, for ONNX export: the template branch (once per sequence) and the
search branch (once per frame). Post-processing (window penalty, box mapping) stays in the tracker (NumPy)."""

from __future__ import annotations

import torch

from ltr_core.api import ExportPart


class _TemplateBranch(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, template):
        return self.net.template_branch(template)


class _SearchBranch(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, search, queries):
        out = self.net.search_branch(search, queries)
        return out["pred_logits"], out["pred_boxes"]


def export_parts(net, template_size: int = 128, search_size: int = 256) -> list[ExportPart]:
    """HCAT's template branch (once per sequence) and search branch (per frame).

    ``template (B,3,T,T) -> queries (B,q,d)``; ``search (B,3,S,S), queries -> pred_logits (B,HW,2),
    pred_boxes (B,HW,4)``, with T, S the tracker's crop sizes and any batch B (exported at 1)."""
    net = net.eval()
    template = torch.zeros(1, 3, template_size, template_size)
    with torch.no_grad():
        queries = net.template_branch(template)
    batch = {0: "batch"}          # any batch: `ltr eval --batch N --runtime onnx` runs N sequences per call
    return [
        ExportPart("template_branch", _TemplateBranch(net), {"template": template}, ["queries"],
                   dynamic_axes={"template": batch, "queries": batch}),
        ExportPart("search_branch", _SearchBranch(net),
                   {"search": torch.zeros(1, 3, search_size, search_size), "queries": queries},
                   ["pred_logits", "pred_boxes"], as_dict=True,
                   dynamic_axes={"search": batch, "queries": batch, "pred_logits": batch, "pred_boxes": batch}),
    ]
