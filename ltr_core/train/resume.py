"""The resume policy: when a run's checkpoint may be continued with the config given now. A setting that extends
the run or only changes how it is watched (:data:`EXTENDING_KEYS`) is said and allowed; any other difference, a
config that no longer validates, a checkpoint past ``trainer.epochs`` and a weight average switched on or off
are refused, each in one line that says how to continue or start anew."""

from __future__ import annotations

from fnmatch import fnmatch

from ltr_core.config import ConfigError, config_from_dict
from ltr_core.errors import UserError


class ResumeError(UserError):
    """The checkpoints in the run's folder were made with settings that would change the run."""


#: Settings a resumed run may change: they extend the run or change how it is watched, never what it learns.
#: (``trainer.ema_decay`` has checks of its own, with their own messages.)
EXTENDING_KEYS = ("description", "trainer.epochs", "trainer.keep_last", "trainer.log_every", "trainer.tensorboard",
                  "trainer.val_every", "trainer.val_at_start", "trainer.device", "trainer.ema_decay",
                  "data.*.loader.workers", "data.*.loader.prefetch_factor", "data.*.loader.pin_memory",
                  "tracker", "tracker.*", "eval", "eval.*", "_name", "trainer.hooks", "trainer.hooks.*")


def _flatten(cfg, prefix: str = "") -> dict:
    out = {}
    for key, value in cfg.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def config_changes(old: dict, new: dict) -> tuple[list[str], list[str]]:
    """``(changes that extend the run, changes that would change it)``, each as ``key: old -> new``."""
    a, b = _flatten(old), _flatten(new)
    extend, change = [], []
    for key in sorted(set(a) | set(b)):
        if a.get(key, "(unset)") == b.get(key, "(unset)"):
            continue
        text = f"{key} {a.get(key, '(unset)')!r} -> {b.get(key, '(unset)')!r}"
        (extend if any(fnmatch(key, p) for p in EXTENDING_KEYS) else change).append(text)
    return extend, change


def check_resumable(state: dict, path, cfg: dict, registry=None) -> list[str]:
    """Refuse (:class:`ResumeError`) to resume from ``state`` (a checkpoint at ``path``) a run whose settings
    would change it under ``cfg``; return the settings that only extend it, as ``key old -> new``."""
    name = cfg["_name"]
    try:
        old = config_from_dict(state["config"], registry)
    except ConfigError as e:
        raise ResumeError(f"{path}: the config it was trained with no longer validates ({e}); start a new run "
                          "with --no-resume (the old checkpoints are moved aside, not deleted)") from None
    extend, change = config_changes({**old, "_name": name}, cfg)
    if change:
        raise ResumeError(f"{path} belongs to a run of {name} trained with other settings: "
                          f"{'; '.join(change[:6])}{' ...' if len(change) > 6 else ''}. To continue that run, "
                          "give the settings it had; to start a new run with these, add --no-resume (the old "
                          "run's checkpoints and logs are moved aside, not deleted)")
    if cfg["trainer"]["epochs"] < int(state["epoch"]):
        raise ResumeError(f"{path} is at epoch {state['epoch']}, past trainer.epochs {cfg['trainer']['epochs']}: "
                          "raise trainer.epochs to continue the run, or start a new one with --no-resume")
    return extend


def average_problem(state: dict, path, ema_decay: float) -> str | None:
    """Why a run cannot resume with ``trainer.ema_decay`` set to ``ema_decay``, or None: a run keeps or lacks a
    weight average for its whole life (switching it would make evaluation silently change weights)."""
    if ema_decay and not state.get("ema"):
        return (f"{path} has no weight average but trainer.ema_decay is {ema_decay}: resume with the config it "
                "was trained with, or start a new run (--no-resume, or --init-from it)")
    if not ema_decay and state.get("ema"):
        return (f"{path} keeps a weight average, which evaluation uses, but trainer.ema_decay is 0 here, so the "
                "next checkpoints would silently switch to the raw weights: resume with the config it was trained "
                "with (its trainer.ema_decay), or start a new run (--no-resume, or --init-from it)")
    return None
