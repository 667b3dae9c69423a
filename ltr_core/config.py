"""Configs: YAML files inside plugins (``<plugin>/<config>``) or a user's path, with ``--set`` overrides.

A config is plain data. Loading resolves ``base:`` inheritance, applies overrides, then validates everything
before any data is read: unknown keys, wrong types and unknown component names each raise one
:class:`ConfigError` naming the key path. Component sections (``{name: ..., **kwargs}``) are checked against
the signature of the registered factory, and the factory's defaults are filled in, so the resolved config
shows every setting that is in force.

Top-level keys (core sections are documented on their dataclasses below):

* ``description``: one line shown by ``ltr list config``.
* ``base``: a config this one extends (dicts merge recursively, other values replace).
* ``seed``: the run's seed; the whole sample stream and initialisation derive from it.
* ``data``: ``train`` and optionally ``val`` loaders, each ``{datasets, sampler, processing, loader}`` and
  optionally ``processing_schedule`` (see :func:`validate_processing_schedule`).
* ``net``, ``objective``, ``actor``, ``tracker``: component sections.
* ``optimizer``: a component section of the optimizer (``ltr list optimizer``; default ``adamw``) plus
  ``param_groups`` (see :func:`validate_optimizer`); ``scheduler``: a component section of the LR schedule
  (``ltr list scheduler``; default ``none``); ``trainer``: see :class:`TrainerConfig`.
* ``eval``: defaults for ``ltr eval`` (see :class:`EvalConfig`).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import inspect
import math
import re
import types
import typing
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from ltr_core.device import DeviceError, check_setting
from ltr_core.errors import UserError
from ltr_core.evaluation.benchmark import parse_dataset_option
from ltr_core.hookspecs import FOLLOWS_ATTR, RENAMED_ATTR
from ltr_core.registry import Registry, RegistryError, get_registry
# the value types are re-exported here: their 0.2 import path (ltr_core.api is 0.3's)
from ltr_core.valuetypes import (MAX_PROCESSES, Bound, CropSize, NonNegativeFloat, NonNegativeInt,  # noqa: F401
                                 PositiveFloat, PositiveInt, Probability, UnitInterval)


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads ``1e-4`` as a string; configs mean a float, as YAML 1.2 and Python do. A key given twice
    in one mapping is an error (YAML would silently keep the last)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, (str, int, float, bool)) and key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} appears twice in one mapping (first on line {seen[key] + 1}): "
                        "keep one", key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                   |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                   |\.[0-9_]+(?:[eE][-+][0-9]+)?
                   |[-+]?\.(?:inf|Inf|INF)
                   |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."))


#: limits on what a config may be, each with its reason: a config is a few KB of names and numbers
MAX_CONFIG_BYTES = 1 << 20          # 1 MiB; ltr's largest config is under 3 KB
MAX_CONFIG_DEPTH = 32               # sections inside sections; ltr's deepest is 5
INT_RANGE = (-2**63, 2**63 - 1)     # every integer setting ends up in a 64-bit integer (seeds, sizes, counts)


def yaml_load(text: str, where: str = "config"):
    """Parse YAML; a document nested too deeply for the parser is a :class:`ConfigError` naming ``where``."""
    try:
        return yaml.load(text, Loader=_Loader)
    except RecursionError:
        raise ConfigError(f"{where}: nested deeper than a config can be (at most {MAX_CONFIG_DEPTH} levels)") \
            from None


def check_plain_tree(value: Any, where: str, depth: int = 0) -> None:
    """What YAML can hold but no config may: keys that are not names, integers beyond 64 bits, nesting deeper
    than :data:`MAX_CONFIG_DEPTH`. Each is a :class:`ConfigError` naming the key path."""
    if depth > MAX_CONFIG_DEPTH:
        raise ConfigError(f"{where}: nested deeper than a config can be (at most {MAX_CONFIG_DEPTH} levels)")
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise ConfigError(f"{where}: {value} is beyond the 64-bit integers ({INT_RANGE[0]}..{INT_RANGE[1]}) that "
                          "every setting is stored in")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigError(f"{where}: the key {key!r} ({type(key).__name__}) is not a name; config keys are "
                                  "names (quote it if it is meant as one)")
            check_plain_tree(item, f"{where}.{key}" if where != "config" else key, depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_plain_tree(item, f"{where}.{i}", depth + 1)


class ConfigError(UserError, ValueError):
    """A config that cannot be used; the message names the file or key path and what to do."""


# -- core sections ----------------------------------------------------------------------------------------
@dataclass
class LoaderConfig:
    batch_size: typing.Annotated[int, Bound(ge=1, le=65536)] = 8
    workers: typing.Annotated[int, Bound(ge=0, le=MAX_PROCESSES)] = 0     # DataLoader worker processes per rank
    stack_dim: Literal[0, 1] = 0    # dimension along which samples are stacked into a batch
    pin_memory: Union[bool, None] = None   # None: pin when training on a GPU
    prefetch_factor: PositiveInt = 2
    max_failure_fraction: Probability = 0.05   # stop when more than this fraction of drawn samples were unreadable


@dataclass
class TrainerConfig:
    epochs: PositiveInt = 1
    amp: Literal["off", "bf16", "fp16"] = "off"
    channels_last: bool = False                 # network and image batches in channels-last memory format
    compile: bool = False                       # torch.compile the network (inductor; a C++ compiler on CPU)
    clip_grad_norm: Union[PositiveFloat, None] = None   # max gradient L2 norm; null disables clipping
    keep_last: NonNegativeInt = 3               # checkpoints kept (latest ones); 0 keeps all
    val_every: NonNegativeInt = 0               # run the val loader every K epochs; 0 never
    val_at_start: bool = False                  # also validate the initial network (a "before" figure)
    log_every: PositiveInt = 10                 # progress-bar refresh, in steps
    device: str = "auto"                        # auto | cpu | cuda | cuda:N (ltr_core.device; --device sets it)
    tensorboard: bool = True
    deterministic: bool = False                 # torch.use_deterministic_algorithms
    find_unused_parameters: bool = False        # DDP setting for nets with conditional branches
    ema_decay: UnitInterval = 0.0               # >0: also keep a moving average of the weights (0.99 ~ last
                                                # 100 steps); evaluation, tracking and export then use it
    hooks: list = dataclasses.field(default_factory=list)   # trainer hooks: [{name: core/jsonl_metrics}, ...]


@dataclass
class ParamGroupConfig:
    match: str = ""                # parameters whose name contains this string
    lr: Union[PositiveFloat, None] = None
    weight_decay: Union[NonNegativeFloat, None] = None
    freeze: bool = False           # exclude these parameters from training


OPTIMIZER_CORE_KEYS = {"param_groups"}   # list of ParamGroupConfig, first match wins; the rest is the factory's
DEFAULT_OPTIMIZER = {"name": "adamw"}
DEFAULT_SCHEDULER = {"name": "none"}


@dataclass
class EvalConfig:
    dataset: str = "demo"
    split: str = "test"
    workers: typing.Annotated[int, Bound(ge=1, le=MAX_PROCESSES)] = 1     # as --workers
    # the network's precision when tracking on a GPU with `--amp auto` (the default); the CPU tracks in float32
    # unless --amp names a precision, since bf16's speed there depends on the CPU (ltr_core.track.precision)
    amp: Literal["off", "bf16", "fp16"] = "off"


TOP_LEVEL = {"description", "base", "seed", "data", "net", "objective", "actor", "tracker",
             "optimizer", "scheduler", "trainer", "eval"}
SECTIONS = ("data", "net", "objective", "actor", "tracker", "optimizer", "scheduler", "trainer", "eval")
COMPONENT_SECTIONS = {"net": "net", "objective": "objective", "actor": "actor", "tracker": "tracker"}
LOADER_KEYS = {"datasets", "sampler", "processing", "processing_schedule", "loader"}
DATASET_ENTRY_KEYS = {"name", "weight", "root", "root_env"}


# -- loading ----------------------------------------------------------------------------------------------
def file_config_name(path: Path) -> str:
    """The run name of a config given as a file: ``file/<stem>-<8 hex digits of the SHA-256 of its absolute
    path>``, so runs of different files never share a folder, never take a registered config's, and stay inside
    the workspace whatever the path."""
    resolved = str(Path(path).expanduser().resolve())
    stem = re.sub(r"[^A-Za-z0-9_+-]", "_", Path(path).stem).lstrip("_") or "config"
    return f"file/{stem}-{hashlib.sha256(resolved.encode()).hexdigest()[:8]}"


def resolve_config_path(ref: str, registry: Registry | None = None, relative_to: Path | None = None) \
        -> tuple[str, Path]:
    """Map ``<plugin>/<config>`` or a YAML path to ``(config_name, path)``; a relative path is taken from
    ``relative_to`` (the including file's folder, for ``base:``) when given."""
    p = Path(ref).expanduser()
    if p.suffix in (".yaml", ".yml"):
        if relative_to is not None and not p.is_absolute():
            p = Path(relative_to) / p
        if not p.is_file():
            raise ConfigError(f"config file {p} does not exist")
        return file_config_name(p), p
    registry = registry or get_registry()
    try:
        comp = registry.get("config", ref)
    except RegistryError as e:
        raise ConfigError(f"{e} Configs are addressed <plugin>/<config>, or give a path to a .yaml file.") from None
    return comp.qualname, Path(comp.factory)


def read_yaml(path: Path) -> dict:
    try:
        size = Path(path).stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"config {path} is {size / 2**20:.1f} MiB: a config is a few KB of settings (at most "
                              f"{MAX_CONFIG_BYTES >> 20} MiB); is it the right file?")
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"config {path} is not UTF-8 text ({e.reason} at byte {e.start}): save it as UTF-8") \
            from None
    try:
        data = yaml_load(text, f"config {path}")
    except yaml.YAMLError as e:
        raise ConfigError(f"config {path} is not valid YAML: {e}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must be a mapping at the top level, got {type(data).__name__}")
    check_plain_tree(data, f"config {path}")
    _refuse_null_sections(data, str(path))
    return data


