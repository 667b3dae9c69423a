"""Configs: YAML files inside plugins (``<plugin>/<config>``) or a user's path, with ``--set`` overrides.

A config is plain data. Loading resolves ``base:`` inheritance, applies overrides, then validates everything
before any data is read: unknown keys, wrong types and unknown component names each raise one
:class:`ConfigError` naming the key path. Component sections (``{name: ..., **kwargs}``) are checked against
the signature of the registered factory, and the factory's defaults are filled in, so the resolved config
shows every setting that is in force.

The package's rooms: :mod:`~ltr_core.config.load` (YAML, ``base:``, ``--set``), :mod:`~ltr_core.config.schema`
(the core sections and top-level keys), :mod:`~ltr_core.config.validate` (checking against schemas and factory
signatures), :mod:`~ltr_core.config.typecheck` (values against annotations).

Top-level keys (core sections are documented on their dataclasses in :mod:`~ltr_core.config.schema`):

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

from ltr_core.config.load import (apply_override, config_from_dict, deep_merge, dump_config, file_config_name,
                                  load_config, parse_override, read_yaml, resolve_config_path, yaml_load)
from ltr_core.config.schema import (COMPONENT_SECTIONS, INT_RANGE, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, SECTIONS,
                                    TOP_LEVEL, ConfigError, EvalConfig, LoaderConfig, ParamGroupConfig, TrainerConfig,
                                    check_plain_tree)
from ltr_core.config.typecheck import check_type, yaml_word
from ltr_core.config.validate import (factory_params, require_sections, validate_component, validate_config,
                                      validate_dataclass, validate_optimizer)
# the value types, re-exported: their 0.2 import path (ltr_core.api is 0.3's)
from ltr_core.valuetypes import (Bound, CropSize, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt,
                                 Probability, UnitInterval)

__all__ = ["COMPONENT_SECTIONS", "ConfigError", "EvalConfig", "INT_RANGE", "LoaderConfig", "MAX_CONFIG_BYTES",
           "MAX_CONFIG_DEPTH", "ParamGroupConfig", "SECTIONS", "TOP_LEVEL", "TrainerConfig", "apply_override",
           "check_plain_tree", "check_type", "config_from_dict", "deep_merge", "dump_config", "factory_params",
           "file_config_name", "load_config", "parse_override", "read_yaml", "require_sections", "resolve_config_path",
           "validate_component", "validate_config", "validate_dataclass", "validate_optimizer", "yaml_load",
           "yaml_word", "Bound", "CropSize", "NonNegativeFloat", "NonNegativeInt", "PositiveFloat", "PositiveInt",
           "Probability", "UnitInterval"]
