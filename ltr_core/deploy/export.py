"""Writing an export: the parts a plugin declares (``ltr_exports``) traced to one ONNX file each, optionally
quantised to int8 after calibrating on the tracker's own inputs, with a manifest recording their shapes, hashes
and the versions that made them."""

from __future__ import annotations

import inspect
import json
import os
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Callable

import torch

from ltr_core import __version__
from ltr_core.data.demo import demo_frames
from ltr_core.deploy.part import ExportPart
from ltr_core.deploy.runtime import MANIFEST, ExportError, read_manifest, require_onnxruntime
from ltr_core.locking import remove_dead_leftovers, tmp_name
from ltr_core.paths import file_sha256
from ltr_core.provenance import versions_for
from ltr_core.registry import RegistryError, get_registry

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "int8": torch.float32}   # int8: quantised after export


def parts_for(cfg: dict, net: torch.nn.Module, registry=None) -> list[ExportPart]:
    """The parts the plugin that provides ``cfg``'s network declares for export."""
    reg = registry or get_registry()
    name = cfg["net"]["name"]
    try:
        comp = reg.get("export", name)
    except RegistryError:
        raise ExportError(f"net {name!r} declares no ONNX export (no `ltr_exports` entry {name!r} in its plugin); "
                          f"exportable nets: {', '.join(reg.names('export')) or 'none'}") from None

    accepted = inspect.signature(comp.factory).parameters
    tracker = {k: v for k, v in (cfg.get("tracker") or {}).items() if k != "name" and k in accepted}
    # parts are traced on the CPU (the file must not depend on where the network was), and a factory may run the
    # network on CPU example inputs to make the next part's inputs: hand it the network there
    parts = comp.factory(net.to("cpu"), **tracker)   # e.g. the tracker's crop sizes set the exported input shapes
    seen: set[str] = set()
    for part in parts:
        for label in (part.name, *part.aliases):
            if label in seen:
                raise ExportError(f"export {name!r} ({comp.plugin}): two parts are called {label!r} (names and "
                                  "aliases must be distinct); rename one in the plugin's `ltr_exports`")
            seen.add(label)
    return parts


def calibration_for(factory, parts: list[ExportPart], frames: int = 40, sequences: int = 2) -> dict:
    """Calibration inputs for an int8 export: the PyTorch tracker run over generated demo sequences (with
    scikit-image's photographs where installed) at 640x480."""
    tracker = replace(factory, onnx_dir=None, amp="off")()      # PyTorch on the factory's device
    return record_inputs(tracker, parts, demo_frames((640, 480), frames, seed=7, photos="auto",
                                                     sequences=sequences))


def export_config(factory, folder: Path, *, opset: int = 17, dtype: str = "fp32",
                  report: Callable[[str], None] = print) -> tuple[list[ExportPart], dict]:
    """Export the network of ``factory`` (a TrackerFactory) to ``folder``; returns the parts and manifest."""
    cfg, _ = factory.resolved()
    parts = parts_for(cfg, factory.network())
    calibration = calibration_for(factory, parts) if dtype == "int8" else None

    manifest = export_parts(parts, folder, config=cfg["_name"], checkpoint=factory.checkpoint, opset=opset,
                            dtype=dtype, calibration=calibration, report=report, versions=versions_for(cfg))
    return parts, manifest


def ensure_export(factory, folder: Path, dtype: str = "fp32", report: Callable[[str], None] = print) -> Path:
    """``folder`` holding the ONNX parts of ``factory``'s network (a TrackerFactory): reused when its manifest
    names the same checkpoint with the same SHA-256, the same dtype and the same core and plugin versions and
    records each part's dynamic axes (exports made before batched tracking do not), exported again otherwise."""
    folder = Path(folder)
    ckpt = factory.checkpoint
    if ckpt is not None and (folder / MANIFEST).is_file():
        try:
            m = read_manifest(folder)
            if m["checkpoint_sha256"] == file_sha256(Path(ckpt)) and m["dtype"] == dtype and all(
                    (folder / p["file"]).is_file() and "dynamic_axes" in p for p in m["parts"]) and \
                    m.get("versions") == versions_for(factory.resolved()[0]):
                return folder
        except ExportError:
            pass
    export_config(factory, folder, dtype=dtype, report=report)
    return folder