def _refuse_null_sections(cfg: dict, where: str) -> None:
    """``trainer: null`` would silently drop a base config's section or reset the defaults: refuse it."""
    for key in SECTIONS:
        if key in cfg and cfg[key] is None:
            raise ConfigError(f"{where}: '{key}: null' is not a section: leave the key out to keep "
                              f"{'the base config' if key != 'data' else 'it'}'s {key} (or the defaults), or give "
                              "its keys")
    for split, section in (cfg.get("data") or {}).items() if isinstance(cfg.get("data"), dict) else ():
        if section is None:
            raise ConfigError(f"{where}: 'data.{split}: null' is not a section: leave it out or give its keys")


def deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _load_with_bases(ref: str, registry: Registry, seen: tuple = (), relative_to: Path | None = None) \
        -> tuple[str, dict]:
    name, path = resolve_config_path(ref, registry, relative_to)
    if name in seen:
        raise ConfigError(f"config {name} extends itself through base: {' -> '.join(seen + (name,))}")
    data = read_yaml(path)
    base = data.pop("base", None)
    if base is not None:
        if not isinstance(base, str):
            raise ConfigError(f"{path}: key 'base' must be a config name like 'plugin/config' or a .yaml path "
                              "(relative to this file)")
        _, base_data = _load_with_bases(base, registry, seen + (name,), path.parent)
        data = deep_merge(base_data, data)
    return name, data


