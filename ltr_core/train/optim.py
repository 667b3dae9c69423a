"""Optimizers and LR schedulers: the core's registrations, parameter groups matched by parameter name, and
building both from a validated config through the registry (so plugins can add their own)."""

from __future__ import annotations

from typing import Literal

import torch

from ltr_core.registry import get_registry
from ltr_core.valuetypes import NonNegativeFloat, PositiveFloat, PositiveInt, UnitInterval

Impl = Literal["auto", "fused", "foreach", "loop"]


def _impl_kwargs(impl: str) -> dict:
    """``impl``: ``fused`` (one kernel for all parameters, where PyTorch has one for the device), ``foreach``
    (multi-tensor ops), ``loop`` (one parameter at a time), ``auto`` (PyTorch's choice)."""
    return {"auto": {}, "fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False}}[impl]


def _make(cls, params, impl: str, **kw):
    try:
        return cls(params, **kw, **_impl_kwargs(impl))
    except RuntimeError as e:          # e.g. no fused kernel for this device or dtype
        raise ValueError(f"optimizer.impl: {impl} is not available here ({e}); use auto, foreach or loop") from None


def adamw(params, lr: PositiveFloat = 1e-4, weight_decay: NonNegativeFloat = 0.0,
          betas: list[UnitInterval] = (0.9, 0.999), impl: Impl = "auto"):
    """AdamW: Adam with decoupled weight decay."""
    return _make(torch.optim.AdamW, params, impl, lr=lr, weight_decay=weight_decay, betas=tuple(betas))


def adam(params, lr: PositiveFloat = 1e-4, weight_decay: NonNegativeFloat = 0.0,
         betas: list[UnitInterval] = (0.9, 0.999), impl: Impl = "auto"):
    """Adam (weight decay added to the gradient)."""
    return _make(torch.optim.Adam, params, impl, lr=lr, weight_decay=weight_decay, betas=tuple(betas))


def sgd(params, lr: PositiveFloat = 1e-2, weight_decay: NonNegativeFloat = 0.0, momentum: UnitInterval = 0.9,
        nesterov: bool = False, impl: Impl = "auto"):
    """SGD with momentum."""
    return _make(torch.optim.SGD, params, impl, lr=lr, weight_decay=weight_decay, momentum=momentum,
                 nesterov=nesterov)


def constant(optimizer, epochs: int):
    """No schedule: the learning rate stays as configured."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)


def step(optimizer, epochs: int, step_size: PositiveInt = 1, gamma: PositiveFloat = 0.1):
    """Multiply the learning rate by gamma every step_size epochs."""
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma)


def multistep(optimizer, epochs: int, milestones: list[PositiveInt] = (), gamma: PositiveFloat = 0.1):
    """Multiply the learning rate by gamma at each milestone epoch."""
    return torch.optim.lr_scheduler.MultiStepLR(optimizer, list(milestones), gamma)


def cosine(optimizer, epochs: int):
    """Cosine annealing from the configured learning rate to 0 over trainer.epochs."""
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(epochs, 1))


def param_groups(net: torch.nn.Module, opt_cfg: dict) -> list[dict]:
    """Split trainable parameters by the first ``param_groups`` entry whose ``match`` is in the name."""
    specs = opt_cfg["param_groups"]
    groups = [{"params": [], "names": [], **{k: s[k] for k in ("lr", "weight_decay") if s[k] is not None}}
              for s in specs]
    default = {"params": [], "names": []}
    for name, p in net.named_parameters():
        if not p.requires_grad:
            continue
        for spec, group in zip(specs, groups):
            if spec["match"] in name:
                if spec["freeze"]:
                    p.requires_grad_(False)
                else:
                    group["params"].append(p)
                    group["names"].append(name)
                break
        else:
            default["params"].append(p)
            default["names"].append(name)
    return [g for g in [default] + groups if g["params"]]


def build_optimizer(net: torch.nn.Module, opt_cfg: dict, registry=None) -> torch.optim.Optimizer:
    """The ``optimizer`` section's optimizer over the net's parameter groups."""
    groups = param_groups(net, opt_cfg)
    for g in groups:
        g.pop("names")
    kw = {k: v for k, v in opt_cfg.items() if k not in ("name", "param_groups")}
    return (registry or get_registry()).build("optimizer", opt_cfg["name"], groups, **kw)


def build_scheduler(optimizer: torch.optim.Optimizer, sched_cfg: dict, epochs: int, registry=None):
    """The ``scheduler`` section's schedule, stepped once per epoch."""
    kw = {k: v for k, v in sched_cfg.items() if k != "name"}
    return (registry or get_registry()).build("scheduler", sched_cfg["name"], optimizer, epochs, **kw)
