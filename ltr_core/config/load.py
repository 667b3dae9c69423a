"""Reading configs: YAML files (registered ``<plugin>/<config>`` or a path) with their limits, ``base:``
inheritance, ``--set`` overrides, then validation (:mod:`ltr_core.config.validate`)."""

from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from ltr_core.config.schema import (MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, ConfigError, _refuse_null_sections,
                                    check_plain_tree)
from ltr_core.config.validate import validate_config
from ltr_core.registry import Registry, RegistryError, get_registry


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


def yaml_load(text: str, where: str = "config"):
    """Parse YAML; a document nested too deeply for the parser is a :class:`ConfigError` naming ``where``."""
    try:
        return yaml.load(text, Loader=_Loader)
    except RecursionError:
        raise ConfigError(f"{where}: nested deeper than a config can be (at most {MAX_CONFIG_DEPTH} levels)") \
            from None


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


def dump_config(cfg: dict) -> str:
    return yaml.safe_dump({k: v for k, v in cfg.items()}, sort_keys=False, default_flow_style=False)
