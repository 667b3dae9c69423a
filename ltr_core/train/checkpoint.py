"""Checkpoints: atomic writes, keep-last-N, safe loading, and fallback past a damaged latest file.

A checkpoint is a dict of tensors and plain data only (``torch.load(weights_only=True)`` reads it): the
net's state dict (and its moving average, with ``trainer.ema_decay``), optimizer, scheduler and grad-scaler
states, RNG states, the epoch, the epoch's stats and the resolved config, so evaluation and tracking rebuild the
network from the file alone.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import warnings
from pathlib import Path

import torch

from ltr_core.errors import UserError
from ltr_core.locking import tmp_name
from ltr_core.train.safe_pickle import CODE_ARCHIVE, is_torchscript_refusal, torchscript_archive

log = logging.getLogger(__name__)

FORMAT = "ltr-checkpoint-v1"
_NAME = re.compile(r"^ep(\d{4,})\.pth$")


class CheckpointError(UserError, RuntimeError):
    """A checkpoint that cannot be used; the message names the file."""


def checkpoint_dir(workspace: Path, config_name: str) -> Path:
    return Path(workspace) / "checkpoints" / "ltr" / config_name


def checkpoint_path(directory: Path, epoch: int) -> Path:
    return Path(directory) / f"ep{epoch:04d}.pth"


def list_checkpoints(directory: Path) -> list[tuple[int, Path]]:
    """``(epoch, path)`` of the checkpoints in a folder, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), directory / name) for name in os.listdir(directory) if (m := _NAME.match(name))]
    return sorted(found)


