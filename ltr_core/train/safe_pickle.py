"""Reading checkpoints without executing anything they contain.

``torch.load(weights_only=True)`` refuses files that pickle arbitrary objects, which pytracking-style
checkpoints do (a ``constructor`` naming a function to import, ``settings`` objects). :func:`load_tensors_only`
reads such files with an unpickler that resolves only tensor-rebuilding functions and plain containers;
every other global becomes an inert :class:`Stub` that records its name and never runs.
"""

from __future__ import annotations

import collections
import io
import pickle
import types
import zipfile

import torch

from ltr_core.errors import UserError

_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch", "Size"): torch.Size,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "complex"): complex,
}
for _name in ("FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage",
              "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage"):
    _ALLOWED[("torch", _name)] = getattr(torch, _name)


class Stub:
    """Stands in for any pickled object whose class is not a plain container or tensor."""

    def __init__(self, *args, **kwargs):
        self.args = args

    def __setstate__(self, state):
        self.state = state

    def __repr__(self):
        return f"<stub {type(self).__module__}.{type(self).__qualname__}>"


def _stub_for(module: str, name: str):
    return types.new_class(name, (Stub,), exec_body=lambda ns: ns.update({"__module__": module}))


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name.endswith("Storage"):
            return getattr(torch, name)
        if module == "torch._utils" and name.startswith("_rebuild_") and name in (
                "_rebuild_tensor", "_rebuild_qtensor", "_rebuild_sparse_tensor"):
            return getattr(torch._utils, name)
        if module == "torch" and name in ("float32", "float64", "float16", "bfloat16", "int64", "int32"):
            return getattr(torch, name)
        return _stub_for(module, name)


class _SafePickleModule(types.ModuleType):
    Unpickler = _SafeUnpickler
    load = staticmethod(lambda f, **kw: _SafeUnpickler(f, **kw).load())
    loads = staticmethod(lambda data, **kw: _SafeUnpickler(io.BytesIO(data), **kw).load())
    __name__ = "ltr_safe_pickle"


_safe_pickle_module = _SafePickleModule("ltr_safe_pickle")


def torchscript_archive(path) -> bool:
    """Whether ``path`` is a TorchScript archive: a zip whose root folder holds ``constants.pkl`` (and the model's
    code), which ``torch.load`` would hand to ``torch.jit.load``, running that code."""
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.count("/") == 1 and n.endswith("/constants.pkl") for n in z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


CODE_ARCHIVE = ("is a TorchScript archive: it carries code, which loading it would run, and ltr never loads such "
                "files. Where you trust the file, save its weights as a plain state dict (torch.save(module."
                "state_dict(), path)) and pass that instead")


def load_tensors_only(path, map_location="cpu"):
    """Load any torch checkpoint; objects other than tensors and containers come back as inert stubs.
    TorchScript archives are refused before anything in them is read."""
    if torchscript_archive(path):
        raise UnsafeFileError(f"{path} {CODE_ARCHIVE}")
    return torch.load(path, map_location=map_location, pickle_module=_safe_pickle_module, weights_only=False)


class UnsafeFileError(UserError):
    """A file that would run code if loaded."""
