"""Registrations (entry point ``quality``): a net and an actor of its own; OSTrack's tracker and export reused."""

from pathlib import Path

from ltr_ostrack.export import export_parts
from ltr_ostrack_quality.model import QualityActor, build_quality_net


def ltr_plugin_api():
    return ">=1.1,<2"


def ltr_requires():
    return ["ltr-ostrack>=0.2,<0.3"]


def ltr_nets():
    return {"quality": build_quality_net}


def ltr_actors():
    return {"quality": QualityActor}


def ltr_exports():
    return {"quality": export_parts}


def ltr_configs():
    return {"demo": Path(__file__).parent / "configs" / "demo.yaml"}
