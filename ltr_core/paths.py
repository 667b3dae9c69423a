"""Names that become paths (run names, tags, sequence names, archive entries) stay inside the workspace.

A name is one or more components of letters, digits and ``_ . + -`` joined by ``/``; no component is ``.`` or
``..`` and none starts with a dot, so a name can never climb out of the folder it is joined to.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from ltr_core.errors import UserError

_COMPONENT = re.compile(r"^[A-Za-z0-9_+-][A-Za-z0-9_.+-]*$")


def check_name(value: str, what: str, nested: bool = True) -> str:
    """``value`` if it is a safe relative name (``nested``: ``/`` allowed between components), else a
    :class:`UserError` naming ``what``."""
    parts = value.split("/") if nested else [value]
    if not isinstance(value, str) or not value or not all(_COMPONENT.match(p) for p in parts):
        allowed = "letters, digits, '_', '.', '+' and '-'" + (", with '/' between names" if nested else "")
        raise UserError(f"{what} {value!r}: use {allowed}, no name starting with '.', not an absolute path: it "
                        "names a folder or file inside the workspace")
    return value


def inside(base: Path, *names: str) -> Path:
    """``base / names...``, refused when the result would not be inside ``base``."""
    base = Path(base).resolve()
    path = base.joinpath(*names).resolve()
    if not path.is_relative_to(base):
        raise UserError(f"{'/'.join(names)} would be outside {base}")
    return path


def set_aside(folder: Path) -> Path:
    """Move ``folder`` to ``<folder>.replaced-<time>`` (``-2``, ``-3``, ... when that exists) and return where."""
    folder = Path(folder)
    stem = f"{folder.name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}"
    aside, n = folder.with_name(stem), 1
    while aside.exists():
        n += 1
        aside = folder.with_name(f"{stem}-{n}")
    folder.rename(aside)
    return aside


def file_sha256(path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB blocks (checkpoints and ONNX parts are large)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
