"""Catch the usual CUDA mistakes on a machine without a GPU: a simulated device.

Inside ``with SimulatedDevice() as sim:``, ``torch.device(sim.device)`` (``cuda:0``) can be used as if a GPU were
there, and :mod:`ltr_core.device` resolves ``cuda``/``auto`` to it. Tensors moved to it (``.to``, ``.cuda()``,
``Module.to``) or made on it (``device=``) stay in CPU memory but are marked as device tensors and report
``cuda:0`` as their ``.device``, so code that follows ``x.device``
takes the same path as on a GPU. Every operation passes the marks on. The mode stops with
:class:`DeviceMixError` where CUDA would stop:

* an operation that mixes a device tensor with a host tensor of one or more dimensions (CUDA accepts 0-d CPU
  tensors as scalars): host tensors are the ones made by a factory without ``device=`` (``torch.zeros(n)``,
  ``torch.tensor([...])``, ``torch.from_numpy``), copied back with ``.cpu()``, or derived from those;
* ``.numpy()`` of a device tensor (CUDA refuses it: ``.cpu()`` first);
* a non-blocking copy from the device to the host (its data is not there yet when the next line reads it).

It counts what would wait for the GPU (host synchronisations): ``.item()``, ``.tolist()``, ``float()``,
``int()``, ``bool()`` and copies back to the host of device tensors, per call site, so a test can hold a tracker
to a number of synchronisations per frame. Tensors the mode never saw (made inside autograd or C++ kernels) are
neither, and never flagged; nor are PyTorch's own multi-tensor optimizer kernels (``_foreach_*``, ``_fused_*``),
whose gradient arguments autograd makes out of its sight. Autocast and CUDA-only kernels are not simulated: this
checks where tensors live, not numerics (:class:`RecordNondeterministic` names the operators CUDA refuses under
deterministic mode).
"""

from __future__ import annotations

import collections
import traceback
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode

from ltr_core import device as device_rule

_MARK = "_ltr_sim_place"          # attribute on a tensor: "device" or "host"
_FACTORIES = {"zeros", "ones", "empty", "full", "arange", "range", "linspace", "logspace", "eye", "tensor",
              "as_tensor", "rand", "randn", "randint", "randperm", "normal", "zeros_like_", "from_numpy",
              "scalar_tensor", "empty_strided", "tril_indices", "triu_indices", "hann_window", "hamming_window",
              "bartlett_window", "blackman_window", "kaiser_window", "full_like_", "frombuffer", "asarray"}
_SYNCS = {"item", "tolist", "__float__", "__int__", "__bool__", "__index__", "__len__"}
_COPIES_OK = {"copy_", "set_", "__setstate__", "__deepcopy__", "__reduce_ex__", "__get__", "__set__",
              "_has_compatible_shallow_copy_type", "is_floating_point", "dim", "size", "numel", "stride",
              "__getitem__", "index_select", "__repr__", "__format__", "_is_view", "is_contiguous",
              "data_ptr", "element_size", "requires_grad_", "retain_grad", "storage_offset", "untyped_storage"}


class DeviceMixError(RuntimeError):
    """Code that would fail (or silently stall) on a real GPU; the message names the operation and the line."""


