"""The HCAT network: shared ResNet trunk, query layer on the template, hierarchical cross-attention fusion
with the search tokens, and classification / box heads on every search token."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from ltr_core.api import PositiveFloat, PositiveInt, UnitInterval
from ltr_hcat.backbone import Backbone
from ltr_hcat.fusion import FeatureFusionNetwork
from ltr_hcat.position_encoding import PositionEmbeddingSine


class MLP(nn.Module):
    """``num_layers`` linear layers with ReLU between them."""

    def __init__(self, in_dim: int, hidden: int, out_dim: int, num_layers: int):
        super().__init__()
        dims = [in_dim] + [hidden] * (num_layers - 1) + [out_dim]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x) if i == len(self.layers) - 1 else F.relu(layer(x))
        return x


class Joiner(nn.Sequential):
    """Backbone and position encoding as ``backbone.0`` / ``backbone.1`` (the released checkpoints' names)."""

    def __init__(self, backbone: Backbone, position: PositionEmbeddingSine):
        super().__init__(backbone, position)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feat = self[0](images)
        pos = self[1](feat.shape[-2], feat.shape[-1], feat.device, feat.dtype)
        return feat, pos


class HCAT(nn.Module):
    """``net(search, template)`` -> ``{"pred_logits": (B, HW, 2), "pred_boxes": (B, HW, 4)}``.

    Boxes are ``(cx, cy, w, h)`` normalised to the search crop; class 0 is the target. For tracking,
    :meth:`template_branch` runs once per sequence and :meth:`search_branch` once per frame.
    """

    def __init__(self, backbone: Backbone, hidden_dim: int = 256, nheads: int = 8, dim_feedforward: int = 2048,
                 dropout: float = 0.1, num_fusion_layers: int = 2, num_queries: int = 16):
        super().__init__()
        self.featurefusion_network = FeatureFusionNetwork(hidden_dim, nheads, dim_feedforward, dropout,
                                                          num_fusion_layers)
        self.class_embed = MLP(hidden_dim, hidden_dim, 2, 3)
        self.bbox_embed = MLP(hidden_dim, hidden_dim, 4, 3)
        self.query_embed = nn.Embedding(num_queries, hidden_dim)
        self.input_proj = nn.Conv2d(backbone.num_channels, hidden_dim, kernel_size=1)
        self.backbone = Joiner(backbone, PositionEmbeddingSine(hidden_dim // 2))

    def _tokens(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feat, pos = self.backbone(images)
        tokens = self.input_proj(feat).flatten(2).transpose(1, 2)          # (B, HW, d), row-major
        pos = pos.flatten(1).transpose(0, 1).unsqueeze(0)                   # (1, HW, d)
        return tokens, pos

    def template_branch(self, template: torch.Tensor) -> torch.Tensor:
        """Backbone, position encoding and query layer on the template: the (B, q, d) queries."""
        tokens, pos = self._tokens(template)
        query_embed = self.query_embed.weight.unsqueeze(0).expand(tokens.shape[0], -1, -1)
        return self.featurefusion_network.queries(query_embed, tokens, pos)

    def search_branch(self, search: torch.Tensor, queries: torch.Tensor) -> dict[str, torch.Tensor]:
        tokens, pos = self._tokens(search)
        query_pos = self.query_embed.weight.unsqueeze(0)
        fused = self.featurefusion_network(tokens, pos, queries, query_pos)
        return {"pred_logits": self.class_embed(fused), "pred_boxes": self.bbox_embed(fused).sigmoid()}

    def forward(self, search: torch.Tensor, template: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.search_branch(search, self.template_branch(template))


def build_net(backbone: Literal["resnet18", "resnet34", "resnet50"] = "resnet18", pretrained_backbone: bool = True,
              hidden_dim: PositiveInt = 256, nheads: PositiveInt = 8, dim_feedforward: PositiveInt = 2048,
              dropout: UnitInterval = 0.1, num_fusion_layers: PositiveInt = 2, num_queries: PositiveInt = 16,
              backbone_width: PositiveFloat = 1.0) -> HCAT:
    """HCAT network (ResNet trunk to layer3, N fusion layers, q learned queries); ``backbone_width`` scales the
    trunk's channel counts (1.0: the original's trunk, the only width with ImageNet weights)."""
    return HCAT(Backbone(backbone, pretrained_backbone, backbone_width), hidden_dim, nheads, dim_feedforward,
                dropout, num_fusion_layers, num_queries)