def parse_override(item: str) -> tuple[list[str], Any]:
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected KEY.PATH=VALUE, e.g. --set trainer.epochs=5")
    key, value = item.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"--set {item!r}: empty key")
    if len(value) > MAX_CONFIG_BYTES:
        raise ConfigError(f"--set {key}: the value is {len(value) >> 10} KB; a setting is a few bytes")
    try:
        parsed = yaml_load(value, f"--set {key}") if value.strip() else ""
    except yaml.YAMLError as e:
        raise ConfigError(f"--set {item!r}: value is not valid YAML ({e})") from None
    check_plain_tree(parsed, f"--set {key}")
    return key.split("."), parsed


def apply_override(cfg: dict, path: list[str], value: Any) -> None:
    node: Any = cfg
    for i, part in enumerate(path[:-1]):
        where = ".".join(path[: i + 1])
        if isinstance(node, list):
            node = node[_list_index(part, node, where)]
        elif isinstance(node, dict):
            if part not in node or node[part] is None:
                node[part] = {}
            node = node[part]
        else:
            raise ConfigError(f"--set {'.'.join(path)}: {where} is a {type(node).__name__}, not a section")
    last = path[-1]
    if isinstance(node, list):
        node[_list_index(last, node, ".".join(path))] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"--set {'.'.join(path)}: parent is a {type(node).__name__}, not a section")


