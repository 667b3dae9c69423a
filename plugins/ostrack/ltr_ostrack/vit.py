"""OSTrack's one-stream ViT: template and search patches, each with its own position embedding, pass through one
stack of transformer blocks together; candidate elimination (CE) drops the search tokens the template's centre
attends to least after given blocks, and puts zeros back in their places at the end.

Parameter names and shapes are the original's (``backbone.blocks.0.attn.qkv.weight``, ``pos_embed_z``, ...), so
its checkpoints load with ``strict=True`` and MAE's ImageNet ViT weights (timm names) load into it.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint


class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, dim: int, in_chans: int = 3):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)          # (B, C, H, W) -> (B, HW, C)


class ConvStem(nn.Module):
    """A convolutional stem in place of the patch projection (not in the original; for ViTs trained from scratch,
    which learn faster with one, Xiao et al. 2021): log2(patch_size) 3x3 stride-2 conv-BN-ReLU layers widening to
    ``dim``, then a 1x1 conv, giving one token per patch like ``PatchEmbed``."""

    def __init__(self, patch_size: int, dim: int, in_chans: int = 3):
        super().__init__()
        steps = int(round(math.log2(patch_size)))
        if patch_size < 2 or 2 ** steps != patch_size:
            raise ValueError(f"a conv stem needs a power-of-two patch_size, not {patch_size}")
        layers, cin = [], in_chans
        for i in range(steps):
            cout = max(dim // 2 ** (steps - 1 - i), 8)
            layers += [nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
            cin = cout
        self.stem = nn.Sequential(*layers)
        self.proj = nn.Conv2d(cin, dim, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.stem(x)).flatten(2).transpose(1, 2)


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads, self.scale = num_heads, (dim // num_heads) ** -0.5
        self.qkv, self.proj = nn.Linear(dim, dim * 3), nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, need_weights: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The attended tokens and the attention weights (B, heads, N, N), or None when not ``need_weights``:
        then PyTorch's fused attention runs, which never stores the N x N weights."""
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4).unbind(0)
        if not need_weights:
            return self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, c)), None
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c)), attn


