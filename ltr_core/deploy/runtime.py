"""Running an export: the manifest of an export folder, and :class:`OnnxNet`, which answers a tracker's calls to
its network's parts with ONNX Runtime sessions (``--runtime onnx``). Evaluation needs only this room."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from ltr_core.errors import UserError
from ltr_core.paths import file_sha256

MANIFEST = "manifest.json"
OPT_LEVELS = ("disable", "basic", "extended", "all")


class ExportError(UserError, RuntimeError):
    """A part cannot be exported or loaded; the message names the file or part and what to do."""


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ExportError(f"{path}: no manifest; export first with `ltr export CONFIG --out {folder}`")
    try:
        manifest = json.loads(path.read_text())
        assert manifest.get("format") == "ltr-onnx/1" and isinstance(manifest["parts"], list)
    except (ValueError, AssertionError, KeyError):
        raise ExportError(f"{path}: not an ltr ONNX manifest (format ltr-onnx/1); export again") from None
    return manifest


def ort_session_options(threads: int | None = None, opt_level: str = "all"):
    import onnxruntime as ort       # here: an optional extra (ltr-core[onnx])

    if opt_level not in OPT_LEVELS:
        raise ExportError(f"graph optimisation level {opt_level!r}: expected one of {', '.join(OPT_LEVELS)}")
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or torch.get_num_threads()
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # no busy-waiting between runs: a tracker does NumPy work (crops, post-processing) between network calls,
    # and spinning ONNX Runtime threads took those cores from it (2.7-13 ms/frame of extra "rest" measured)
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.graph_optimization_level = {
        "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL, "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}[opt_level]
    return so


def require_onnxruntime():
    try:
        import onnxruntime      # here: an optional extra (ltr-core[onnx])
    except ImportError:
        raise ExportError("the ONNX runtime needs onnxruntime: pip install 'ltr-core[onnx]'") from None
    return onnxruntime


class _Part:
    """Calls one ONNX Runtime session like the network method it replaces."""

    def __init__(self, session, entry: dict, dtype: np.dtype):
        self.session, self.entry, self.dtype = session, entry, dtype
        self.input_names = [i["name"] for i in entry["inputs"]]
        self.output_names = [o["name"] for o in entry["outputs"]]
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, *args):
        feeds = {n: a.detach().cpu().numpy().astype(self.dtype, copy=False) for n, a in zip(self.input_names, args)}
        t = time.perf_counter()
        try:
            outs = self.session.run(self.output_names, feeds)
        except Exception as e:
            shapes = ", ".join(f"{n} {tuple(v.shape)}" for n, v in feeds.items())
            fixed = ", ".join(f"{i['name']} {tuple(i['shape'])}" for i in self.entry["inputs"]
                              if i["name"] not in self.entry.get("dynamic_axes", {}))
            raise ExportError(f"part {self.entry['name']!r} ({self.entry['file']}) refused inputs {shapes}"
                              + (f"; it was exported for fixed shapes {fixed}" if fixed else "")
                              + f": {str(e).splitlines()[0][:200]}. Export again with this ltr (ltr export), or run "
                              "without --batch") from None
        self.seconds += time.perf_counter() - t
        self.calls += 1
        tensors = [torch.from_numpy(np.asarray(o, dtype=np.float32) if o.dtype == np.float16 else o) for o in outs]
        if self.entry["as_dict"]:
            return dict(zip(self.output_names, tensors))
        return tensors[0] if len(tensors) == 1 else tuple(tensors)


class OnnxNet:
    """Stands in for a network inside a tracker: ``net.<part>(...)`` runs that part's ONNX Runtime session.

    ``pytorch`` (plugin API 1.4): the PyTorch network, with the weights the parts were exported from, for what a
    tracker keeps in PyTorch under ``--runtime onnx`` (an online optimiser, a gradient through a head). The core
    gives it to trackers that set ``onnx_needs_torch = True`` (:class:`ltr_core.api.Tracker`), after checking that
    the manifest names the same config and checkpoint; it is None otherwise. The parts stay the way to call what
    was exported (``net.search_features(x)``, never ``net.pytorch.<...>`` for it), so the tracker's per-frame
    network work runs in ONNX Runtime; ``eval()`` and ``to()`` apply to ``pytorch``.
    """

    def __init__(self, folder: Path, threads: int | None = None, opt_level: str = "all", verify: bool = True,
                 pytorch: torch.nn.Module | None = None):
        ort = require_onnxruntime()
        self.pytorch = pytorch
        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder)
        so = ort_session_options(threads, opt_level)
        dtype = np.float16 if self.manifest["dtype"] == "fp16" else np.float32   # int8 (QDQ) takes float32
        self.parts: dict[str, _Part] = {}
        for entry in self.manifest["parts"]:
            path = self.folder / entry["file"]
            if not path.is_file():
                raise ExportError(f"{path}: missing (listed in {self.folder / MANIFEST}); export again")
            if verify and file_sha256(path) != entry["sha256"]:
                raise ExportError(f"{path}: SHA-256 differs from {self.folder / MANIFEST}; the file was changed "
                                  "after export: export again")
            try:
                session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
            except Exception as e:
                raise ExportError(f"{path}: ONNX Runtime cannot load it: {e}") from None
            self.parts[entry["name"]] = _Part(session, entry, dtype)

    def __getattr__(self, name):
        parts = self.__dict__.get("parts", {})
        if name in parts:
            return parts[name]
        renamed = next((p for p in parts.values() if name in p.entry.get("aliases", ())), None)
        if renamed is not None:
            warnings.warn(f"exported part {name!r} is now called {renamed.entry['name']!r}; the old name is a "
                          "deprecated alias (removed in the next minor version)", FutureWarning, stacklevel=2)
            return renamed
        raise AttributeError(f"{name!r} is not an exported part of {self.__dict__.get('folder')} "
                             f"(parts: {', '.join(parts)})")

    def __call__(self, *args):
        """``net(...)``: the part named ``forward``."""
        return self.__getattr__("forward")(*args)

    def require(self, *names: str, tracker: str = "the tracker") -> None:
        """Stop with one line naming the manifest when a part ``tracker`` calls was not exported (a folder made
        for another network, or by an older plugin); a plugin's tracker calls it when it is built."""
        missing = [n for n in names if n not in self.parts
                   and not any(n in p.entry.get("aliases", ()) for p in self.parts.values())]
        if missing:
            raise ExportError(f"{self.folder / MANIFEST} (config {self.manifest.get('config')}) has no part "
                              f"{', '.join(map(repr, missing))}, which {tracker} runs (it has: "
                              f"{', '.join(self.parts) or 'none'}): export this config again with `ltr export "
                              f"CONFIG --out {self.folder}`")

    # the Tracker base class treats its net like a torch module
    def eval(self):
        if self.pytorch is not None:
            self.pytorch.eval()
        return self

    def to(self, *args, **kwargs):
        if self.pytorch is not None:
            self.pytorch.to(*args, **kwargs)
        return self

    def seconds(self) -> float:
        return sum(p.seconds for p in self.parts.values())
