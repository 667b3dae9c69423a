"""The config's core sections (``trainer``, ``eval``, a loader's ``loader``, the optimizer's ``param_groups``), the
top-level keys, and :class:`ConfigError`. What plugins' components take is their factories' business
(:mod:`ltr_core.config.validate` reads their signatures)."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union

from ltr_core.errors import UserError
from ltr_core.valuetypes import (MAX_PROCESSES, Bound, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt,
                                 Probability, UnitInterval)


#: limits on what a config may be, each with its reason: a config is a few KB of names and numbers
MAX_CONFIG_BYTES = 1 << 20          # 1 MiB; ltr's largest config is under 3 KB
MAX_CONFIG_DEPTH = 32               # sections inside sections; ltr's deepest is 5
INT_RANGE = (-2**63, 2**63 - 1)     # every integer setting ends up in a 64-bit integer (seeds, sizes, counts)


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


@dataclass
class ReleasedWeights:
    """``released_weights``: the original authors' published weights for this config's network (core 0.3.4), named
    in the line a command prints when the config has no checkpoint, with how to bring them in (``ltr import``)."""
    file: str = ""                 # the file's name as published, e.g. dimp50.pth
    source: str = ""               # where it is published, e.g. pytracking's MODEL_ZOO.md


TOP_LEVEL = {"description", "base", "seed", "data", "net", "objective", "actor", "tracker",
             "optimizer", "scheduler", "trainer", "eval", "released_weights"}
SECTIONS = ("data", "net", "objective", "actor", "tracker", "optimizer", "scheduler", "trainer", "eval")
COMPONENT_SECTIONS = {"net": "net", "objective": "objective", "actor": "actor", "tracker": "tracker"}
LOADER_KEYS = {"datasets", "sampler", "processing", "processing_schedule", "loader"}
DATASET_ENTRY_KEYS = {"name", "weight", "root", "root_env"}


# -- what no config may be ------------------------------------------------------------------------------
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
