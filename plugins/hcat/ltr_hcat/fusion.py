"""HCAT's feature fusion: query layer, N hierarchical cross-attention layers, one decoder layer.

Tokens are batch-first ``(B, L, d)``. Attention goes through ``nn.MultiheadAttention`` with
``need_weights=False``, which uses PyTorch's fused scaled-dot-product kernels.
"""

from __future__ import annotations

from torch import nn
from torch.nn import functional as F


def _attend(attn: nn.MultiheadAttention, q, k, v):
    return attn(q, k, v, need_weights=False)[0]


class QueryLayer(nn.Module):
    """Learned queries read the template. Output LN(a + Dropout(a)): the original adds ``a`` to itself, which
    the released weights were trained with, so it is kept."""

    def __init__(self, d: int, nhead: int, dropout: float):
        super().__init__()
        self.multihead_attn = nn.MultiheadAttention(d, nhead, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(d)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query_embed, template, template_pos):
        a = _attend(self.multihead_attn, query_embed, template + template_pos, template)
        return self.norm(a + self.dropout(a))


class FusionLayer(nn.Module):
    """Search tokens attend to the queries, then the queries attend to the updated search tokens.

    Which released parameters serve which update cannot be read from the names, and a strict load cannot catch
    a swap: the search update uses ``multihead_attn2``, ``linear21/22``, ``norm22/23``; the query update uses
    ``multihead_attn1``, ``linear11/12``, ``norm12/13`` (checked against the original's outputs by
    ``tests/test_hcat_golden.py``).
    """

    def __init__(self, d: int, nhead: int, dim_ff: int, dropout: float):
        super().__init__()
        self.multihead_attn1 = nn.MultiheadAttention(d, nhead, dropout=dropout, batch_first=True)
        self.multihead_attn2 = nn.MultiheadAttention(d, nhead, dropout=dropout, batch_first=True)
        self.linear11, self.linear12 = nn.Linear(d, dim_ff), nn.Linear(dim_ff, d)
        self.linear21, self.linear22 = nn.Linear(d, dim_ff), nn.Linear(dim_ff, d)
        self.norm12, self.norm13 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.norm22, self.norm23 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.dropout = nn.Dropout(dropout)

    def forward(self, search, search_pos, queries, query_pos):
        drop = self.dropout
        search = self.norm22(search + drop(_attend(self.multihead_attn2, search + search_pos, queries + query_pos,
                                                   queries)))
        search = self.norm23(search + drop(self.linear22(drop(F.relu(self.linear21(search))))))
        queries = self.norm12(queries + drop(_attend(self.multihead_attn1, queries + query_pos, search + search_pos,
                                                     search)))
        queries = self.norm13(queries + drop(self.linear12(drop(F.relu(self.linear11(queries))))))
        return search, queries


class DecoderLayer(nn.Module):
    def __init__(self, d: int, nhead: int, dim_ff: int, dropout: float):
        super().__init__()
        self.multihead_attn = nn.MultiheadAttention(d, nhead, dropout=dropout, batch_first=True)
        self.linear1, self.linear2 = nn.Linear(d, dim_ff), nn.Linear(dim_ff, d)
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.dropout = nn.Dropout(dropout)

    def forward(self, search, search_pos, queries, query_pos):
        drop = self.dropout
        search = self.norm1(search + drop(_attend(self.multihead_attn, search + search_pos, queries + query_pos,
                                                  queries)))
        return self.norm2(search + drop(self.linear2(drop(F.relu(self.linear1(search))))))


class Encoder(nn.Module):
    def __init__(self, d, nhead, dim_ff, dropout, num_layers):
        super().__init__()
        self.query_layer = QueryLayer(d, nhead, dropout)
        self.layers = nn.ModuleList(FusionLayer(d, nhead, dim_ff, dropout) for _ in range(num_layers))


class Decoder(nn.Module):
    def __init__(self, d, nhead, dim_ff, dropout):
        super().__init__()
        self.layers = nn.ModuleList([DecoderLayer(d, nhead, dim_ff, dropout)])
        self.norm = nn.LayerNorm(d)


class FeatureFusionNetwork(nn.Module):
    def __init__(self, d: int = 256, nhead: int = 8, dim_ff: int = 2048, dropout: float = 0.1, num_layers: int = 2):
        super().__init__()
        self.encoder = Encoder(d, nhead, dim_ff, dropout, num_layers)
        self.decoder = Decoder(d, nhead, dim_ff, dropout)

    def queries(self, query_embed, template, template_pos):
        """The template branch's output: learned queries after reading the template (once per sequence)."""
        return self.encoder.query_layer(query_embed, template, template_pos)

    def forward(self, search, search_pos, queries, query_pos):
        for layer in self.encoder.layers:
            search, queries = layer(search, search_pos, queries, query_pos)
        for layer in self.decoder.layers:
            search = layer(search, search_pos, queries, query_pos)
        return self.decoder.norm(search)
