"""OSTrack's registrations with ltr (entry point ``ostrack`` in the group ``ltr``)."""

from pathlib import Path

from ltr_core.api import hookimpl
from ltr_ostrack.actor import OSTrackActor
from ltr_ostrack.export import export_parts
from ltr_ostrack.network import build_net
from ltr_ostrack.objective import build_objective
from ltr_ostrack.processing import OSTrackProcessing
from ltr_ostrack.tracker import OSTrackTracker

CONFIG_DIR = Path(__file__).parent / "configs"


@hookimpl
def ltr_plugin_api():
    return ">=1.0,<2"


@hookimpl
def ltr_nets():
    return {"ostrack": build_net}


@hookimpl
def ltr_objectives():
    return {"ostrack": build_objective}


@hookimpl
def ltr_processings():
    return {"ostrack": OSTrackProcessing}


@hookimpl
def ltr_actors():
    return {"ostrack": OSTrackActor}


@hookimpl
def ltr_trackers():
    return {"ostrack": OSTrackTracker}


@hookimpl
def ltr_exports():
    return {"ostrack": export_parts}


@hookimpl
def ltr_configs():
    return {p.stem: p for p in sorted(CONFIG_DIR.glob("*.yaml"))}
