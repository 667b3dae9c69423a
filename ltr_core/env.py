"""Where things are: dataset roots and the workspace.

Dataset roots come from environment variables (``LTR_LASOT_DIR`` ...), else from the user file
``~/.config/ltr/env.yaml`` (or ``$LTR_ENV_FILE``), a mapping of the same variable names to paths::

    LTR_LASOT_DIR: /data/lasot
    LTR_GOT10K_DIR: /data/got10k

The workspace (checkpoints, logs, results) is ``--workspace``, else ``$LTR_WORKSPACE``, else ``./workspace``.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from ltr_core.errors import UserError

DATASET_VARIABLES = {
    "LTR_LASOT_DIR": "LaSOT root (ROOT/<class>/<class>-<n>/img/...)",
    "LTR_GOT10K_DIR": "GOT-10k root (ROOT/train/GOT-10k_Train_000001/...)",
    "LTR_TRACKINGNET_DIR": "TrackingNet root (ROOT/TRAIN_<k>/frames, anno)",
    "LTR_COCO_DIR": "COCO 2017 root (ROOT/annotations, ROOT/images/train2017)",
    "LTR_DEMO_DIR": "generated demo dataset (LaSOT layout); default <workspace>/data/demo",
    "LTR_OTB_DIR": "OTB100 root (ROOT/<Video>/img/0001.jpg, groundtruth_rect.txt)",
    "LTR_UAV123_DIR": "UAV123 root (ROOT/data_seq/UAV123/<video>/, ROOT/anno/UAV123/<seq>.txt)",
    "LTR_NFS_DIR": "NfS root as pytracking prepares it (ROOT/sequences/<Video>/, ROOT/anno/nfs_<Video>.txt)",
    "LTR_TNL2K_DIR": "TNL2K test root (ROOT/<seq>/imgs/, groundtruth.txt)",
    "LTR_LASOT_EXTENSION_DIR": "LaSOT extension root (LaSOT layout, 15 classes)",
    "LTR_SEQUENCES_DIR": "your own sequences (ROOT/<seq>/ frames + groundtruth.txt, or ROOT/<seq>.mp4 + <seq>.txt)",
}


#: limits that protect the machine from a hostile or mistaken input, with the reason for each default
LIMIT_VARIABLES = {
    "LTR_MAX_FRAME_PIXELS": (100_000_000, "the most pixels of one frame that is decoded (100 M = 300 MB of RGB; "
                                          "LaSOT's largest frames have 2 M, an 8K frame 33 M)"),
}


def limit(variable: str) -> int:
    """A limit of :data:`LIMIT_VARIABLES`: the environment's value, the env file's, or the default."""
    default, what = LIMIT_VARIABLES[variable]
    value, source = lookup(variable)
    if value is None:
        return default
    try:
        number = int(str(value).strip())
        assert number > 0
    except (ValueError, AssertionError):
        raise EnvironmentError_(f"{variable}={value!r} (from {source}): expected a positive whole number, "
                                f"{what}") from None
    return number


class EnvironmentError_(UserError, RuntimeError):
    """A dataset root or workspace that is not set or does not exist."""


#: the generated demo data's root variable (its default is the workspace's ``data/demo``)
DEMO_VARIABLE = "LTR_DEMO_DIR"


def env_file() -> Path:
    return Path(os.environ.get("LTR_ENV_FILE", Path.home() / ".config" / "ltr" / "env.yaml"))


def _user_file_values() -> dict:
    path = env_file()
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise EnvironmentError_(f"cannot read the ltr environment file {path}: {e}") from None
    if not isinstance(data, dict):
        raise EnvironmentError_(f"{path} must map variable names (e.g. LTR_LASOT_DIR) to paths")
    return {str(k): str(v) for k, v in data.items()}


def expand(value: str | os.PathLike) -> Path:
    """``~`` and ``$VARIABLES`` expanded, as a shell would (values from env files and quoted strings too)."""
    return Path(os.path.expandvars(os.path.expanduser(str(value))))


def workspace_dir(cli_value: str | os.PathLike | None = None) -> Path:
    value = cli_value or os.environ.get("LTR_WORKSPACE") or "./workspace"
    return expand(value).resolve()


def lookup(variable: str, workspace: Path | None = None) -> tuple[str | None, str]:
    """Return ``(value, source)`` for a dataset-root variable."""
    if os.environ.get(variable):
        return os.environ[variable], "environment"
    file_values = _user_file_values()
    if file_values.get(variable):
        return file_values[variable], str(env_file())
    if variable == DEMO_VARIABLE:
        return str((workspace or workspace_dir()) / "data" / "demo"), "default"
    return None, "unset"


def dataset_root(variable: str, workspace: Path | None = None, what: str = "") -> Path:
    """The root a dataset reader should open; stops with a clear message when unset or missing."""
    value, source = lookup(variable, workspace)
    label = what or DATASET_VARIABLES.get(variable, variable)
    if value is None:
        raise EnvironmentError_(
            f"{variable} is not set: it must point to the {label}. "
            f"Export {variable}=/path/to/it, or add it to {env_file()}.")
    root = expand(value)
    if not root.is_dir():
        hint = " Generate it with `ltr data make-demo`." if variable == DEMO_VARIABLE else ""
        raise EnvironmentError_(f"{variable}={value} (from {source}) does not exist or is not a folder.{hint}")
    return root


def describe(workspace: Path) -> list[tuple[str, str, str]]:
    rows = [("workspace", str(workspace), "--workspace / LTR_WORKSPACE")]
    for var in DATASET_VARIABLES:
        value, source = lookup(var, workspace)
        if value is None:
            rows.append((var, "(unset)", source))
        else:
            state = "" if Path(value).expanduser().is_dir() else "  [missing]"
            rows.append((var, value + state, source))
    for var, (default, _) in LIMIT_VARIABLES.items():
        value, source = lookup(var, workspace)
        rows.append((var, value or str(default), source if value else "default"))
    rows.append(("env file", str(env_file()), "exists" if env_file().is_file() else "absent"))
    return rows
