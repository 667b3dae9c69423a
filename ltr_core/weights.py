"""Pretrained weights for trunks from torchvision: from the torch hub cache, downloaded when online, and a
clear message offline saying where to put the file or how to do without it."""

from __future__ import annotations

from pathlib import Path

import torch

WEIGHT_ENUMS = {"resnet18": "ResNet18_Weights", "resnet34": "ResNet34_Weights", "resnet50": "ResNet50_Weights"}


def torchvision_state_dict(arch: str, flag: str = "net.pretrained_backbone") -> dict:
    """ImageNet weights of a torchvision ``arch``; ``flag`` is the config key that turns them off."""
    from torchvision import models  # ~1.3 s to import: only where weights are loaded

    weights = getattr(models, WEIGHT_ENUMS[arch]).IMAGENET1K_V1
    cache = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    try:
        return weights.get_state_dict(progress=False, check_hash=False)
    except Exception as e:
        raise RuntimeError(
            f"could not load ImageNet weights for {arch} ({type(e).__name__}: {e}). Download {weights.url} "
            f"and put it at {cache} (or set TORCH_HOME), or train without them: --set {flag}=false") from None
