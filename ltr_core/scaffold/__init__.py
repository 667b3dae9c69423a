"""``ltr new plugin NAME``: write a working, installable plugin package from the templates beside this file.

Templates are ``*.tmpl`` files with ``${name}`` (the plugin and entry-point name), ``${package}`` (``ltr_<name>``),
``${dist}`` (``ltr-<name>``), ``${cls}`` (the name in CamelCase), ``${api_range}`` (the plugin API versions it
supports) and ``${core_requirement}`` (the ltr-core releases it installs with); the folder ``package/`` becomes
the Python package.
"""

from __future__ import annotations

import keyword
import re
import string
from pathlib import Path

from ltr_core.errors import UserError
from ltr_core.hookspecs import PLUGIN_API

TEMPLATE = Path(__file__).parent / "template"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def core_requirement(version: str) -> str:
    """``ltr-core>=X.Y,<X.(Y+1)`` before 1.0 (minor releases may break), ``>=X.Y,<(X+1)`` from 1.0 on."""
    major, minor = (int(p) for p in (version.split(".") + ["0"])[:2])
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f"ltr-core>={major}.{minor},<{upper}"


def api_range() -> str:
    major = int(PLUGIN_API.split(".")[0])
    return f">={PLUGIN_API},<{major + 1}"


def write_plugin(name: str, out: Path, core_version: str) -> list[Path]:
    """Write the plugin ``name`` into the folder ``out`` (which must not exist or be empty); returns the files."""
    if not _NAME.match(name) or keyword.iskeyword(name) or name == "core":
        raise UserError(f"plugin name {name!r}: use lower-case letters, digits and '_', starting with a letter "
                        "(it names the entry point, the package ltr_<name> and the distribution ltr-<name>); "
                        "'core' is the core's")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} already exists and is not an empty folder: choose another --out; nothing was "
                        "written")
    values = {"name": name, "package": f"ltr_{name}", "dist": f"ltr-{name.replace('_', '-')}",
              "cls": "".join(p.capitalize() for p in name.split("_") if p) or name,
              "api_range": api_range(), "core_requirement": core_requirement(core_version)}
    written = []
    for src in sorted(TEMPLATE.rglob("*.tmpl")):
        rel = src.relative_to(TEMPLATE).with_suffix("")
        parts = [values["package"] if p == "package" else p for p in rel.parts]
        dest = out.joinpath(*parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(string.Template(src.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(dest)
    return written
