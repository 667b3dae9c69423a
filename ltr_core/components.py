"""Build a config's net, objective, actor and tracker from the registry (plain data in, modules out)."""

from __future__ import annotations

from ltr_core.registry import Registry, get_registry


def _kwargs(section: dict) -> tuple[str, dict]:
    section = dict(section)
    return section.pop("name"), section


def build_net(cfg: dict, registry: Registry | None = None):
    if cfg.get("net") is None:
        raise ValueError(f"config {cfg.get('_name')} has no net section")
    name, kw = _kwargs(cfg["net"])
    return (registry or get_registry()).build("net", name, **kw)


def build_objective(cfg: dict, registry: Registry | None = None):
    if cfg.get("objective") is None:
        return None
    name, kw = _kwargs(cfg["objective"])
    return (registry or get_registry()).build("objective", name, **kw)


def build_actor(cfg: dict, net, objective, registry: Registry | None = None):
    if cfg.get("actor") is None:
        raise ValueError(f"config {cfg.get('_name')} has no actor section")
    name, kw = _kwargs(cfg["actor"])
    return (registry or get_registry()).build("actor", name, net, objective, **kw)


def tracker_needs_net(cfg: dict, registry: Registry | None = None) -> bool:
    """Whether the config's tracker runs a network (False for baselines such as ``core/static``)."""
    if cfg.get("tracker") is None:
        return True
    factory = (registry or get_registry()).get("tracker", cfg["tracker"]["name"]).factory
    return bool(getattr(factory, "needs_net", True))


def build_tracker(cfg: dict, net, registry: Registry | None = None):
    if cfg.get("tracker") is None:
        raise ValueError(f"config {cfg.get('_name')} has no tracker section: it cannot be used for tracking")
    name, kw = _kwargs(cfg["tracker"])
    return (registry or get_registry()).build("tracker", name, net, **kw)
