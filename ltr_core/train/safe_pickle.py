"""Reading checkpoints without executing anything they contain.

Every file goes through ``torch.load(weights_only=True)``, whose unpickler resolves only the globals it allows and
which refuses TorchScript archives itself (it never hands a file to ``torch.jit.load``): there is no parser whose
opinion on a file decides whether code runs. pytracking-style checkpoints pickle objects of their own (a
``constructor`` naming a function to import, ``settings``); :func:`load_tensors_only` registers, for the one load,
an inert :class:`Stub` under each such name torch refuses, and loads again. A stub records what it was given and
never runs anything.
"""

from __future__ import annotations

import re
import types
import warnings
import zipfile

import torch

from ltr_core.errors import UserError

#: most distinct foreign classes and functions one file may name (pytracking's checkpoints name a handful)
MAX_FOREIGN_GLOBALS = 64

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
    """Load any torch checkpoint with ``weights_only=True``; objects other than tensors and plain containers come
    back as inert stubs. TorchScript archives are refused (:class:`UnsafeFileError`)."""
    if torchscript_archive(path):          # a friendlier message first; torch's own refusal below is the guard
        raise UnsafeFileError(f"{path} {CODE_ARCHIVE}")
    stubs: dict[str, tuple] = {}
    while True:
        try:
            with torch.serialization.safe_globals(list(stubs.values())), warnings.catch_warnings():
                warnings.simplefilter("ignore")     # torch's advice on archives of code goes into the one line
                return torch.load(path, map_location=map_location, weights_only=True)
        except Exception as e:
            name = refused_global(e)
            if is_torchscript_refusal(e):
                raise UnsafeFileError(f"{path} {CODE_ARCHIVE}") from None
            blocked = re.search(r"GLOBAL ([\w.]+) whose module (\w+) is blocked", str(e))
            if blocked:
                raise UnsafeFileError(f"{path} names {blocked.group(1)}, from module {blocked.group(2)}, which no "
                                      "weights file needs (it runs commands): not loaded. A checkpoint made by "
                                      "torch.save of a state dict never names it") from None
            if name is None or name in stubs:
                raise
            if len(stubs) >= MAX_FOREIGN_GLOBALS:
                raise UnsafeFileError(f"{path} names more than {MAX_FOREIGN_GLOBALS} classes or functions of other "
                                      "code (a weights file names a few): not loaded") from None
            module, _, qualname = name.rpartition(".")
            stubs[name] = (_stub_for(module or "builtins", qualname), name)


def refused_global(error: Exception) -> str | None:
    """The ``module.name`` of the global that ``torch.load(weights_only=True)`` refused, if that is the error."""
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(error))
    return found.group(1) if found else None


def is_torchscript_refusal(error: Exception) -> bool:
    """Whether ``torch.load(weights_only=True)`` refused the file as a TorchScript archive (its own zip reader
    saw one, whatever Python's zipfile made of it)."""
    return "TorchScript" in str(error)


class UnsafeFileError(UserError):
    """A file that would run code if loaded."""
