"""Checking an export against PyTorch: every part run by ONNX Runtime and by PyTorch on the same random inputs."""

from __future__ import annotations

from pathlib import Path

import torch

from ltr_core.deploy.part import ExportPart
from ltr_core.deploy.runtime import OnnxNet

def part_errors(parts: list[ExportPart], folder: Path, seed: int = 0) -> dict[str, dict[str, float]]:
    """Per part, on random inputs (:meth:`ExportPart.sample`): the largest absolute difference between ONNX
    Runtime and PyTorch (``max_abs``) and the largest absolute PyTorch output (``ref_max``, its scale)."""
    net = OnnxNet(folder)
    g = torch.Generator().manual_seed(seed)
    errors = {}
    for part in parts:
        inputs = part.sample(g)
        with torch.no_grad():
            ref = part.module.to("cpu", torch.float32).eval()(*inputs)
        ref = ref if isinstance(ref, tuple) else (ref,)
        got = getattr(net, part.name)(*inputs)
        got = tuple(got.values()) if isinstance(got, dict) else (got if isinstance(got, tuple) else (got,))
        errors[part.name] = {"max_abs": max(float((a.float() - b.float()).abs().max()) for a, b in zip(ref, got)),
                             "ref_max": max(float(a.float().abs().max()) for a in ref)}
    return errors


def compare_with_torch(parts: list[ExportPart], folder: Path, seed: int = 0) -> dict[str, float]:
    """Largest absolute difference between ONNX Runtime and PyTorch per part, on random inputs."""
    return {name: e["max_abs"] for name, e in part_errors(parts, folder, seed).items()}