class DropPath(nn.Module):
    """Stochastic depth: during training, drop a sample's residual branch with probability p."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


def eliminate_candidates(attn: torch.Tensor, tokens: torch.Tensor, lens_t: int, keep_ratio: float,
                         index_s: torch.Tensor, template_mask: torch.Tensor | None):
    """Keep the ``ceil(keep_ratio * L_s)`` search tokens with the most attention from the template (from its
    tokens where ``template_mask`` is set, e.g. its centre); returns the tokens, the kept and the removed search
    indices (None when nothing is removed)."""
    lens_s = attn.shape[-1] - lens_t
    keep = math.ceil(keep_ratio * lens_s)
    if keep == lens_s:
        return tokens, index_s, None
    b, heads = attn.shape[:2]
    attn_t = attn[:, :, :lens_t, lens_t:]
    if template_mask is not None:
        mask = template_mask.unsqueeze(1).unsqueeze(-1).expand(-1, heads, -1, lens_s)
        attn_t = attn_t[mask].view(b, heads, -1, lens_s)
    score = attn_t.mean(dim=2).mean(dim=1)                                  # (B, L_s)
    order = torch.sort(score, dim=1, descending=True)[1]
    top, rest = order[:, :keep], order[:, keep:]
    tokens_s = tokens[:, lens_t:]
    kept = tokens_s.gather(1, top.unsqueeze(-1).expand(b, -1, tokens_s.shape[-1]))
    return torch.cat([tokens[:, :lens_t], kept], dim=1), index_s.gather(1, top), index_s.gather(1, rest)


class Block(nn.Module):
    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, drop_path: float, keep_ratio: float = 1.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.keep_ratio = keep_ratio

    def forward(self, x, index_t, index_s, template_mask=None, keep_ratio=None):
        eliminates = self.keep_ratio < 1 and (keep_ratio is None or keep_ratio < 1)
        attended, attn = self.attn(self.norm1(x), need_weights=eliminates)   # only CE reads the weights
        x = x + self.drop_path(attended)
        removed = None
        if eliminates:
            ratio = self.keep_ratio if keep_ratio is None else keep_ratio
            x, index_s, removed = eliminate_candidates(attn, x, index_t.shape[1], ratio, index_s, template_mask)
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x, index_s, removed


def resize_grid_embedding(pos: torch.Tensor, size: int) -> torch.Tensor:
    """(1, P*P, C) position embeddings of a P x P grid, resized bicubically to (1, size*size, C)."""
    p = int(round(math.sqrt(pos.shape[1])))
    grid = pos.transpose(1, 2).reshape(1, pos.shape[2], p, p)
    return F.interpolate(grid, size=(size, size), mode="bicubic", align_corners=False).flatten(2).transpose(1, 2)


class OneStreamViT(nn.Module):
    """``forward(z, x)``: template (B, 3, T, T) and search (B, 3, S, S) images -> (B, L_z + L_x, C) tokens (the
    removed search tokens as zeros in their places) and the removed indices of each CE location."""

    def __init__(self, embed_dim: int = 768, depth: int = 12, num_heads: int = 12, mlp_ratio: float = 4.0,
                 patch_size: int = 16, template_size: int = 128, search_size: int = 256, pretrain_img_size: int = 224,
                 ce_loc: tuple = (3, 6, 9), ce_keep_ratio: tuple = (0.7, 0.7, 0.7), drop_path_rate: float = 0.1,
                 grad_checkpointing: bool = False, stem: str = "patch"):
        super().__init__()
        self.grad_checkpointing = grad_checkpointing
        if len(ce_loc) != len(ce_keep_ratio):
            raise ValueError(f"ce_loc {list(ce_loc)} and ce_keep_ratio {list(ce_keep_ratio)} need one ratio per "
                             "location")
        self.patch_size, self.embed_dim = patch_size, embed_dim
        self.feat_z, self.feat_x = template_size // patch_size, search_size // patch_size
        self.patch_embed = ConvStem(patch_size, embed_dim) if stem == "conv" else PatchEmbed(patch_size, embed_dim)
        # the pretrained ViT's class token and 224-px position embedding: kept so the original's checkpoints load,
        # used only to make pos_embed_z / pos_embed_x, never trained
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim), requires_grad=False)
        self.pos_embed = nn.Parameter(torch.zeros(1, (pretrain_img_size // patch_size) ** 2 + 1, embed_dim),
                                      requires_grad=False)
        rates = [x.item() for x in torch.linspace(0, drop_path_rate, depth)]
        keep = dict(zip(ce_loc, ce_keep_ratio))
        self.ce_loc, self.ce_keep_ratio = list(ce_loc), list(ce_keep_ratio)
        self.blocks = nn.Sequential(*[Block(embed_dim, num_heads, mlp_ratio, rates[i], keep.get(i, 1.0))
                                      for i in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.pos_embed_z = nn.Parameter(torch.zeros(1, self.feat_z ** 2, embed_dim))
        self.pos_embed_x = nn.Parameter(torch.zeros(1, self.feat_x ** 2, embed_dim))

    def init_weights(self) -> None:
        """The original's initialisation: truncated normal (std 0.02) for linear layers and embeddings, LayerNorm
        at one and zero, then the template and search position embeddings resized from ``pos_embed``."""
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        self.split_position_embedding()

    @torch.no_grad()
    def split_position_embedding(self) -> None:
        """``pos_embed_z`` and ``pos_embed_x`` from the square grid of ``pos_embed`` (its class token left out)."""
        grid = self.pos_embed[:, 1:]
        self.pos_embed_z.copy_(resize_grid_embedding(grid, self.feat_z))
        self.pos_embed_x.copy_(resize_grid_embedding(grid, self.feat_x))

    def forward(self, z: torch.Tensor, x: torch.Tensor, template_mask: torch.Tensor | None = None,
                keep_ratio: float | None = None):
        b = x.shape[0]
        z = self.patch_embed(z) + self.pos_embed_z
        x = self.patch_embed(x) + self.pos_embed_x
        tokens = torch.cat([z, x], dim=1)
        lens_z, lens_x = self.pos_embed_z.shape[1], self.pos_embed_x.shape[1]
        index_t = torch.linspace(0, lens_z - 1, lens_z, device=x.device).repeat(b, 1)
        index_s = torch.linspace(0, lens_x - 1, lens_x, device=x.device).repeat(b, 1)
        removed = []
        recompute = self.grad_checkpointing and self.training and torch.is_grad_enabled()
        for i, block in enumerate(self.blocks):
            if recompute:       # keep only each block's input; its activations are recomputed in the backward pass
                tokens, index_s, gone = checkpoint(block, tokens, index_t, index_s, template_mask, keep_ratio,
                                                   use_reentrant=False)
            else:
                tokens, index_s, gone = block(tokens, index_t, index_s, template_mask, keep_ratio)
            if i in self.ce_loc and gone is not None:
                removed.append(gone)
        tokens = self.norm(tokens)
        z, x = tokens[:, :lens_z], tokens[:, lens_z:]
        if removed:
            dropped = torch.cat(removed, dim=1)
            x = torch.cat([x, x.new_zeros(b, lens_x - x.shape[1], x.shape[2])], dim=1)
            order = torch.cat([index_s, dropped], dim=1).to(torch.int64).unsqueeze(-1).expand(b, -1, x.shape[2])
            x = torch.zeros_like(x).scatter_(1, order, x)
        return torch.cat([z, x], dim=1), removed
