"""The small type system of config values: whether a value fits a factory's annotation (``int``, ``Literal``,
``Union``, ``list[...]``, ``Annotated[..., Bound(...)]``), how to name a type in a message, and the messages for
unknown keys."""

from __future__ import annotations

import difflib
import inspect
import math
import types
import typing
from typing import Any, Literal, Union

from ltr_core.config.schema import ConfigError
from ltr_core.valuetypes import Bound


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
