"""Optimizer and LR scheduler from config, with parameter groups matched by parameter name."""

from __future__ import annotations

import torch


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


def _impl_kwargs(impl: str) -> dict:
    """``optimizer.impl``: ``fused`` (one kernel for all parameters, where PyTorch has one for the device),
    ``foreach`` (multi-tensor ops), ``loop`` (one parameter at a time), ``auto`` (PyTorch's choice)."""
    return {"auto": {}, "fused": {"fused": True}, "foreach": {"foreach": True},
            "loop": {"foreach": False}}[impl]


def build_optimizer(net: torch.nn.Module, opt_cfg: dict) -> torch.optim.Optimizer:
    groups = param_groups(net, opt_cfg)
    for g in groups:
        g.pop("names")
    name = opt_cfg["name"]
    impl = _impl_kwargs(opt_cfg.get("impl", "auto"))
    try:
        if name == "adamw":
            return torch.optim.AdamW(groups, lr=opt_cfg["lr"], weight_decay=opt_cfg["weight_decay"],
                                     betas=tuple(opt_cfg["betas"]), **impl)
        if name == "adam":
            return torch.optim.Adam(groups, lr=opt_cfg["lr"], weight_decay=opt_cfg["weight_decay"],
                                    betas=tuple(opt_cfg["betas"]), **impl)
        return torch.optim.SGD(groups, lr=opt_cfg["lr"], weight_decay=opt_cfg["weight_decay"],
                               momentum=opt_cfg["momentum"], **impl)
    except RuntimeError as e:          # e.g. no fused kernel for this device or dtype
        raise ValueError(f"optimizer.impl: {opt_cfg.get('impl')} is not available here ({e}); "
                         "use auto, foreach or loop") from None


def build_scheduler(optimizer: torch.optim.Optimizer, sched_cfg: dict, epochs: int):
    """Stepped once per epoch."""
    name = sched_cfg["name"]
    if name == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, sched_cfg["step_size"], sched_cfg["gamma"])
    if name == "multistep":
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, sched_cfg["milestones"], sched_cfg["gamma"])
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(epochs, 1))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
