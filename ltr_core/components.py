"""Build a config's net, objective, actor and tracker from the registry (plain data in, modules out)."""

from __future__ import annotations

from ltr_core.registry import Registry, get_registry


def _kwargs(section: dict) -> tuple[str, dict]:
    section = dict(section)
    return section.pop("name"), section


def build_net(cfg: dict, registry: Registry | None = None, pretrained: bool = True):
    """The config's net. ``pretrained=False`` when its weights come from elsewhere (a checkpoint, a test of the
    untrained net): the net section's ``pretrained*`` keys are then off (a flag false, a path to weights null),
    so nothing is read or downloaded for weights that would be replaced."""
    if cfg.get("net") is None:
        raise ValueError(f"config {cfg.get('_name')} has no net section")
    name, kw = _kwargs(cfg["net"] if pretrained else without_pretrained(cfg["net"]))
    return (registry or get_registry()).build("net", name, **kw)


def without_pretrained(net: dict) -> dict:
    """A net section with its ``pretrained*`` keys off: flags false, paths null."""
    net = dict(net)
    for key in net:
        if key.startswith("pretrained") and isinstance(net[key], bool):
            net[key] = False
        elif key.startswith("pretrained") and isinstance(net[key], str):
            net[key] = None
    return net


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


def tracker_needs_torch(cfg: dict, registry: Registry | None = None) -> bool:
    """Whether the config's tracker asks, under ``--runtime onnx``, for the PyTorch network beside the ONNX
    Runtime sessions (its factory's ``onnx_needs_torch``, :class:`ltr_core.api.Tracker`; plugin API 1.4)."""
    if cfg.get("tracker") is None:
        return False
    factory = (registry or get_registry()).get("tracker", cfg["tracker"]["name"]).factory
    return getattr(factory, "onnx_needs_torch", False) is True


def build_tracker(cfg: dict, net, registry: Registry | None = None):
    if cfg.get("tracker") is None:
        raise ValueError(f"config {cfg.get('_name')} has no tracker section: it cannot be used for tracking")
    name, kw = _kwargs(cfg["tracker"])
    return (registry or get_registry()).build("tracker", name, net, **kw)
