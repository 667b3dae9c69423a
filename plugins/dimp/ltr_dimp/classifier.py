"""DiMP's target classifier: a feature block on the trunk's layer3, a filter initialised from the target region and
refined by a few unrolled optimiser steps on the template frames, then correlated with the search frames.

Two optimisers, with the parameter names of pytracking's ``ltr/models/target_classifier`` so its weights load:

* :class:`SteepestDescentGN` (DiMP): the loss is a masked hinge-like least squares whose label, target mask and
  spatial weight are learned functions of the distance to the target centre (piecewise-linear bins); each step is
  steepest descent with the Gauss-Newton step length ``|g|^2 / (|J g|^2 + lambda |g|^2)``.
* :class:`SteepestDescentNewton` (PrDiMP): the loss is the KL divergence between the softmax of the scores and a
  Gaussian label density; the step length uses the softmax's Hessian.

Shapes: features ``(images, sequences, C, H, W)``, boxes ``(images, sequences, 4)`` in image pixels (x, y, w, h),
filters ``(sequences, C, k, k)``, scores ``(images, sequences, H + 1 - k % 2, W + 1 - k % 2)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ltr_atom.prroi_pool import PrRoIPool2D


def correlate(feat: torch.Tensor, filt: torch.Tensor) -> torch.Tensor:
    """Scores of each sequence's filter on its own frames: (images, sequences, C, H, W) x (sequences, C, k, k)."""
    images, sequences = feat.shape[:2]
    pad = (filt.shape[-2] // 2, filt.shape[-1] // 2)
    out = F.conv2d(feat.reshape(images, -1, *feat.shape[-2:]), filt, padding=pad, groups=sequences)
    return out.reshape(images, sequences, *out.shape[-2:])


def correlate_transpose(feat: torch.Tensor, maps: torch.Tensor, ksize: tuple[int, int]) -> torch.Tensor:
    """The adjoint of :func:`correlate` in the filter: ``sum_images feat (*) maps`` -> (sequences, C, k, k)."""
    images, sequences, channels = feat.shape[:3]
    pad = (ksize[0] // 2, ksize[1] // 2)
    grad = F.conv2d(feat.reshape(images * sequences, channels, *feat.shape[-2:]).transpose(0, 1),
                    maps.reshape(images * sequences, 1, *maps.shape[-2:]), padding=pad, groups=images * sequences)
    return grad.reshape(channels, images, sequences, *grad.shape[-2:]).sum(1).transpose(0, 1)


class InstanceL2Norm(nn.Module):
    """Scale each sample to a fixed root-mean-square: ``x * scale * sqrt(numel / (sum x^2 + eps))``."""

    def __init__(self, scale: float = 1.0, eps: float = 1e-5):
        super().__init__()
        self.scale, self.eps = scale, eps

    def forward(self, x):
        energy = (x * x).flatten(1).sum(1).view(-1, 1, 1, 1)
        return x * (self.scale * (x[0].numel() / (energy + self.eps)).sqrt())


def feature_block(trunk: str, out_dim: int, filter_size: int, blocks: int) -> nn.Sequential:
    """The classification features: ``blocks`` residual blocks (basic for ResNet-18, bottleneck for ResNet-50) on
    layer3, a 3x3 convolution to ``out_dim`` channels and the instance L2 norm (DiMP's ``norm_scale``)."""
    from torchvision.models.resnet import BasicBlock, Bottleneck

    layers: list[nn.Module] = []
    if trunk == "resnet18":
        dim = 256
        layers += [BasicBlock(dim, dim) for _ in range(blocks)]
    else:
        dim = 1024
        for _ in range(blocks):
            layers.append(Bottleneck(dim, 256, downsample=None))
    layers.append(nn.Conv2d(dim, out_dim, kernel_size=3, padding=1, bias=False))
    layers.append(InstanceL2Norm(scale=math.sqrt(1.0 / (out_dim * filter_size * filter_size))))
    block = nn.Sequential(*layers)
    for m in block.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, 0, math.sqrt(2.0 / (m.kernel_size[0] * m.kernel_size[1] * m.out_channels)))
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return block


class FilterPool(nn.Module):
    """PrRoI-pool the target box into a ``size x size`` filter (no parameters)."""

    def __init__(self, size: int, stride: int):
        super().__init__()
        self.prroi_pool = PrRoIPool2D(size, size, 1.0 / stride)

    def forward(self, feat: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) features and (N, 4) boxes x, y, w, h -> (N, C, size, size)."""
        return self.prroi_pool(feat, boxes.reshape(-1, 1, 4))


class FilterInitializer(nn.Module):
    """A 3x3 convolution, then the target region pooled into the filter, averaged over the template frames."""

    def __init__(self, filter_size: int, feature_dim: int, stride: int = 16, zero_init: bool = False):
        super().__init__()
        self.filter_conv = nn.Conv2d(feature_dim, feature_dim, kernel_size=3, padding=1)
        self.filter_pool = FilterPool(filter_size, stride)
        if zero_init:
            nn.init.zeros_(self.filter_conv.weight)
        else:
            nn.init.normal_(self.filter_conv.weight, 0, math.sqrt(2.0 / (9 * feature_dim)))
        nn.init.zeros_(self.filter_conv.bias)

    def forward(self, feat: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        images = feat.shape[0]
        pooled = self.filter_pool(self.filter_conv(feat.reshape(-1, *feat.shape[-3:])), boxes)
        return pooled.reshape(images, -1, *pooled.shape[-3:]).mean(0)


def _centres(boxes: torch.Tensor, stride: int, ksize: tuple[int, int]) -> torch.Tensor:
    """Target centres (row, column) in feature cells, ``(images, sequences, 2)``; an odd filter's scores sit half
    a cell later than an even one's."""
    offset = torch.tensor([ksize[0] % 2, ksize[1] % 2], dtype=boxes.dtype, device=boxes.device) / 2
    return ((boxes[..., :2] + boxes[..., 2:] / 2) / stride).flip(-1) - offset


def softmax_reg(scores: torch.Tensor, reg: float | None = None) -> torch.Tensor:
    """Softmax over each map's last two dimensions; with ``reg``, an extra logit of that value joins the
    denominator (PrDiMP's ``softmax_reg``)."""
    flat = scores.flatten(-2)
    if reg is not None:
        extra = flat.new_full((*flat.shape[:-1], 1), float(reg))
        return torch.softmax(torch.cat([flat, extra], -1), -1)[..., :-1].reshape(scores.shape)
    return torch.softmax(flat, -1).reshape(scores.shape)


def _step(weights, grad, step_factor, alpha_num, alpha_den):
    alpha = alpha_num / alpha_den.clamp(min=1e-8)
    return weights - (step_factor * alpha).reshape(-1, 1, 1, 1) * grad


class _UnrolledSteps(nn.Module):
    """What DiMP's and PrDiMP's optimisers share: the learned step length and regulariser (pytracking's parameter
    names), and each call's sizes."""

    def __init__(self, num_iter: int, feat_stride: int, init_step_length: float, init_filter_reg: float,
                 min_filter_reg: float, alpha_eps: float):
        super().__init__()
        self.num_iter, self.feat_stride = num_iter, feat_stride
        self.min_filter_reg, self.alpha_eps = min_filter_reg, alpha_eps
        self.log_step_length = nn.Parameter(torch.full((1,), math.log(init_step_length)))
        self.filter_reg = nn.Parameter(torch.full((1,), float(init_filter_reg)))

    def _setup(self, weights: torch.Tensor, feat: torch.Tensor, boxes: torch.Tensor, num_iter: int | None):
        """-> steps, images, sequences, filter size, score map size, step factor, regulariser, target centres."""
        images, sequences = feat.shape[:2]
        ksize = tuple(weights.shape[-2:])
        size = (feat.shape[-2] + (ksize[0] + 1) % 2, feat.shape[-1] + (ksize[1] + 1) % 2)
        reg = (self.filter_reg * self.filter_reg).clamp(min=self.min_filter_reg ** 2)
        return (self.num_iter if num_iter is None else num_iter, images, sequences, ksize, size,
                torch.exp(self.log_step_length), reg, _centres(boxes, self.feat_stride, ksize))


class SteepestDescentGN(_UnrolledSteps):
    """DiMP's optimiser (pytracking's ``DiMPSteepestDescentGN`` with ``score_act='relu'``, ``mask_act='sigmoid'``)."""

    def __init__(self, num_iter: int = 5, feat_stride: int = 16, init_step_length: float = 1.0,
                 init_filter_reg: float = 1e-2, init_gauss_sigma: float = 1.0, num_dist_bins: int = 5,
                 bin_displacement: float = 1.0, mask_init_factor: float = 4.0, min_filter_reg: float = 1e-3,
                 alpha_eps: float = 0.0):
        super().__init__(num_iter, feat_stride, init_step_length, init_filter_reg, min_filter_reg, alpha_eps)
        self.num_bins, self.bin_displacement = num_dist_bins, bin_displacement
        d = torch.arange(num_dist_bins, dtype=torch.float32).reshape(1, -1, 1, 1) * bin_displacement
        gauss = torch.exp(-0.5 * (d / init_gauss_sigma) ** 2) if init_gauss_sigma else (d == 0).float()
        self.label_map_predictor = nn.Conv2d(num_dist_bins, 1, kernel_size=1, bias=False)
        self.label_map_predictor.weight.data.copy_(gauss - gauss.min())
        self.target_mask_predictor = nn.Sequential(nn.Conv2d(num_dist_bins, 1, kernel_size=1, bias=False),
                                                   nn.Sigmoid())
        self.target_mask_predictor[0].weight.data.copy_(mask_init_factor * torch.tanh(2.0 - d))
        self.spatial_weight_predictor = nn.Conv2d(num_dist_bins, 1, kernel_size=1, bias=False)
        self.spatial_weight_predictor.weight.data.fill_(1.0)

    def distance_bins(self, centres: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """(N, bins, H, W): each cell's distance to its centre spread over triangular bins, the last one open."""
        c = centres.reshape(-1, 2)
        rows = torch.arange(size[0], dtype=c.dtype, device=c.device).view(1, 1, -1, 1) - c[:, 0].view(-1, 1, 1, 1)
        cols = torch.arange(size[1], dtype=c.dtype, device=c.device).view(1, 1, 1, -1) - c[:, 1].view(-1, 1, 1, 1)
        bins = torch.arange(self.num_bins, dtype=c.dtype, device=c.device).view(1, -1, 1, 1)
        diff = torch.sqrt(rows * rows + cols * cols) / self.bin_displacement - bins
        return torch.cat([F.relu(1.0 - diff[:, :-1].abs()), (1.0 + diff[:, -1:]).clamp(0, 1)], 1)

    def forward(self, weights: torch.Tensor, feat: torch.Tensor, boxes: torch.Tensor, sample_weight=None,
                num_iter: int | None = None):
        """-> (final filter, [the filter before and after every step], [the loss at each step and after])."""
        num_iter, images, sequences, ksize, size, step_factor, reg, centres = self._setup(weights, feat, boxes,
                                                                                          num_iter)
        bins = self.distance_bins(centres, size)
        label = self.label_map_predictor(bins).reshape(images, sequences, *size)
        mask = self.target_mask_predictor(bins).reshape(images, sequences, *size)
        spatial = self.spatial_weight_predictor(bins).reshape(images, sequences, *size)
        if sample_weight is None:
            sw = math.sqrt(1.0 / images) * spatial
        else:
            sw = sample_weight.sqrt().reshape(images, sequences, 1, 1) * spatial
        slope_abs, slope_lin = (1.0 - mask) / 2.0, (1.0 + mask) / 2.0      # leaky ReLU with a learned slope

        def loss(w):
            s = correlate(feat, w)
            return (((sw * (slope_abs * s.abs() + slope_lin * s - label)) ** 2).sum() + reg * (w * w).sum()) / sequences

        iterates, losses = [weights], []
        for _ in range(num_iter):
            scores = correlate(feat, weights)
            derivative = slope_abs * torch.sign(scores.detach()) + slope_lin
            residuals = sw * (slope_abs * scores.abs() + slope_lin * scores - label)
            losses.append(((residuals ** 2).sum() + reg * (weights * weights).sum()) / sequences)
            grad = correlate_transpose(feat, derivative * (sw * residuals), ksize) + reg * weights
            jg = sw * (derivative * correlate(feat, grad))
            alpha_num = (grad * grad).sum((1, 2, 3))
            alpha_den = (jg * jg).reshape(images, sequences, -1).sum((0, 2)) + (reg + self.alpha_eps) * alpha_num
            weights = _step(weights, grad, step_factor, alpha_num, alpha_den)
            iterates.append(weights)
        losses.append(loss(weights))
        return weights, iterates, losses


class SteepestDescentNewton(_UnrolledSteps):
    """PrDiMP's optimiser (pytracking's ``PrDiMPSteepestDescentNewton``; ``softmax_reg``, uniform label weight,
    label shrink and threshold as there)."""

    def __init__(self, num_iter: int = 5, feat_stride: int = 16, init_step_length: float = 1.0,
                 init_filter_reg: float = 1e-2, gauss_sigma: float = 1.0, min_filter_reg: float = 1e-3,
                 alpha_eps: float = 0.0, init_uni_weight: float | None = None, normalize_label: bool = False,
                 label_shrink: float = 0.0, softmax_reg: float | None = None, label_threshold: float = 0.0):
        super().__init__(num_iter, feat_stride, init_step_length, init_filter_reg, min_filter_reg, alpha_eps)
        self.gauss_sigma = gauss_sigma
        self.uni_weight = init_uni_weight or 0.0
        self.normalize_label, self.label_shrink = normalize_label, label_shrink
        self.softmax_reg, self.label_threshold = softmax_reg, label_threshold

    def label_density(self, centres: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """(images, sequences, H, W) Gaussian density around each centre (cells), thresholded, optionally
        normalised to sum 1, mixed with a uniform share and shrunk."""
        c = centres.reshape(centres.shape[0], -1, 2)
        rows = (torch.arange(size[0], dtype=c.dtype, device=c.device).view(1, 1, -1, 1) - c[..., 0, None, None]) ** 2
        cols = (torch.arange(size[1], dtype=c.dtype, device=c.device).view(1, 1, 1, -1) - c[..., 1, None, None]) ** 2
        if self.gauss_sigma == 0:
            g = (rows == rows.amin(-2, keepdim=True)).to(c.dtype) * (cols == cols.amin(-1, keepdim=True)).to(c.dtype)
        else:
            k = -1.0 / (2 * self.gauss_sigma ** 2)
            g = (torch.exp(k * rows) / (2 * math.pi * self.gauss_sigma ** 2)) * torch.exp(k * cols)
        g = g * (g > self.label_threshold).to(g.dtype)
        if self.normalize_label:
            g = g / (g.sum((-2, -1), keepdim=True) + 1e-8)
        return (1.0 - self.label_shrink) * ((1.0 - self.uni_weight) * g + self.uni_weight / (size[0] * size[1]))

    def forward(self, weights: torch.Tensor, feat: torch.Tensor, boxes: torch.Tensor, sample_weight=None,
                num_iter: int | None = None):
        num_iter, images, sequences, ksize, size, step_factor, reg, centres = self._setup(weights, feat, boxes,
                                                                                          num_iter)
        density = self.label_density(centres, size)
        if sample_weight is None:
            sw = feat.new_full((1, 1), 1.0 / images)
        else:
            sw = sample_weight.reshape(images, sequences)
        extra = 0.0 if self.softmax_reg is None else math.exp(self.softmax_reg)

        def loss(scores, w):
            nll = torch.log(scores.exp().sum((-2, -1)) + extra) - (density * scores).sum((-2, -1))
            return (sw * nll).sum() / sequences + reg * (w * w).sum() / sequences

        iterates, losses = [weights], []
        for _ in range(num_iter):
            scores = correlate(feat, weights)
            prob = softmax_reg(scores, self.softmax_reg)
            losses.append(loss(scores, weights))
            grad = correlate_transpose(feat, sw[..., None, None] * (prob - density), ksize) + reg * weights
            sg = correlate(feat, grad)
            psg = prob * sg
            curvature = (sg * (psg - prob * psg.sum((-2, -1), keepdim=True))).flatten(2).sum(2).clamp(min=0)
            alpha_num = (grad * grad).sum((1, 2, 3))
            alpha_den = (sw * curvature).sum(0) + (reg + self.alpha_eps) * alpha_num
            weights = _step(weights, grad, step_factor, alpha_num, alpha_den)
            iterates.append(weights)
        losses.append(loss(correlate(feat, weights), weights))
        return weights, iterates, losses


class TargetClassifier(nn.Module):
    """Feature block, filter initialiser and optimiser (pytracking's ``LinearFilter``)."""

    def __init__(self, filter_size: int, feature_extractor: nn.Module, filter_initializer: nn.Module,
                 filter_optimizer: nn.Module):
        super().__init__()
        self.filter_size = filter_size
        self.feature_extractor = feature_extractor
        self.filter_initializer = filter_initializer
        self.filter_optimizer = filter_optimizer

    def extract_classification_feat(self, feat: torch.Tensor, sequences: int | None = None) -> torch.Tensor:
        """layer3 ``(N, C, H, W)`` -> classification features, ``(N / sequences, sequences, ...)`` if given."""
        out = self.feature_extractor(feat.reshape(-1, *feat.shape[-3:]))
        return out if sequences is None else out.reshape(-1, sequences, *out.shape[-3:])

    def get_filter(self, feat: torch.Tensor, boxes: torch.Tensor, **kw):
        weights = self.filter_initializer(feat, boxes)
        return self.filter_optimizer(weights, feat, boxes, **kw)

    def forward(self, template_feat, search_feat, template_boxes, **kw) -> list[torch.Tensor]:
        """Scores of the search frames for the filter after every optimiser step (the first: the initial filter),
        the filter learned on the template frames (pytracking's train frames)."""
        sequences = template_boxes.shape[1]
        template = self.extract_classification_feat(template_feat, sequences)
        search = self.extract_classification_feat(search_feat, sequences)
        _, iterates, _ = self.get_filter(template, template_boxes, **kw)
        return [correlate(search, w) for w in iterates]