def _spec(name: str, t: torch.Tensor) -> dict:
    return {"name": name, "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")}


def export_parts(parts: list[ExportPart], out: Path, *, config: str, checkpoint: str | None, opset: int = 17,
                 dtype: str = "fp32", calibration: dict[str, list[dict]] | None = None,
                 report: Callable[[str], None] = print, versions: dict | None = None) -> dict:
    """Write ``<part>.onnx`` for every part and ``manifest.json`` under ``out``; returns the manifest.

    ``dtype="int8"``: each part is exported in fp32, then statically quantised by ONNX Runtime (QDQ format,
    int8 weights per channel, uint8 activations with ranges calibrated on ``calibration[part]``: the inputs
    the tracker really feeds that part, see :func:`record_inputs`)."""
    if dtype not in DTYPES:
        raise ExportError(f"dtype {dtype!r}: expected one of {', '.join(DTYPES)}")

    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for left in remove_dead_leftovers(out):
            report(f"removed {left}, left half-written by an export that was stopped")
        entries = [_export_part(part, out, opset, dtype, calibration, report, tmp_name) for part in parts]
        manifest = {"format": "ltr-onnx/1", "config": config, "checkpoint": checkpoint,
                    "checkpoint_sha256": file_sha256(Path(checkpoint)) if checkpoint else None,
                    "ltr_version": __version__, "torch_version": torch.__version__, "versions": versions,
                    "opset": opset, "dtype": dtype, "parts": entries}
        tmp = tmp_name(out / MANIFEST)
        tmp.write_text(json.dumps(manifest, indent=1) + "\n")
        os.replace(tmp, out / MANIFEST)
    except OSError as e:
        for left in out.glob(f"*.{os.getpid()}.tmp*") if out.is_dir() else []:
            left.unlink(missing_ok=True)
        raise ExportError(f"cannot write the export to {out}: {e.strerror or e}. Free space or choose another "
                          "--out") from None
    return manifest


