"""ATOM's registrations with ltr (entry point ``atom`` in the group ``ltr``)."""

from pathlib import Path

from ltr_core.api import hookimpl
from ltr_atom.actor import ATOMActor, build_objective
from ltr_atom.network import build_net
from ltr_atom.processing import ATOMProcessing
from ltr_atom.export import export_parts
from ltr_atom.tracker import ATOMTracker

CONFIG_DIR = Path(__file__).parent / "configs"


@hookimpl
def ltr_plugin_api():
    return ">=1.4,<2"      # 1.4: the PyTorch network beside the ONNX parts (onnx_needs_torch)


@hookimpl
def ltr_nets():
    return {"atom_iounet": build_net}


@hookimpl
def ltr_objectives():
    return {"mse": build_objective}


@hookimpl
def ltr_processings():
    return {"atom": ATOMProcessing}


@hookimpl
def ltr_actors():
    return {"atom": ATOMActor}


@hookimpl
def ltr_trackers():
    return {"atom": ATOMTracker}


@hookimpl
def ltr_exports():
    return {"atom_iounet": export_parts}


@hookimpl
def ltr_configs():
    return {p.stem: p for p in sorted(CONFIG_DIR.glob("*.yaml"))}
