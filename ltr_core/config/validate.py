"""Validating a loaded config: every section against its schema or its component's factory signature (the
factory's defaults filled in, so a resolved config shows every setting in force), names resolved to
``<plugin>/<name>``, one :class:`~ltr_core.config.schema.ConfigError` naming the key path for anything wrong."""

from __future__ import annotations

import inspect
import typing
import warnings
import copy
import dataclasses
from typing import Any

from ltr_core.config.schema import (COMPONENT_SECTIONS, DATASET_ENTRY_KEYS, DEFAULT_OPTIMIZER, DEFAULT_SCHEDULER,
                                    LOADER_KEYS, OPTIMIZER_CORE_KEYS, TOP_LEVEL, ConfigError, EvalConfig, LoaderConfig,
                                    ReleasedWeights,
                                    ParamGroupConfig, TrainerConfig, _refuse_null_sections, check_plain_tree)
from ltr_core.config.typecheck import (_expect_dict, _expect_list, _is_plain, _unknown_key_message, check_type,
                                       yaml_word)
from ltr_core.device import DeviceError, check_setting
from ltr_core.evaluation.benchmark import parse_dataset_option
from ltr_core.hookspecs import FOLLOWS_ATTR, RENAMED_ATTR
from ltr_core.registry import Registry, RegistryError
from ltr_core.valuetypes import NonNegativeFloat, NonNegativeInt


# -- validation -------------------------------------------------------------------------------------------
def validate_config(cfg: dict, registry: Registry) -> dict:
    check_plain_tree(cfg, "config")
    cfg = copy.deepcopy(cfg)
    unknown = sorted(set(cfg) - TOP_LEVEL)
    if unknown:
        raise ConfigError(_unknown_key_message("", unknown[0], TOP_LEVEL))
    _refuse_null_sections(cfg, "config")
    if "seed" in cfg:
        check_type(cfg["seed"], NonNegativeInt, "seed")
    cfg.setdefault("seed", 0)
    for section, kind in COMPONENT_SECTIONS.items():
        if cfg.get(section) is not None:
            cfg[section] = validate_component(cfg[section], kind, section, registry)
    if cfg.get("data") is not None:
        data = _expect_dict(cfg["data"], "data")
        for split, loader_cfg in list(data.items()):
            if split not in ("train", "val"):
                raise ConfigError(_unknown_key_message("data", split, {"train", "val"}))
            data[split] = validate_loader_section(loader_cfg, f"data.{split}", registry)
    for section, cls in (("trainer", TrainerConfig), ("eval", EvalConfig)):
        cfg[section] = validate_dataclass(cfg.get(section) or {}, cls, section)
    if cfg.get("released_weights") is not None:
        cfg["released_weights"] = validate_dataclass(cfg["released_weights"], ReleasedWeights, "released_weights")
        if not cfg["released_weights"]["file"]:
            raise ConfigError("released_weights.file: give the published file's name (or leave the section out)")
    cfg["optimizer"] = validate_optimizer(cfg.get("optimizer") or DEFAULT_OPTIMIZER, registry)
    cfg["scheduler"] = validate_component(cfg.get("scheduler") or DEFAULT_SCHEDULER, "scheduler", "scheduler",
                                          registry, skip=("optimizer", "epochs"))
    cfg["eval"]["dataset"] = validate_benchmark(cfg["eval"]["dataset"], "eval.dataset", registry)
    cfg["trainer"]["hooks"] = [validate_component(h, "trainer_hook", f"trainer.hooks.{i}", registry)
                               for i, h in enumerate(cfg["trainer"]["hooks"])]
    try:
        check_setting(cfg["trainer"]["device"], "trainer.device")
    except DeviceError as e:
        raise ConfigError(str(e)) from None
    decay = cfg["trainer"]["ema_decay"]
    if not (decay == 0 or 0 < decay < 1):
        raise ConfigError(f"trainer.ema_decay is {decay}: use 0 (no weight average) or a decay in (0, 1), "
                          "e.g. 0.99")
    return cfg


def require_sections(cfg: dict, sections: tuple[str, ...], command: str) -> None:
    """Stop a command whose config lacks a section it needs (``data.train`` names a subsection) with one line,
    before anything is built: a config may describe only a network (to import weights into) or only a tracker."""
    for path in sections:
        node: Any = cfg
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            present = ", ".join(k for k in cfg if not k.startswith("_"))
            raise ConfigError(f"config {cfg.get('_name')} has no '{path}' section, which `ltr {command}` needs "
                              f"(its sections: {present}; see `ltr config show {cfg.get('_name')}`)")


