"""Inference precision: a tracker's network calls under autocast, everything else in float32.

:class:`AutocastNet` stands in for the network a tracker holds. Every call into it (``net(...)``, ``net.method(...)``,
``net.submodule.method(...)``) runs under ``torch.autocast`` in bf16 or fp16 on the network's device, and every
floating-point tensor it returns comes back as float32, so the tracker's own arithmetic (windows, box decoding,
online optimisation) stays what it is in fp32. It is an ``nn.Module`` holding the network, so a tracker can still
move it, put it in eval mode and take gradients through it.
"""

from __future__ import annotations

import torch

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
CHOICES = ("off", "bf16", "fp16")


def _to_float32(value):
    if isinstance(value, torch.Tensor):
        return value.float() if value.dtype in (torch.bfloat16, torch.float16) else value
    if isinstance(value, tuple) and hasattr(value, "_fields"):          # a named tuple
        return type(value)(*(_to_float32(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_to_float32(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_float32(v) for k, v in value.items()}
    return value


class AutocastNet(torch.nn.Module):
    """``net`` with its calls under autocast in ``dtype`` (``bf16`` or ``fp16``) and float32 results."""

    def __init__(self, net: torch.nn.Module, dtype: str):
        super().__init__()
        if dtype not in DTYPES:
            raise ValueError(f"amp {dtype!r}: expected one of {', '.join(DTYPES)}")
        self.inner = net
        self.amp = dtype

    def _device_type(self) -> str:
        first = next(self.inner.parameters(), None)
        return first.device.type if first is not None else "cpu"

    def _autocast(self, fn):
        def run(*args, **kwargs):
            with torch.autocast(self._device_type(), dtype=DTYPES[self.amp]):
                out = fn(*args, **kwargs)
            return _to_float32(out)
        return run

    def forward(self, *args, **kwargs):
        return self._autocast(self.inner)(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)              # inner, amp and nn.Module's own state
        except AttributeError:
            pass
        attr = getattr(self.inner, name)
        if isinstance(attr, torch.nn.Module):
            return _Scoped(attr, self)
        return self._autocast(attr) if callable(attr) else attr


class _Scoped:
    """A sub-module of an :class:`AutocastNet`'s network: its calls go under the same autocast."""

    def __init__(self, module: torch.nn.Module, owner: AutocastNet):
        self._module, self._owner = module, owner

    def __getattr__(self, name):
        attr = getattr(self._module, name)
        if isinstance(attr, torch.nn.Module):
            return _Scoped(attr, self._owner)
        return self._owner._autocast(attr) if callable(attr) else attr

    def __call__(self, *args, **kwargs):
        return self._owner._autocast(self._module)(*args, **kwargs)


def resolve_amp(setting: str, cfg: dict, device: torch.device) -> str:
    """``--amp``: ``auto`` is the config's ``eval.amp`` on a GPU and ``off`` on the CPU; other values stand."""
    if setting != "auto":
        return setting
    return (cfg.get("eval") or {}).get("amp", "off") if device.type == "cuda" else "off"