def _export_part(part: ExportPart, out: Path, opset: int, dtype: str, calibration, report, tmp_name) -> dict:
    """Write one part as ``<out>/<part>.onnx`` (through a temporary file) and return its manifest entry."""
    import onnx     # here: an optional extra (ltr-core[onnx])

    # traced on the CPU whatever device the network was on: the example inputs are CPU tensors, and the file must
    # not depend on where it was exported
    module = part.module.eval().to("cpu", DTYPES[dtype])
    inputs = {k: (v.to("cpu", DTYPES[dtype]) if v.is_floating_point() else v.cpu()) for k, v in part.inputs.items()}
    with torch.no_grad():
        result = module(*inputs.values())
    result = result if isinstance(result, tuple) else (result,)
    if len(result) != len(part.outputs):
        raise ExportError(f"part {part.name!r} returns {len(result)} outputs but declares {part.outputs}")
    path = out / f"{part.name}.onnx"
    tmp = tmp_name(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(module, tuple(inputs.values()), str(tmp), input_names=list(inputs),
                              output_names=part.outputs, opset_version=opset, dynamo=False,
                              dynamic_axes=part.dynamic_axes or None)
        except Exception as e:
            tmp.unlink(missing_ok=True)
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            axes = (f" with dynamic axes {part.dynamic_axes} (a part whose shapes must be fixed declares none, "
                    "and its ONNX tracker then runs one sequence per call)") if part.dynamic_axes else ""
            raise ExportError(f"part {part.name!r}: torch.onnx.export failed{axes} ({type(e).__name__}: "
                              f"{first[:300]}); change the part's module to operators ONNX opset {opset} "
                              "supports") from e
    try:
        onnx.checker.check_model(onnx.load(str(tmp)), full_check=True)
    except Exception as e:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{path}: onnx.checker rejected the exported graph: {e}") from None
    if dtype == "int8":
        if not (calibration or {}).get(part.name):
            tmp.unlink(missing_ok=True)
            raise ExportError(f"int8 export of part {part.name!r} needs calibration inputs, and the PyTorch tracker "
                              f"made no call to net.{part.name} on the calibration frames (a tracker that calls "
                              "other methods of its network under --runtime torch cannot be calibrated): export "
                              "fp32 or fp16")
        _quantise(tmp, calibration[part.name])
        onnx.checker.check_model(onnx.load(str(tmp)), full_check=True)
    os.replace(tmp, path)
    report(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return {"name": part.name, "file": path.name, "sha256": file_sha256(path), "as_dict": part.as_dict,
            "inputs": [_spec(k, v) for k, v in inputs.items()],
            "outputs": [_spec(k, v) for k, v in zip(part.outputs, result)], "note": part.note,
            "dynamic_axes": {k: {str(a): n for a, n in axes.items()} for k, axes in part.dynamic_axes.items()},
            **({"aliases": list(part.aliases)} if part.aliases else {})}


def _quantise(path: Path, feeds: list[dict]) -> None:
    """Static int8 quantisation of the ONNX file at ``path``, in place."""
    require_onnxruntime()
    # here: an optional extra (ltr-core[onnx])
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process     # (the same extra)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(feeds)

        def get_next(self):
            return next(self.it, None)

    pre = path.with_name(path.name + ".pre")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quant_pre_process(str(path), str(pre))
            quantize_static(str(pre), str(path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            op_types_to_quantize=["Conv", "MatMul", "Gemm"],
                            nodes_to_exclude=activation_products(pre))
    finally:
        pre.unlink(missing_ok=True)


def activation_products(path: Path) -> list[str]:
    """Names of the MatMul nodes of an ONNX file that multiply two activations (no weight), such as attention's
    query-key scores and its weighted sum of values: left in float, since rounding both factors to 8 bits
    (softmax weights among them) costs accuracy where the cost in time is small."""
    import onnx     # here: an optional extra (ltr-core[onnx])

    graph = onnx.load(str(path)).graph
    constant = {t.name for t in graph.initializer}
    constant |= {out for node in graph.node if node.op_type == "Constant" for out in node.output}
    return [node.name for node in graph.node
            if node.op_type == "MatMul" and node.name and not any(i in constant for i in node.input)]


class _Recorder:
    """Wraps a network and keeps the inputs of every call to the named parts (as NumPy feeds)."""

    def __init__(self, net, parts: list[ExportPart]):
        self._net, self._parts = net, {p.name: list(p.inputs) for p in parts}
        self.feeds: dict[str, list[dict]] = {name: [] for name in self._parts}

    def _wrap(self, name, fn):
        def call(*args):
            self.feeds[name].append({k: a.detach().cpu().float().numpy() for k, a in zip(self._parts[name], args)})
            return fn(*args)
        return call

    def __getattr__(self, name):
        attr = getattr(self._net, name)
        return self._wrap(name, attr) if name in self._parts else attr

    def __call__(self, *args):
        return self._wrap("forward", self._net)(*args) if "forward" in self._parts else self._net(*args)


def record_inputs(tracker, parts: list[ExportPart], sequences) -> dict[str, list[dict]]:
    """Run ``tracker`` (PyTorch) over ``sequences`` (``[(frames, first_box)]``) and return, per part, the
    inputs it fed that part: calibration data that matches tracking."""
    recorder = _Recorder(tracker.net, parts)
    tracker.net = recorder
    for frames, box in sequences:
        tracker.initialize(frames[0], box)
        for f in frames[1:]:
            tracker.track(f)
    tracker.net = recorder._net
    return recorder.feeds