def validate_optimizer(section: Any, registry: Registry) -> dict:
    """``{name: <optimizer>, <its keys>, param_groups: [...]}``: the optimizer's keys are its factory's keyword
    arguments (``ltr list optimizer``); ``param_groups`` (the core's) gives parameters matched by name their
    own ``lr`` and ``weight_decay``, or freezes them (see :class:`ParamGroupConfig`)."""
    section = dict(_expect_dict(section, "optimizer"))
    groups = _expect_list(section.pop("param_groups", None) or [], "optimizer.param_groups")
    out = validate_component(section, "optimizer", "optimizer", registry, skip=("params",),
                             extra_keys=OPTIMIZER_CORE_KEYS)
    out["param_groups"] = [validate_dataclass(g, ParamGroupConfig, f"optimizer.param_groups.{i}")
                           for i, g in enumerate(groups)]
    return out


def validate_benchmark(value: Any, path: str, registry: Registry) -> str:
    """A benchmark name (``NAME`` or ``NAME:PATH``) as registered; the qualified name is kept."""
    check_type(value, str, path)
    name, root = parse_dataset_option(value)
    try:
        comp = registry.get("benchmark", name)
    except RegistryError as e:
        raise ConfigError(f"{path}: {e}") from None
    return comp.qualname + (f":{root}" if root else "")


def validate_loader_section(section: Any, path: str, registry: Registry) -> dict:
    section = _expect_dict(section, path)
    unknown = sorted(set(section) - LOADER_KEYS)
    if unknown:
        raise ConfigError(_unknown_key_message(path, unknown[0], LOADER_KEYS))
    for key in ("datasets", "sampler", "processing"):
        if key not in section:
            raise ConfigError(f"{path}.{key} is missing")
    datasets = section["datasets"]
    if not isinstance(datasets, list) or not datasets:
        raise ConfigError(f"{path}.datasets must be a non-empty list of {{name: ..., weight: ...}}")
    out = []
    for i, entry in enumerate(datasets):
        where = f"{path}.datasets.{i}"
        entry = _expect_dict(entry, where)
        extra = {k: v for k, v in entry.items() if k in DATASET_ENTRY_KEYS and k != "name"}   # the entry's order
        params = {k: v for k, v in entry.items() if k not in DATASET_ENTRY_KEYS or k == "name"}
        comp = validate_component(params, "dataset", where, registry, skip=("root",))
        if "weight" in extra:
            check_type(extra["weight"], NonNegativeFloat, f"{where}.weight")
        for k in ("root", "root_env"):
            if k in extra and extra[k] is not None:
                check_type(extra[k], str, f"{where}.{k}")
        comp.update(extra)
        comp.setdefault("weight", 1.0)
        out.append(comp)
    section["datasets"] = out
    section["sampler"] = validate_component(section["sampler"], "sampler", f"{path}.sampler", registry,
                                            skip=("datasets", "processing", "weights", "seed", "max_failure_fraction"))
    section["processing"] = validate_component(section["processing"], "processing", f"{path}.processing",
                                               registry)
    section["processing_schedule"] = validate_processing_schedule(
        section.get("processing_schedule") or [], section["processing"], f"{path}.processing_schedule", registry)
    section["loader"] = validate_dataclass(section.get("loader") or {}, LoaderConfig, f"{path}.loader")
    return section


def validate_processing_schedule(value: Any, processing: dict, path: str, registry: Registry) -> list[dict]:
    """``[{until_epoch: N, <processing settings>}, ...]``: the epochs up to N (1-based, inclusive) after the
    previous entry's train with the loader's ``processing`` updated by these settings; the epochs after the
    last entry with ``processing`` itself. Smaller crops first, then the full size, is progressive resizing:
    ``[{until_epoch: 8, search_size: 96, template_size: 48}]``."""
    out, last = [], 0
    for i, entry in enumerate(_expect_list(value, path)):
        where = f"{path}.{i}"
        entry = _expect_dict(entry, where)
        if "until_epoch" not in entry:
            raise ConfigError(f"{where}.until_epoch is missing: the last epoch (1-based) these settings apply to")
        until = entry["until_epoch"]
        check_type(until, int, f"{where}.until_epoch")
        if until <= last:
            raise ConfigError(f"{where}.until_epoch is {until}: entries go in increasing order of epochs, "
                              f"so it must be above {last}")
        settings = {k: v for k, v in entry.items() if k != "until_epoch"}
        if "name" in settings:
            raise ConfigError(f"{where}.name: a schedule changes settings of the processing "
                              f"{processing['name']!r}, not which processing runs; leave the name out")
        if not settings:
            raise ConfigError(f"{where} changes no processing setting: give at least one besides until_epoch")
        checked = validate_component({**processing, **settings}, "processing", where, registry)
        out.append({"until_epoch": until, **{k: checked[k] for k in settings}})
        last = until
    return out