def save_checkpoint(state: dict, directory: Path, epoch: int, keep_last: int = 3) -> Path:
    """Write atomically (temp file, fsync, rename), then remove all but the ``keep_last`` newest."""
    directory = Path(directory)
    path = checkpoint_path(directory, epoch)
    tmp = tmp_name(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            torch.save({"format": FORMAT, **state}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except (OSError, RuntimeError) as e:     # torch.save's zip writer reports a full disk as a RuntimeError
        tmp.unlink(missing_ok=True)
        why = e.strerror if isinstance(e, OSError) and e.strerror else (str(e).strip().splitlines() or [""])[0][:160]
        previous = list_checkpoints(directory)
        kept = f"the latest checkpoint is still {previous[-1][1].name}" if previous else "no earlier checkpoint exists"
        raise CheckpointError(f"cannot write checkpoint {path} ({why}): nothing of it was kept and {kept}. Free "
                              f"space or make {directory} writable (or use another --workspace), then run the same "
                              "command again to continue from there") from None
    if keep_last > 0:
        for _, old in list_checkpoints(directory)[:-keep_last]:
            old.unlink(missing_ok=True)
    return path


def load_checkpoint(path: Path, map_location="cpu") -> dict:
    """Load one ltr checkpoint with ``weights_only=True``: nothing inside it is executed."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if torchscript_archive(path):
        raise CheckpointError(f"{path} {CODE_ARCHIVE}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # torch's advice on archives of code goes into the one line below
            state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated zip, foreign pickle, code-carrying objects...
        raise CheckpointError(f"checkpoint {path} cannot be loaded: {_why(e)}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an ltr checkpoint (no '{FORMAT}' marker); convert it with `ltr import`")
    problem = _field_problem(state)
    if problem:
        raise CheckpointError(f"{path}: {problem}: the file is damaged or was not written by ltr; use another "
                              "checkpoint (--epoch N) or train again")
    return state


#: what the fields of an ltr checkpoint must be (the optional ones when present)
_FIELDS = {"net": "a dict of tensors", "config": "a dict", "epoch": "a whole number >= 0"}
_OPTIONAL = {"optimizer": dict, "scheduler": dict, "scaler": dict, "ema": dict, "rng": dict, "history": list,
             "versions": (dict, type(None))}


def _field_problem(state: dict) -> str:
    """'' when the checkpoint's fields have the types the trainer and the trackers read; else the first that
    does not."""
    net = state.get("net")
    if not isinstance(net, dict) or not all(isinstance(k, str) and torch.is_tensor(v) for k, v in net.items()):
        return f"its 'net' is {_kind(net)}, not {_FIELDS['net']}"
    if not isinstance(state.get("config"), dict):
        return f"its 'config' is {_kind(state.get('config'))}, not a dict"
    epoch = state.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        return f"its 'epoch' is {_kind(epoch)}, not {_FIELDS['epoch']}"
    for key, types_ in _OPTIONAL.items():
        if key in state and not isinstance(state[key], types_):
            return f"its {key!r} is {_kind(state[key])}"
    ema = state.get("ema") or {}
    if ema and not (isinstance(ema.get("net"), dict) and all(torch.is_tensor(v) for v in ema["net"].values())):
        return "its 'ema' holds no dict of tensors under 'net'"
    rng = state.get("rng") or {}
    if rng and not (torch.is_tensor(rng.get("torch")) and rng["torch"].dtype == torch.uint8):
        return "its 'rng' holds no generator state under 'torch'"
    return ""


def _kind(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _why(error: Exception) -> str:
    """What is wrong with a file torch.load(weights_only=True) refused, without torch's advice to load it
    unsafely."""
    text = str(error)
    if is_torchscript_refusal(error):             # torch's own zip reader saw an archive of code
        return f"it {CODE_ARCHIVE}"
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if isinstance(error, pickle.UnpicklingError) or "weights_only" in text:
        what = f" (such as {found.group(1)})" if found else ""
        return (f"it holds pickled objects other than tensors and plain data{what}, which ltr never unpickles. If "
                "it is a checkpoint of another toolkit, `ltr import PLUGIN FILE -o OUT.pth` copies its tensors into "
                "an ltr checkpoint without running anything in it")
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return f"{type(error).__name__}: {first[:200]} (truncated or not a torch file?)"


def inference_weights(state: dict) -> dict:
    """The weights to evaluate, track and export with: the moving average when training kept one
    (``trainer.ema_decay``), else the trained weights."""
    ema = state.get("ema")
    return ema["net"] if isinstance(ema, dict) and ema.get("net") else state["net"]


def load_latest(directory: Path, map_location="cpu", report=log.warning) -> tuple[dict, Path] | None:
    """The newest loadable checkpoint; damaged newer files are reported and skipped, never deleted."""
    for epoch, path in reversed(list_checkpoints(directory)):
        try:
            return load_checkpoint(path, map_location), path
        except CheckpointError as e:
            report(f"{e} -- falling back to the previous checkpoint")
    return None


def config_checkpoint(workspace: Path, cfg: dict, checkpoint: str | None = None, epoch: int | None = None) -> Path:
    """:func:`resolve_checkpoint` for a resolved config (its name and ``released_weights``)."""
    return resolve_checkpoint(workspace, cfg["_name"], checkpoint, epoch, cfg.get("released_weights"))


def resolve_checkpoint(workspace: Path, config_name: str, checkpoint: str | None = None,
                       epoch: int | None = None, released: dict | None = None) -> Path:
    """Path given by ``--checkpoint``, or ``--epoch N``, or the latest of the config's folder. ``released``: the
    config's ``released_weights``, named (with the ``ltr import`` that brings them in) when there is none."""
    if checkpoint:
        return Path(checkpoint)
    directory = checkpoint_dir(workspace, config_name)
    found = list_checkpoints(directory)
    if epoch is not None:
        path = checkpoint_path(directory, epoch)
        if not path.is_file():
            raise CheckpointError(f"no checkpoint for epoch {epoch} in {directory} "
                                  f"(have: {', '.join(str(e) for e, _ in found) or 'none'})")
        return path
    if not found:
        if released and released.get("file"):
            plugin, file = config_name.split("/")[0], released["file"]
            source = f" from {released['source']}" if released.get("source") else ""
            converted = Path(file).name.split(".")[0] + ".ltr.pth"
            raise CheckpointError(f"no checkpoint in {directory}: train first (`ltr train {config_name}`), or "
                                  f"download the released {file}{source}, convert it with `ltr import {plugin} "
                                  f"{file} --config {config_name} -o {converted}` and pass --checkpoint {converted}")
        raise CheckpointError(f"no checkpoint in {directory}: train first (`ltr train {config_name}`) "
                              "or pass --checkpoint")
    return found[-1][1]
