"""HCAT's registrations with ltr (entry point ``hcat`` in the group ``ltr``)."""

from pathlib import Path

from ltr_core.api import hookimpl
from ltr_hcat.actor import HCATActor
from ltr_hcat.export import export_parts
from ltr_hcat.network import build_net
from ltr_hcat.objective import build_objective
from ltr_hcat.processing import HCATProcessing
from ltr_hcat.tracker import HCATTracker

CONFIG_DIR = Path(__file__).parent / "configs"


@hookimpl
def ltr_plugin_api():
    return ">=1.0,<2"


@hookimpl
def ltr_nets():
    return {"hcat": build_net}


@hookimpl
def ltr_objectives():
    return {"hcat": build_objective}


@hookimpl
def ltr_processings():
    return {"hcat": HCATProcessing}


@hookimpl
def ltr_actors():
    return {"hcat": HCATActor}


@hookimpl
def ltr_trackers():
    return {"hcat": HCATTracker}


@hookimpl
def ltr_exports():
    return {"hcat": export_parts}


@hookimpl
def ltr_configs():
    return {p.stem: p for p in sorted(CONFIG_DIR.glob("*.yaml"))}
