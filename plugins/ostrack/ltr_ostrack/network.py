"""OSTrack's network: the one-stream ViT and the centre head on its search tokens.

The head sees the search tokens as a (C, S/16, S/16) map and runs three branches of four conv-BN-ReLU layers
(C -> c -> c/2 -> c/4 -> c/8) and a 1x1 conv: the centre score (sigmoid, clamped to [1e-4, 1 - 1e-4]), the
box size (likewise) and the sub-cell offset of the centre. The box is ((argmax cell + offset) / S16, size at
that cell), as normalised cx, cy, w, h in the search crop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Union

import torch
from torch import nn

from ltr_core.api import CropSize, NonNegativeFloat, PositiveInt
from ltr_ostrack.vit import OneStreamViT


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class CenterHead(nn.Module):
    def __init__(self, in_channels: int, channels: int, feat_sz: int):
        super().__init__()
        self.feat_sz = feat_sz
        for branch, out in (("ctr", 1), ("offset", 2), ("size", 2)):
            widths = [in_channels, channels, channels // 2, channels // 4, channels // 8]
            for i in range(4):
                setattr(self, f"conv{i + 1}_{branch}", _conv(widths[i], widths[i + 1]))
            setattr(self, f"conv5_{branch}", nn.Conv2d(channels // 8, out, kernel_size=1))
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def _branch(self, name: str, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, 6):
            x = getattr(self, f"conv{i}_{name}")(x)
        return x

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(score map, size map, offset map) for the feature map ``x``."""
        score = torch.clamp(self._branch("ctr", x).sigmoid(), min=1e-4, max=1 - 1e-4)
        size = torch.clamp(self._branch("size", x).sigmoid(), min=1e-4, max=1 - 1e-4)
        return score, size, self._branch("offset", x)

    def boxes(self, score: torch.Tensor, size: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
        return decode_boxes(score, size, offset, self.feat_sz)


def decode_boxes(score: torch.Tensor, size: torch.Tensor, offset: torch.Tensor, feat_sz: int) -> torch.Tensor:
    """(B, 4) normalised cx, cy, w, h at each score map's maximum: (cell + offset) / feat_sz and the size there."""
    index = score.flatten(1).max(dim=1, keepdim=True)[1]
    iy, ix = index // feat_sz, index % feat_sz
    at = index.unsqueeze(1).expand(index.shape[0], 2, 1)
    wh = size.flatten(2).gather(2, at).squeeze(-1)
    off = offset.flatten(2).gather(2, at).squeeze(-1)
    return torch.cat([(ix.to(torch.float) + off[:, :1]) / feat_sz, (iy.to(torch.float) + off[:, 1:]) / feat_sz, wh],
                     dim=1)


def centre_token_mask(feat_z: int, batch: int = 1, device=None) -> torch.Tensor:
    """CE's template range ``CTR_POINT``: the template token at the crop's centre, (B, feat_z^2) bool. The original
    knows the centre index for grids of 7, 8, 12 and 14 tokens; these are the sizes it accepts."""
    centre = {7: 3, 8: 3, 12: 5, 14: 6}.get(feat_z)
    if centre is None:
        raise ValueError(f"the template grid is {feat_z}x{feat_z} tokens; OSTrack's centre-token mask is defined for "
                         "7, 8, 12 and 14 (template_size / patch_size)")
    mask = torch.zeros(batch, feat_z, feat_z, device=device)
    mask[:, centre, centre] = 1
    return mask.flatten(1).to(torch.bool)


class OSTrackNet(nn.Module):
    """The one-stream ViT and the centre head. Extension points for a network built on this one (public, kept
    within ltr-ostrack's major version): :meth:`forward_features` (the search tokens as a feature map) and
    :meth:`forward_head` (the outputs computed from it); a subclass adds a head by overriding
    :meth:`forward_head` and calling the parent's. ``head_channels`` is kept to rebuild the head."""

    def __init__(self, backbone: OneStreamViT, head_channels: int):
        super().__init__()
        self.backbone = backbone
        self.head_channels = head_channels
        self.box_head = CenterHead(backbone.embed_dim, head_channels, backbone.feat_x)
        self.feat_sz_s = backbone.feat_x

    @property
    def ce_keep_ratio(self) -> list[float]:
        return self.backbone.ce_keep_ratio

    def forward(self, template: torch.Tensor, search: torch.Tensor, ce_template_mask: torch.Tensor | None = None,
                ce_keep_rate: float | None = None) -> dict[str, torch.Tensor]:
        feat, removed = self.forward_features(template, search, ce_template_mask, ce_keep_rate)
        return {**self.forward_head(feat), "removed_indexes_s": removed}

    def forward_features(self, template: torch.Tensor, search: torch.Tensor,
                         ce_template_mask: torch.Tensor | None = None, ce_keep_rate: float | None = None):
        """``(feature map (B, C, S/16, S/16) of the search tokens after the last block, CE's removed indexes)``."""
        tokens, removed = self.backbone(template, search, ce_template_mask, ce_keep_rate)
        feat = tokens[:, -self.feat_sz_s ** 2:].transpose(1, 2)
        return feat.reshape(feat.shape[0], feat.shape[1], self.feat_sz_s, self.feat_sz_s), removed

    def forward_head(self, feat: torch.Tensor) -> dict[str, torch.Tensor]:
        """The centre head's outputs: ``pred_boxes`` (B, 1, 4) normalised cx, cy, w, h and the three maps."""
        score, size, offset = self.box_head(feat)
        boxes = self.box_head.boxes(score, size, offset)
        return {"pred_boxes": boxes.view(-1, 1, 4), "score_map": score, "size_map": size, "offset_map": offset}

    def track_forward(self, template: torch.Tensor, search: torch.Tensor):
        """What the tracker runs per frame (and what is exported to ONNX): score, size and offset maps with CE's
        centre-token mask, at the keep ratios the network was built with."""
        mask = centre_token_mask(self.backbone.feat_z, template.shape[0], template.device) \
            if self.backbone.ce_loc else None
        out = self(template, search, mask)
        return out["score_map"], out["size_map"], out["offset_map"]


def pretrained_path(path: str) -> Path:
    """A relative ``net.pretrained`` is looked up in ``$LTR_PRETRAINED_DIR`` (default ``~/.cache/ltr/pretrained``)."""
    import os

    p = Path(os.path.expandvars(os.path.expanduser(path)))
    if not p.is_absolute():
        p = Path(os.environ.get("LTR_PRETRAINED_DIR", "~/.cache/ltr/pretrained")).expanduser() / p
    return p


def load_mae(backbone: OneStreamViT, path: str) -> dict:
    """Initialise the backbone from MAE's ImageNet ViT (``mae_pretrain_vit_base.pth``, timm-style names under
    ``model``), as the original does, then resize its position embeddings to the template and search grids.
    Only tensors are read from the file; nothing in it runs."""
    from ltr_core.train.importing import read_foreign

    file = pretrained_path(path)
    if not file.is_file():
        raise RuntimeError(f"MAE weights not found at {file}: download "
                           "https://dl.fbaipublicfiles.com/mae/pretrain/mae_pretrain_vit_base.pth and put it there "
                           "(relative paths are taken from $LTR_PRETRAINED_DIR), or train from scratch: --set "
                           "net.pretrained=null")
    state = read_foreign(file)
    state = state.get("model", state) if isinstance(state, dict) else state
    tensors = {k: v for k, v in state.items() if torch.is_tensor(v)}
    own = backbone.state_dict()
    fits = {k: v for k, v in tensors.items() if k in own and own[k].shape == v.shape}
    if "pos_embed" not in fits:
        raise RuntimeError(f"{file} has no pos_embed of shape {tuple(own['pos_embed'].shape)}: is it a ViT of this "
                           "width and patch size?")
    backbone.load_state_dict(fits, strict=False)
    backbone.split_position_embedding()
    return {"loaded": len(fits), "of": len(own), "unused": len(tensors) - len(fits)}


def build_net(embed_dim: PositiveInt = 768, depth: PositiveInt = 12, num_heads: PositiveInt = 12,
              mlp_ratio: float = 4.0, patch_size: PositiveInt = 16, template_size: CropSize = 128,
              search_size: CropSize = 256, pretrain_img_size: CropSize = 224, ce_loc: list = (3, 6, 9),
              ce_keep_ratio: list = (0.7, 0.7, 0.7), drop_path_rate: NonNegativeFloat = 0.1,
              head_channels: PositiveInt = 256, pretrained: Union[str, None] = None,
              grad_checkpointing: bool = False, stem: Literal["patch", "conv"] = "patch") -> OSTrackNet:
    """OSTrack: one-stream ViT with candidate elimination (ce_loc, ce_keep_ratio) and a centre head.
    ``pretrained``: MAE ViT weights to start the backbone from (a path; relative to $LTR_PRETRAINED_DIR).
    ``grad_checkpointing``: in training, keep only each ViT block's input and recompute the block in the
    backward pass (less memory per sample, about one more forward pass of time; the same gradients).
    ``stem``: ``patch``, the original's one-layer patch projection, or ``conv``, a small stride-2 conv stack in its
    place (not in the original, so not with ``pretrained``; for ViTs trained from scratch, as ``ostrack/demo``)."""
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim {embed_dim} is not a multiple of num_heads {num_heads}")
    if template_size % patch_size or search_size % patch_size:
        raise ValueError(f"template_size {template_size} and search_size {search_size} must be multiples of "
                         f"patch_size {patch_size}")
    if any(not 0 <= i < depth for i in ce_loc) or any(not 0 < r <= 1 for r in ce_keep_ratio):
        raise ValueError(f"ce_loc {list(ce_loc)} must be block indices below depth {depth} and ce_keep_ratio "
                         f"{list(ce_keep_ratio)} ratios in (0, 1]")
    if stem == "conv" and pretrained:
        raise ValueError("net.stem conv has no pretrained weights: MAE's ViT has a patch projection; use stem: "
                         "patch with net.pretrained, or net.pretrained: null")
    backbone = OneStreamViT(embed_dim, depth, num_heads, mlp_ratio, patch_size, template_size, search_size,
                            pretrain_img_size, tuple(ce_loc), tuple(ce_keep_ratio), drop_path_rate,
                            grad_checkpointing, stem)
    backbone.init_weights()
    if ce_loc:
        centre_token_mask(backbone.feat_z)          # the grid must be one CE's centre mask knows
    if pretrained:
        load_mae(backbone, pretrained)
    return OSTrackNet(backbone, head_channels)
