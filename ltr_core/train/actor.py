"""Actor: runs the network on a batch and returns the loss and its statistics (pytracking's vocabulary)."""

from __future__ import annotations

import abc

import torch


class Actor(abc.ABC):
    """Plugins subclass this; the trainer only ever calls :meth:`__call__`, :meth:`set_epoch`, :meth:`train` and
    :meth:`to`.

    ``self.net`` may be replaced by the trainer with a DistributedDataParallel wrapper; use ``self.net(...)``
    for the forward pass so gradients are synchronised.
    """

    def __init__(self, net: torch.nn.Module, objective: torch.nn.Module | None = None):
        self.net = net
        self.objective = objective
        self.epoch, self.epochs = 0, 0

    def set_epoch(self, epoch: int, epochs: int) -> None:
        """Called by the trainer before each epoch: ``epoch`` is 1-based, ``epochs`` is ``trainer.epochs``. An actor
        whose computation follows a schedule over training (a keep ratio, a loss weight) reads ``self.epoch``."""
        self.epoch, self.epochs = epoch, epochs

    @abc.abstractmethod
    def __call__(self, batch: dict) -> tuple[torch.Tensor, dict[str, float | torch.Tensor]]:
        """Return ``(loss, stats)``: a scalar tensor to minimise and named scalars to log."""

    @property
    def bare_net(self) -> torch.nn.Module:
        """The network inside the wrappers training may put around ``self.net`` (DistributedDataParallel's
        ``module``, torch.compile's ``_orig_mod``): for reading its attributes; run the forward pass through
        ``self.net``."""
        net = self.net
        while True:
            inner = getattr(net, "module", None) if isinstance(net, torch.nn.parallel.DistributedDataParallel) \
                else getattr(net, "_orig_mod", None)
            if not isinstance(inner, torch.nn.Module):
                return net
            net = inner

    def train(self, mode: bool = True) -> None:
        self.net.train(mode)
        if self.objective is not None:
            self.objective.train(mode)

    def to(self, device) -> "Actor":
        self.net.to(device)
        if self.objective is not None:
            self.objective.to(device)
        return self
