"""One training step exactly as the trainer runs it, shared by :class:`~ltr_core.train.trainer.Trainer` and
``ltr bench train`` so that the benchmark measures what training runs.

The step never waits for the device: the loss and the statistics stay tensors on the device, and the caller
reads them (one synchronisation) only when it logs or checks them.
"""

from __future__ import annotations

import contextlib
import platform
import shutil

import torch

from ltr_core import contract
from ltr_core.components import build_actor, build_objective
from ltr_core.errors import UserError
from ltr_core.registry import ComponentError, get_registry

AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def grad_scaler(amp: str, device: torch.device) -> torch.amp.GradScaler:
    """The loss scaler training uses: on for fp16 (whose small gradients underflow without it), a pass-through
    for float32 and bf16 (bf16 has float32's range)."""
    return torch.amp.GradScaler(device.type, enabled=(amp == "fp16"))


class StepError(UserError, RuntimeError):
    """A trainer option this platform cannot honour; the message names the option and what to do."""


def compile_net(net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``torch.compile`` the network, or stop with a message naming ``trainer.compile`` where it cannot work."""
    if not hasattr(torch, "compile"):
        raise StepError("trainer.compile: this PyTorch has no torch.compile; set trainer.compile: false")
    if device.type == "cpu" and not any(shutil.which(c) for c in ("c++", "g++", "clang++")):
        raise StepError("trainer.compile on the CPU needs a C++ compiler (inductor generates C++); install one "
                        "(e.g. apt-get install g++) or set trainer.compile: false")
    try:
        return torch.compile(net)
    except RuntimeError as e:   # e.g. a Python version Dynamo does not support yet
        raise StepError(f"trainer.compile is not supported here ({e}; Python {platform.python_version()}); "
                        "set trainer.compile: false") from None


class TrainStep:
    """Forward through the actor under autocast, backward through the grad scaler, optional clipping, step.

    ``channels_last`` converts every 4-D batch tensor as it moves to the device (the network is converted by
    :func:`build_train_step`); batches move with ``non_blocking`` (from pinned memory when the loader pins).
    """

    def __init__(self, actor, net: torch.nn.Module, optimizer: torch.optim.Optimizer, device: torch.device,
                 amp: str = "off", channels_last: bool = False, clip_grad_norm: float | None = None,
                 scaler: torch.amp.GradScaler | None = None, label: str = "the actor"):
        self.actor = actor
        self.label = label          # names the actor and its plugin in errors
        self.net = net
        self.optimizer = optimizer
        self.device = device
        self.amp_dtype = AMP_DTYPES.get(amp)
        self.scaler = scaler or grad_scaler(amp, device)
        self.channels_last = channels_last
        self.clip_grad_norm = clip_grad_norm

    def autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def to_device(self, batch: dict) -> dict:
        out = {}
        for k, v in batch.items():
            if torch.is_tensor(v):
                v = v.to(self.device, non_blocking=True)
                if self.channels_last and v.dim() == 4 and v.is_floating_point():
                    v = v.contiguous(memory_format=torch.channels_last)
            out[k] = v
        return out

    def __call__(self, batch: dict, training: bool = True) -> tuple[torch.Tensor, dict]:
        """Run one batch (already on the device); update the weights when ``training``. Returns the detached
        loss and statistics as device tensors."""
        with torch.set_grad_enabled(training):
            with self.autocast():
                try:
                    result = self.actor(batch)
                except UserError:
                    raise
                except Exception as e:
                    raise ComponentError(f"{self.label} raised {type(e).__name__}: {e} (on a batch with keys "
                                         f"{', '.join(sorted(batch))})") from e
            loss, stats = contract.actor_result(result, self.label, training)
            if training:
                self.optimizer.zero_grad(set_to_none=True)
                self.scaler.scale(loss).backward()
                if self.clip_grad_norm:
                    self.scaler.unscale_(self.optimizer)
                    torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.clip_grad_norm)
                self.scaler.step(self.optimizer)
                self.scaler.update()
        stats = {k: (v.detach() if torch.is_tensor(v) else torch.tensor(float(v))) for k, v in stats.items()}
        return loss.detach(), stats


def build_train_step(cfg: dict, net: torch.nn.Module, optimizer: torch.optim.Optimizer, device: torch.device,
                     registry=None, wrap=None, scaler: torch.amp.GradScaler | None = None) -> TrainStep:
    """The step as ``cfg["trainer"]`` asks for it: the network in channels-last layout, wrapped (``wrap``,
    e.g. DistributedDataParallel) and compiled in that order, the config's actor and objective around it."""
    tcfg = cfg["trainer"]
    if tcfg["channels_last"]:
        net.to(memory_format=torch.channels_last)      # in place: the optimizer keeps the same parameters
    net_for_actor = wrap(net) if wrap else net
    if tcfg["compile"]:
        net_for_actor = compile_net(net_for_actor, device)
    actor = build_actor(cfg, net_for_actor, build_objective(cfg, registry), registry).to(device)
    label = (registry or get_registry()).label("actor", cfg["actor"]["name"])
    return TrainStep(actor, net, optimizer, device, tcfg["amp"], tcfg["channels_last"], tcfg["clip_grad_norm"],
                     scaler, label)


class StatAccumulator:
    """Sums of the loss and statistics on the device, plus the first step whose loss was not finite; read
    (one synchronisation) by :meth:`read`."""

    def __init__(self, device: torch.device):
        self.device = device
        self.sums: dict[str, torch.Tensor] = {}
        self.steps = 0
        self.first_bad = torch.full((), -1, dtype=torch.long, device=device)

    def add(self, loss: torch.Tensor, stats: dict) -> None:
        values = {"loss": loss, **stats}
        for k, v in values.items():
            v = v.to(self.device, torch.float32)
            self.sums[k] = self.sums[k] + v if k in self.sums else v.clone()
        bad = ~torch.isfinite(loss)
        self.first_bad = torch.where(bad & (self.first_bad < 0), self.steps, self.first_bad)
        self.steps += 1

    def read(self) -> tuple[dict[str, float], int]:
        """``(means so far, index of the first non-finite step or -1)``."""
        if not self.sums:
            return {}, -1
        keys = list(self.sums)
        values = torch.stack([self.sums[k] for k in keys] + [self.first_bad.to(torch.float32)]).tolist()
        return {k: v / self.steps for k, v in zip(keys, values[:-1])}, int(values[-1])