def validate_component(section: Any, kind: str, path: str, registry: Registry, skip: tuple = (),
                       extra_keys: set = frozenset()) -> dict:
    """Check ``{name: ..., **kwargs}`` against the registered factory's signature and fill in its defaults; the
    name becomes the component's qualified ``<plugin>/<name>``. ``extra_keys`` are keys of the section the core
    itself reads (they are named in the unknown-key message, and left to the caller to check)."""
    if isinstance(section, str):
        section = {"name": section}
    section = _expect_dict(section, path)
    if "name" not in section:
        raise ConfigError(f"{path}.name is missing: which {kind} to use (see `ltr list {kind}`)")
    name = section["name"]
    check_type(name, str, f"{path}.name")
    try:
        comp = registry.get(kind, name)
    except RegistryError as e:
        raise ConfigError(f"{path}.name: {e}") from None
    params = factory_params(comp.factory, skip)
    out = {"name": comp.qualname}
    section = _renamed(section, comp, path)
    for key, value in section.items():
        if key == "name":
            continue
        if key not in params:
            raise ConfigError(_unknown_key_message(path, key, set(params) | set(extra_keys),
                                                   f"{kind} {comp.qualname!r}"))
        annotation, _ = params[key]
        value = yaml_word(value, annotation)
        if key == "transforms" and kind == "processing" and value is not None:
            out[key] = [validate_component(t, "transform", f"{path}.transforms.{i}", registry)
                        for i, t in enumerate(_expect_list(value, f"{path}.transforms"))]
            continue
        check_type(value, annotation, f"{path}.{key}")
        out[key] = value
    for key, (annotation, default) in params.items():
        if key in out:
            continue
        if default is inspect.Parameter.empty:
            raise ConfigError(f"{path}.{key} is required by {kind} {comp.qualname!r}")
        if _is_plain(default):
            out[key] = _plain_copy(default)
    return out


def _renamed(section: dict, comp, path: str) -> dict:
    """The section with the keys its factory renamed (:func:`ltr_core.api.renamed_keys`) under their new names,
    each old name said once in a warning; both names at once is an error."""
    renamed = {}
    for target in (comp.factory, *getattr(comp.factory, "__mro__", ())[1:]):
        renamed = {**getattr(target, RENAMED_ATTR, {}), **renamed}
    if not any(old in section for old in renamed):
        return section
    out = {}
    for key, value in section.items():
        new = renamed.get(key)
        if new is None:
            out.setdefault(key, value)
            continue
        if new in section:
            raise ConfigError(f"{path}.{key} and {path}.{new} are both set: {key} is the old name of {new} "
                              f"({comp.kind} {comp.qualname!r}); keep {new}")
        warnings.warn(f"{path}.{key} is the old name of {path}.{new} ({comp.kind} {comp.qualname!r}): write {new} "
                      "(the old name is accepted until ltr-core 0.4)", FutureWarning, stacklevel=2)
        out[new] = value
    return out


def _plain_copy(value: Any) -> Any:
    """A deep copy with tuples as lists (a resolved config is YAML and torch.load(weights_only) data)."""
    if isinstance(value, (list, tuple)):
        return [_plain_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_copy(v) for k, v in value.items()}
    return value


def factory_params(factory, skip: tuple = ()) -> dict[str, tuple[Any, Any]]:
    """Keyword parameters of a factory (a class or function): name -> (annotation, default). A class whose
    ``__init__`` takes ``**kwargs`` also has the parameters of the ``__init__`` of the next class in its MRO
    (it is taken to forward them), and so on up the hierarchy; a function marked with
    :func:`ltr_core.api.follows` also has those of the factory it forwards ``**kwargs`` to."""
    out: dict[str, tuple[Any, Any]] = {}
    positional_skips = set(skip) | {"self", "net", "objective"}
    seen = set()
    for target in _signature_chain(factory):
        if id(target) in seen:          # a factory that follows itself, directly or not
            break
        seen.add(id(target))
        sig = inspect.signature(target, follow_wrapped=False)
        try:
            hints = typing.get_type_hints(target, include_extras=True)
        except Exception:
            hints = {}
        for p in sig.parameters.values():
            if p.name in positional_skips or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in out:
                continue
            out[p.name] = (hints.get(p.name, Any), p.default)
    return out


def _signature_chain(factory):
    """The callables whose keywords a factory takes, its own first: a class's ``__init__`` up the MRO while each
    forwards ``**kwargs``; a function's :func:`~ltr_core.api.follows` target while it forwards them."""
    while factory is not None:
        if inspect.isclass(factory):
            for cls in factory.__mro__:
                init = cls.__dict__.get("__init__")
                if init is None or cls is object:
                    continue
                yield init
                if not _forwards(init):
                    return
            return
        yield factory
        base = getattr(factory, FOLLOWS_ATTR, None)
        factory = base if base is not None and _forwards(factory) else None


def _forwards(fn) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(fn, follow_wrapped=False).parameters.values())


def validate_dataclass(section: Any, cls, path: str) -> dict:
    section = _expect_dict(section, path)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls, include_extras=True)
    section = dict(section)
    for key, value in section.items():
        if key not in fields:
            raise ConfigError(_unknown_key_message(path, key, set(fields)))
        section[key] = value = yaml_word(value, hints[key])
        check_type(value, hints[key], f"{path}.{key}")
    return {**dataclasses.asdict(cls()), **section}
