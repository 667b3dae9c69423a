"""Version ranges for the plugin API, and the versions that made a checkpoint or an export.

A range is comma-separated clauses ``<op><version>`` with ``op`` one of ``>= > <= < == !=`` and versions of
dot-separated integers, compared with missing parts as zeros (``1`` equals ``1.0``): ``">=1.0,<2"``.
"""

from __future__ import annotations

import importlib.metadata as md
import re

_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)\s*$")


def parse_version(text: str) -> tuple[int, ...]:
    parts = str(text).strip().split(".")
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"{text!r} is not a version of dot-separated integers")
    return tuple(int(p) for p in parts)


def _padded(a: tuple, b: tuple) -> tuple[tuple, tuple]:
    n = max(len(a), len(b))
    return a + (0,) * (n - len(a)), b + (0,) * (n - len(b))


def parse_range(spec: str) -> list[tuple[str, tuple[int, ...]]]:
    """The clauses of a range; ValueError naming the clause that is not ``<op><version>``."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"{spec!r} is not a version range such as '>=1.0,<2'")
    clauses = []
    for part in spec.split(","):
        m = _CLAUSE.match(part)
        if not m:
            raise ValueError(f"{part.strip()!r} in {spec!r} is not a clause such as '>=1.0' or '<2'")
        clauses.append((m.group(1), parse_version(m.group(2))))
    return clauses


def in_range(version: str, spec: str) -> bool:
    v = parse_version(version)
    for op, bound in parse_range(spec):
        a, b = _padded(v, bound)
        ok = {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b, "==": a == b, "!=": a != b}[op]
        if not ok:
            return False
    return True


def distribution_version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "(not installed)"