def _tensors(value, out: list) -> list:
    if isinstance(value, torch.Tensor):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _tensors(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _tensors(v, out)
    return out


def _place(t: torch.Tensor) -> str | None:
    return getattr(t, _MARK, None)


def _mark(value, place: str) -> None:
    for t in _tensors(value, []):
        try:
            setattr(t, _MARK, place)
        except (AttributeError, RuntimeError):     # some tensor kinds take no attributes
            pass


def _fresh(out, source):
    """``out``, or an alias of it when a copy returned its own input (``.cpu()`` of a CPU tensor returns itself):
    marking the copy must not re-mark the tensor it came from."""
    return out.view_as(out) if out is source else out


def _caller() -> str:
    """The first frame outside torch and this module: where the offending line is."""
    here = Path(__file__).resolve()
    torch_dir = Path(torch.__file__).resolve().parent
    for frame in reversed(traceback.extract_stack()[:-2]):
        path = Path(frame.filename).resolve()
        if path == here or torch_dir in path.parents:
            continue
        return f"{path.name}:{frame.lineno} ({frame.name}: {(frame.line or '').strip()[:90]})"
    return "?"


class SimulatedDevice(TorchFunctionMode):
    """The simulated GPU; ``syncs`` counts host synchronisations by call site, ``events`` lists them in order."""

    def __init__(self, device: str = "cuda:0", strict: bool = True):
        super().__init__()
        self.device = torch.device(device)
        self.strict = strict
        self.syncs: collections.Counter[str] = collections.Counter()
        self.problems: list[str] = []

    def __enter__(self):
        if device_rule.simulated is not None:
            raise RuntimeError("a SimulatedDevice is already active")
        device_rule.simulated = self.device
        return super().__enter__()

    def __exit__(self, *exc):
        device_rule.simulated = None
        return super().__exit__(*exc)

    # -- what code can ask --------------------------------------------------------------------------
    def is_device(self, t: torch.Tensor) -> bool:
        return _place(t) == "device"

    def sync_count(self) -> int:
        return sum(self.syncs.values())

    def reset(self) -> None:
        self.syncs.clear()

    # -- the mode -----------------------------------------------------------------------------------
    def _is_sim(self, device) -> bool:
        if device is None:
            return False
        if isinstance(device, torch.Tensor):
            return self.is_device(device)
        try:
            d = torch.device(device) if not isinstance(device, int) else torch.device("cuda", device)
        except (RuntimeError, TypeError):
            return False
        return d.type == self.device.type

    def _fail(self, message: str) -> None:
        text = f"{message} at {_caller()}"
        self.problems.append(text)
        if self.strict:
            raise DeviceMixError(text)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        name = getattr(func, "__name__", str(func))
        if name == "__get__" and args and isinstance(args[0], torch.Tensor):
            attribute = getattr(getattr(func, "__self__", None), "__name__", "")
            if attribute == "device" and self.is_device(args[0]):
                return self.device
            if attribute == "is_cuda" and self.device.type == "cuda":
                return self.is_device(args[0])
            return func(*args, **kwargs)
        if name in ("pin_memory", "is_pinned"):
            return args[0] if name == "pin_memory" else True

        to_device = False
        if name in ("to", "cuda", "_to_copy") and args and isinstance(args[0], torch.Tensor):
            return self._to(func, name, args, kwargs)
        if "device" in kwargs and self._is_sim(kwargs["device"]):
            kwargs["device"] = "cpu"
            to_device = True
        if name == "cpu" and args and isinstance(args[0], torch.Tensor):
            if self.is_device(args[0]):
                self.syncs[_caller()] += 1
            out = _fresh(func(*args, **kwargs), args[0])
            _mark(out, "host")
            return out
        if name == "__set__" and len(args) == 2 and isinstance(args[1], torch.Tensor) and \
                getattr(getattr(func, "__self__", None), "__name__", "") == "data":
            func(*args, **kwargs)                 # `param.data = moved` (Module.to): the parameter moved
            if _place(args[1]):
                _mark(args[0], _place(args[1]))
            return None

        inputs = _tensors(args, []) + _tensors(kwargs, [])
        on_device = [t for t in inputs if self.is_device(t)]
        if name == "numpy" and on_device:
            self._fail("numpy() of a tensor on the GPU (CUDA refuses it: call .cpu() first)")
        if name in _SYNCS and on_device:
            self.syncs[_caller()] += 1
        if on_device and name not in _COPIES_OK and not name.startswith(("_foreach_", "_fused_")):
            host = [t for t in inputs if _place(t) == "host" and t.dim() > 0]
            if host:
                self._fail(f"{name}() mixes a tensor on the GPU with a CPU tensor of shape {tuple(host[0].shape)}"
                           " (made without device=, or copied back with .cpu())")
        if name in ("__setitem__", "index_put_", "index_put") and on_device and args and self.is_device(args[0]):
            values = _tensors(args[2:] if name == "__setitem__" else args[1:], [])
            host = [t for t in values if _place(t) == "host" and t.dim() > 0 and t.dtype not in (torch.long,
                                                                                                 torch.bool)]
            if host:
                self._fail(f"assigning a CPU tensor of shape {tuple(host[0].shape)} into a tensor on the GPU")

        out = func(*args, **kwargs)
        if to_device or (on_device and name not in _SYNCS and name != "numpy"):
            _mark(out, "device")
        elif name in _FACTORIES or name.endswith("_like") or any(_place(t) == "host" for t in inputs):
            if not (name.endswith("_like") and on_device):
                _mark(out, "host")
        return out

    def _to(self, func, name: str, args, kwargs):
        t = args[0]
        target = None
        if name == "cuda":
            target = self.device
        else:
            target = kwargs.get("device")
            for a in args[1:]:
                if isinstance(a, (str, torch.device, int)) or (isinstance(a, torch.Tensor)):
                    target = a
                    break
        if isinstance(target, torch.Tensor):
            target_sim = self.is_device(target)
            target = None
        else:
            target_sim = self._is_sim(target)
        if name == "cuda" or target_sim:
            kwargs = {k: v for k, v in kwargs.items() if k not in ("device",)}
            rest = [a for a in args[1:] if not isinstance(a, (str, torch.device, int, torch.Tensor))]
            dtype = next((a for a in args[1:] if isinstance(a, torch.dtype)), None)
            kwargs.pop("non_blocking", None)
            out = t.to(dtype=dtype or kwargs.pop("dtype", None) or t.dtype, **{k: v for k, v in kwargs.items()
                                                                              if k in ("copy", "memory_format")})
            del rest
            if self.is_device(t):
                out_place = "device"
            else:
                out = _fresh(out, t)
                out_place = "device"
            _mark(out, out_place)
            return out
        going_home = target is not None and torch.device(target).type == "cpu" if not isinstance(target, int) \
            else False
        if going_home and self.is_device(t):
            if kwargs.get("non_blocking") or any(a is True for a in args[1:]):
                self._fail("a non-blocking copy from the GPU to the host (its data may not be there yet when it "
                           "is read)")
            self.syncs[_caller()] += 1
            out = _fresh(func(*args, **kwargs), t)
            _mark(out, "host")
            return out
        out = func(*args, **kwargs)
        place = "host" if going_home else _place(t)
        if place:
            _mark(out, place)
        return out


# -- deterministic mode ------------------------------------------------------------------------------------------
#: ATen operators that stop with a RuntimeError on a CUDA tensor under ``torch.use_deterministic_algorithms(True)``
#: (``trainer.deterministic``), from that function's documentation, with what calls them. The forward ops run in a
#: training step's forward, the ``*_backward`` ones when it is differentiated.
NONDETERMINISTIC_ON_CUDA = {
    "nll_loss_forward": "F.nll_loss / F.cross_entropy (NLLLoss)",
    "nll_loss2d_forward": "F.nll_loss / F.cross_entropy with a class dimension in position 1 (NLLLoss)",
    "upsample_linear1d_backward": "F.interpolate(mode='linear')",
    "upsample_bilinear2d_backward": "F.interpolate(mode='bilinear')",
    "upsample_bicubic2d_backward": "F.interpolate(mode='bicubic')",
    "upsample_trilinear3d_backward": "F.interpolate(mode='trilinear')",
    "_adaptive_avg_pool2d_backward": "nn.AdaptiveAvgPool2d",
    "adaptive_avg_pool3d_backward": "nn.AdaptiveAvgPool3d",
    "_adaptive_avg_pool3d_backward": "nn.AdaptiveAvgPool3d",
    "adaptive_max_pool2d_backward": "nn.AdaptiveMaxPool2d",
    "avg_pool3d_backward": "nn.AvgPool3d",
    "fractional_max_pool2d_backward": "nn.FractionalMaxPool2d",
    "fractional_max_pool3d_backward": "nn.FractionalMaxPool3d",
    "max_unpool2d": "nn.MaxUnpool2d", "max_unpool3d": "nn.MaxUnpool3d",
    "reflection_pad1d_backward": "nn.ReflectionPad1d", "reflection_pad2d_backward": "nn.ReflectionPad2d",
    "reflection_pad3d_backward": "nn.ReflectionPad3d",
    "_ctc_loss_backward": "nn.CTCLoss",
    "grid_sampler_2d_backward": "F.grid_sample", "grid_sampler_3d_backward": "F.grid_sample",
    "histc": "torch.histc", "put_": "Tensor.put_",
}


class RecordNondeterministic(torch.utils._python_dispatch.TorchDispatchMode):
    """Inside ``with RecordNondeterministic() as rec:``, ``rec.found`` collects the operators of
    :data:`NONDETERMINISTIC_ON_CUDA` that ran (on any device, backward passes included), so a CPU can say what a
    GPU would refuse under ``trainer.deterministic``."""

    def __init__(self):
        super().__init__()
        self.found: dict[str, str] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name in NONDETERMINISTIC_ON_CUDA:
            self.found.setdefault(name, NONDETERMINISTIC_ON_CUDA[name])
        return func(*args, **(kwargs or {}))

    def describe(self) -> str:
        return ", ".join(f"aten.{k} ({v})" for k, v in sorted(self.found.items()))