def _list_index(part: str, node: list, where: str) -> int:
    try:
        idx = int(part)
        node[idx]
        return idx
    except (ValueError, IndexError):
        raise ConfigError(f"--set: {where} is not an index of a list of {len(node)} items") from None


def load_config(ref: str, overrides: list[str] | tuple = (), registry: Registry | None = None,
                validate: bool = True) -> dict:
    """Load, merge, override and validate a config; returns the resolved plain-data dict.

    The result carries ``_name`` (``<plugin>/<config>``), used for the checkpoint and result folders.
    """
    registry = registry or get_registry()
    name, cfg = _load_with_bases(ref, registry)
    for item in overrides:
        path, value = parse_override(item)
        apply_override(cfg, path, value)
    if validate:
        cfg = validate_config(cfg, registry)
    cfg["_name"] = name
    return cfg


def config_from_dict(cfg: dict, registry: Registry | None = None) -> dict:
    """Validate a config given as data (e.g. the one stored inside a checkpoint)."""
    data = {k: v for k, v in cfg.items() if k != "_name"}
    out = validate_config(data, registry or get_registry())
    out["_name"] = cfg.get("_name", "unnamed")
    return out


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
        extra = {k: entry[k] for k in DATASET_ENTRY_KEYS if k in entry and k != "name"}
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


def yaml_word(value: Any, annotation: Any) -> Any:
    """YAML reads ``off``/``on`` (and ``no``/``yes``) as booleans: give a choice of words its word back
    (``amp: off`` means ``"off"``, not ``False``)."""
    if isinstance(value, bool) and typing.get_origin(annotation) is Literal:
        for word in (("on", "yes", "true") if value else ("off", "no", "false")):
            if word in typing.get_args(annotation):
                return word
    return value


def check_type(value: Any, annotation: Any, path: str) -> None:
    if not _matches(value, annotation):
        raise ConfigError(f"{path}: expected {_type_name(annotation)}, got {value!r} ({type(value).__name__})")


def _matches(value: Any, tp: Any) -> bool:
    if tp is Any or tp is inspect.Parameter.empty:
        return True
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _matches(value, args[0]) and all(b.holds(value) for b in tp.__metadata__ if isinstance(b, Bound))
    if origin in (Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if origin is Literal:
        return value in args
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:      # nan and inf are never a setting
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if tp is str:
        return isinstance(value, str)
    if origin in (list, tuple) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return False
        if args and args[-1] is not Ellipsis:
            inner = args[0] if origin is list or len(args) == 1 else None
            if inner is not None:
                return all(_matches(v, inner) for v in value)
            return len(args) == len(value) and all(_matches(v, a) for v, a in zip(value, args))
        if args:
            return all(_matches(v, args[0]) for v in value)
        return True
    if origin is dict or tp is dict:
        return isinstance(value, dict)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        bounds = " and ".join(str(b) for b in tp.__metadata__ if isinstance(b, Bound))
        return _type_name(typing.get_args(tp)[0]) + (f" {bounds}" if bounds else "")
    if tp is float:
        return "a finite float"
    if origin in (list, tuple) and typing.get_args(tp):
        return f"a list of {_type_name(typing.get_args(tp)[0])}"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _expect_dict(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{path or 'config'}: expected a mapping, got {value!r}")
    return value


def _expect_list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise ConfigError(f"{path}: expected a list, got {value!r}")
    return value


def _unknown_key_message(path: str, key: str, known: set, owner: str = "") -> str:
    where = f"{path}.{key}" if path else key
    msg = f"{where}: unknown key"
    if owner:
        msg += f" for {owner}"
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    if close:
        msg += f"; did you mean {close[0]!r}?"
    msg += f" Valid keys: {', '.join(sorted(known))}." if known else " It takes no keys."
    if owner and not close:
        msg += (f" (A key left from the section's previous component? Replace the whole section at once: "
                f"--set '{path}={{name: ...}}'.)")
    return msg


def dump_config(cfg: dict) -> str:
    return yaml.safe_dump({k: v for k, v in cfg.items()}, sort_keys=False, default_flow_style=False)
