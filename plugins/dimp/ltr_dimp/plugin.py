"""ltr-dimp's registrations (entry point ``dimp`` in the group ``ltr``): the network ``dimp/dimp_net`` (DiMP-18/50
and PrDiMP-18/50 by its keys), which loads pytracking's weights, the processing ``dimp`` (labels, proposals,
densities), the objectives (``dimp``: hinge + IoU MSE; ``prdimp``: KL regression; ``superdimp``: KL regression of
boxes + hinge) and actors, the tracker ``dimp`` (DiMP, PrDiMP and SuperDiMP by its parameters), the network's ONNX
export (the tracker's per-frame parts; its optimiser and box refinement stay in PyTorch) and the recipes of
pytracking's train settings with its tracker parameter files."""

from pathlib import Path

from ltr_core.api import hookimpl
from ltr_dimp.actor import (DiMPActor, KLDiMPActor, build_dimp_objective, build_prdimp_objective,
                            build_superdimp_objective)
from ltr_dimp.export import export_parts
from ltr_dimp.network import build_dimp_net
from ltr_dimp.processing import DiMPProcessing
from ltr_dimp.tracker import DiMPTracker

CONFIG_DIR = Path(__file__).parent / "configs"


@hookimpl
def ltr_plugin_api():
    return ">=1.4,<2"      # 1.4: the PyTorch network beside the ONNX parts (onnx_needs_torch)


@hookimpl
def ltr_requires():
    return ["ltr-atom>=0.2.5,<0.3"]


@hookimpl
def ltr_nets():
    return {"dimp_net": build_dimp_net}


@hookimpl
def ltr_processings():
    return {"dimp": DiMPProcessing}


@hookimpl
def ltr_objectives():
    return {"dimp": build_dimp_objective, "prdimp": build_prdimp_objective, "superdimp": build_superdimp_objective}


@hookimpl
def ltr_actors():
    return {"dimp": DiMPActor, "prdimp": KLDiMPActor}


@hookimpl
def ltr_trackers():
    return {"dimp": DiMPTracker}


@hookimpl
def ltr_exports():
    return {"dimp_net": export_parts}


@hookimpl
def ltr_configs():
    return {p.stem: p for p in sorted(CONFIG_DIR.glob("*.yaml"))}
