"""ATOM's online target classifier: a 1x1 projection of the backbone features to a few channels followed by a
small correlation filter, regressed onto Gaussian labels centred on the target.

At the first frame projection and filter are learned together (Gauss-Newton with CG on the augmented
samples; the projection's step is preconditioned by its regularisation weight relative to the filter's).
Afterwards the projection is fixed and the filter is updated from a memory of past samples whose weights
decay with a learning rate, the first frame's samples keeping a minimum share.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ltr_core.track.online import gauss_newton_cg

ACTIVATIONS = ("none", "relu", "elu", "mlu")


def activation(name: str, param: float = 1.0):
    """``none``, ``relu``, ``elu`` (alpha ``param``) or ``mlu``: elu(leaky_relu(x, 1/param), param), smooth and
    bounded below by ``-param`` (ATOM's response activation)."""
    if name == "none":
        return lambda x: x
    if name == "relu":
        return F.relu
    if name == "elu":
        return lambda x: F.elu(x, param)
    if name == "mlu":
        return lambda x: F.elu(F.leaky_relu(x, 1 / param), param)
    raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}")


def conv_same(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Correlation keeping the input size; for an even kernel, output ``m`` is centred half a cell before
    input ``m`` (padding k//2, last row/column dropped)."""
    kh, kw = weight.shape[-2:]
    out = F.conv2d(x, weight, padding=(kh // 2, kw // 2))
    return out[..., :out.shape[-2] - (1 - kh % 2), :out.shape[-1] - (1 - kw % 2)]


class SampleMemory:
    """A fixed number of (sample, label) slots with weights: a new sample replaces the lowest-weighted slot
    (past the first frame's ones when those keep a minimum share) and gets weight ``lr`` relative to the rest;
    pytracking's ``update_sample_weights`` arithmetic, step for step."""

    def __init__(self, samples: torch.Tensor, labels: torch.Tensor, size: int, learning_rate: float,
                 init_min_weight: float):
        n = samples.shape[0]
        if n > size:
            raise ValueError(f"tracker.sample_memory_size {size} is smaller than the first frame's {n} samples")
        self.samples = samples.new_zeros((size,) + samples.shape[1:])
        self.labels = labels.new_zeros((size,) + labels.shape[1:])
        self.weights = samples.new_zeros(size)
        self.samples[:n], self.labels[:n], self.weights[:n] = samples, labels, 1.0 / n
        self.num_init = n
        self.num_stored = n
        self.learning_rate = learning_rate
        self.init_min_weight = init_min_weight or None
        self._previous = None

    def add(self, sample: torch.Tensor, label: torch.Tensor, learning_rate: float | None = None) -> int:
        lr = self.learning_rate if learning_rate is None else learning_rate
        w = self.weights
        if lr >= 1:
            w.zero_()
            w[0] = 1
            slot = 0
        else:
            first = self.num_init if self.init_min_weight is not None else 0
            slot = first + int(torch.argmin(w[first:]))
            if self._previous is None:
                w /= 1 - lr
                w[slot] = lr
            else:
                w[slot] = w[self._previous] / (1 - lr)
        w /= w.sum()
        share = self.init_min_weight
        if share is not None and float(w[:self.num_init].sum()) < share:
            # pytracking's arithmetic (its golden test): the later weights are divided by share + their sum, so
            # all weights together come to slightly more than 1
            w /= share + w[self.num_init:].sum()
            w[:self.num_init] = share / self.num_init
        self._previous = slot
        self.samples[slot] = sample
        self.labels[slot] = label
        self.num_stored += 1
        return slot

    def filled(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n = min(self.num_stored, self.samples.shape[0])
        return self.samples[:n], self.labels[:n], self.weights[:n]


class OnlineClassifier:
    """Projection ``P`` (compressed_dim x C x 1 x 1) and filter ``f`` (1 x compressed_dim x kh x kw)."""

    def __init__(self, kernel_size=(4, 4), compressed_dim: int = 64, filter_reg: float = 0.1,
                 projection_reg: float = 1e-4, learning_rate: float = 0.01, init_samples_minimum_weight: float = 0.25,
                 sample_memory_size: int = 250, projection_activation=("none", 1.0),
                 response_activation=("mlu", 0.05), proj_init_method: str = "randn",
                 filter_init_method: str = "randn", update_projection_matrix: bool = True,
                 fletcher_reeves: bool = False, standard_alpha: bool = True):
        self.kernel_size = tuple(kernel_size)
        self.compressed_dim = compressed_dim
        self.filter_reg = filter_reg
        self.projection_reg = projection_reg
        self.learning_rate = learning_rate
        self.init_min_weight = init_samples_minimum_weight
        self.memory_size = sample_memory_size
        self.projection_activation = activation(*projection_activation)
        self.response_activation = activation(*response_activation)
        if proj_init_method not in ("randn", "pca"):
            raise ValueError(f"tracker.proj_init_method {proj_init_method!r}: choose randn or pca")
        if filter_init_method not in ("randn", "zeros"):
            raise ValueError(f"tracker.filter_init_method {filter_init_method!r}: choose randn or zeros")
        self.proj_init_method = proj_init_method
        self.filter_init_method = filter_init_method
        self.update_projection_matrix = update_projection_matrix
        self.cg = {"fletcher_reeves": fletcher_reeves, "standard_alpha": standard_alpha}
        self.projection = self.filter = self.memory = None

    def project(self, features: torch.Tensor) -> torch.Tensor:
        return self.projection_activation(F.conv2d(features, self.projection))

    def scores(self, compressed: torch.Tensor) -> torch.Tensor:
        """Raw correlation scores (N, 1, H, W) of projected features; no response activation."""
        return conv_same(compressed, self.filter)

    def _init_variables(self, features: torch.Tensor) -> None:
        c = features.shape[1]
        if self.proj_init_method == "pca":
            x = features.permute(1, 0, 2, 3).reshape(c, -1)
            x = x - x.mean(1, keepdim=True)
            u = torch.linalg.svd(x @ x.T)[0]
            self.projection = u[:, :self.compressed_dim].T.reshape(self.compressed_dim, c, 1, 1).contiguous()
        else:
            self.projection = features.new_zeros(self.compressed_dim, c, 1, 1).normal_(0, 1 / math.sqrt(c))
        self.filter = features.new_zeros((1, self.compressed_dim) + self.kernel_size)
        if self.filter_init_method == "randn":
            self.filter.normal_(0, 1 / self.filter.numel())

    def initialize(self, features: torch.Tensor, labels: torch.Tensor, gn_iterations: int = 6,
                   cg_iterations: int = 60, post_cg_iterations: int = 0) -> None:
        """Learn from the first frame's samples (N, C, H, W) and labels (N, 1, H, W). ``cg_iterations`` is the
        total, spread over the Gauss-Newton iterations, as in pytracking's ``init_CG_iter``."""
        self._init_variables(features)
        n = features.shape[0]
        root_w = math.sqrt(1.0 / n)
        if self.update_projection_matrix:
            def joint(v):
                f, p = v
                compressed = self.projection_activation(F.conv2d(features, p))
                return [root_w * (self.response_activation(conv_same(compressed, f)) - labels),
                        math.sqrt(self.filter_reg) * f, math.sqrt(self.projection_reg) * p]

            self.filter, self.projection = gauss_newton_cg(
                joint, [self.filter, self.projection], gn_iterations, max(1, cg_iterations // gn_iterations),
                preconditioner=[self.filter_reg, self.projection_reg], **self.cg)
        with torch.no_grad():
            compressed = self.project(features)
        self.memory = SampleMemory(compressed, labels, self.memory_size, self.learning_rate, self.init_min_weight)
        if not self.update_projection_matrix:
            self.train(cg_iterations)
        self.train(post_cg_iterations)

    def train(self, cg_iterations: int) -> None:
        """One linearised update of the filter on the memory (projection fixed)."""
        if cg_iterations <= 0:
            return
        samples, labels, weights = self.memory.filled()
        root_w = weights.sqrt().view(-1, 1, 1, 1)

        def residuals(v):
            return [root_w * (self.response_activation(conv_same(samples, v[0])) - labels),
                    math.sqrt(self.filter_reg) * v[0]]

        self.filter, = gauss_newton_cg(residuals, [self.filter], 1, cg_iterations, **self.cg)

    def add_sample(self, compressed: torch.Tensor, label: torch.Tensor, learning_rate: float | None = None) -> None:
        self.memory.add(compressed[0], label[0], learning_rate)
