"""What HCAT's tracker runs at inference, for ONNX export: the template branch (once per sequence) and the
search branch (once per frame). Post-processing (window penalty, box mapping) stays in the tracker (NumPy)."""

from __future__ import annotations

import torch

from ltr_core.deploy.onnx import ExportPart


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

    ``template (1,3,T,T) -> queries (1,q,d)``; ``search (1,3,S,S), queries -> pred_logits (1,HW,2),
    pred_boxes (1,HW,4)``, with T, S the tracker's crop sizes."""
    net = net.eval()
    template = torch.zeros(1, 3, template_size, template_size)
    with torch.no_grad():
        queries = net.template_branch(template)
    return [
        ExportPart("template_branch", _TemplateBranch(net), {"template": template}, ["queries"]),
        ExportPart("search_branch", _SearchBranch(net),
                   {"search": torch.zeros(1, 3, search_size, search_size), "queries": queries},
                   ["pred_logits", "pred_boxes"], as_dict=True),
    ]
