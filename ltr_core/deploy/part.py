"""What a plugin declares for ONNX export (its ``ltr_exports`` hook): one :class:`ExportPart` per network method
its tracker calls at inference. Public API (re-exported by :mod:`ltr_core.api`); :mod:`ltr_core.deploy.onnx`
writes and runs them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch


@dataclass
class ExportPart:
    """One network method a tracker calls at inference time.

    ``module(*inputs)`` must return the outputs in ``outputs`` order (a tensor or a tuple). ``inputs`` maps
    input names to example tensors (their shapes are the exported shapes). ``as_dict``: the tracker expects a
    ``{output_name: tensor}`` dict rather than a single tensor. ``note`` says what is *not* exported and why.
    ``random_inputs(generator)``: test inputs in the part's valid range (default: standard normal for
    floating inputs, the example otherwise). ``aliases``: former names of the part, still answered (with a
    ``FutureWarning``) by the ONNX runtime for one minor version after a rename; recorded in the manifest.
    """

    name: str
    module: torch.nn.Module
    inputs: dict[str, torch.Tensor]
    outputs: list[str]
    as_dict: bool = False
    note: str = ""
    dynamic_axes: dict[str, dict[int, str]] = field(default_factory=dict)
    random_inputs: Callable[[torch.Generator], dict[str, torch.Tensor]] | None = None
    aliases: tuple[str, ...] = ()

    def sample(self, g: torch.Generator) -> list[torch.Tensor]:
        if self.random_inputs is not None:
            return list(self.random_inputs(g).values())
        return [torch.randn(v.shape, generator=g) if v.is_floating_point() else v for v in self.inputs.values()]
