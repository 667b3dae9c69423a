"""Export a tracker's network parts to ONNX and run them with ONNX Runtime behind the same calls.

A plugin declares, through the ``ltr_exports`` hook, which parts of its network a tracker calls at inference
(one :class:`ExportPart` per method, e.g. a template branch run once per sequence and a search branch run per
frame). :func:`export_parts` writes one ONNX file per part plus ``manifest.json``; :class:`OnnxNet` loads that
folder and answers the same method calls with ONNX Runtime sessions, so the plugin's tracker runs unchanged
(``ltr eval --runtime onnx``, ``ltr track --runtime onnx``).

The rooms: :mod:`~ltr_core.deploy.export` (writing), :mod:`~ltr_core.deploy.runtime` (running),
:mod:`~ltr_core.deploy.verify` (checking against PyTorch); :mod:`~ltr_core.deploy.part` is what plugins declare.
This module keeps the names of all four (their 0.2 import path).
"""

from ltr_core.deploy.export import (DTYPES, activation_products, calibration_for, ensure_export, export_config,
                                    export_parts, parts_for, record_inputs)
from ltr_core.deploy.part import ExportPart
from ltr_core.deploy.runtime import (MANIFEST, OPT_LEVELS, ExportError, OnnxNet, ort_session_options, read_manifest,
                                     require_onnxruntime)
from ltr_core.deploy.verify import compare_with_torch, part_errors

__all__ = ["DTYPES", "MANIFEST", "OPT_LEVELS", "ExportError", "ExportPart", "OnnxNet", "activation_products",
           "calibration_for", "compare_with_torch", "ensure_export", "export_config", "export_parts",
           "ort_session_options", "part_errors", "parts_for", "read_manifest",
           "record_inputs", "require_onnxruntime"]
