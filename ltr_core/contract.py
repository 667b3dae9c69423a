"""Checks on what plugin components return at run time, so a wrong result stops with one line naming the
component instead of a traceback deep inside the core. Each check reads only shapes and types: no device
synchronisation in the training step."""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ltr_core.errors import ComponentError


def _what(value) -> str:
    if torch.is_tensor(value):
        return f"a tensor of shape {tuple(value.shape)} and dtype {str(value.dtype).replace('torch.', '')}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return f"a {type(value).__name__} ({text if len(text) <= 60 else text[:57] + '...'})"


def actor_result(result, label: str, training: bool):
    """``(loss, stats)`` from an actor's ``__call__``: a one-element floating tensor (with a gradient when
    training) and a dict of str to numbers or one-element tensors."""
    expected = "(loss, stats): a one-element floating tensor and a dict of named numbers"
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ComponentError(f"{label} returned {_what(result)}; expected {expected}")
    loss, stats = result
    if not torch.is_tensor(loss) or loss.numel() != 1 or not loss.is_floating_point():
        raise ComponentError(f"{label} returned as loss {_what(loss)}; expected a one-element floating tensor "
                             "(reduce the loss terms, e.g. with .mean())")
    if training and not loss.requires_grad:
        raise ComponentError(f"{label} returned a loss that does not depend on any trainable parameter (no "
                             "gradient): compute it from the network's output without .detach() or no_grad")
    if not isinstance(stats, dict):
        raise ComponentError(f"{label} returned as stats {_what(stats)}; expected a dict of str to numbers")
    for key, value in stats.items():
        ok = isinstance(key, str) and (
            (torch.is_tensor(value) and value.numel() == 1)
            or (isinstance(value, numbers.Real) and not isinstance(value, bool)))
        if not ok:
            raise ComponentError(f"{label} returned stats[{key!r}] = {_what(value)}; expected a number or a "
                                 "one-element tensor under a str key")
    return loss.reshape(()), stats


def track_result(result, label: str, frame: int, where: str = "") -> tuple[np.ndarray, float]:
    """``(box, score)`` from a tracker's ``track``: four finite numbers ``x, y, w, h`` with ``w, h >= 0`` and a
    number. A box that breaks this stops the run at that frame (``where`` names the sequence): scoring would
    refuse it only after the whole benchmark was tracked."""
    expected = "(box, score): four numbers x, y, w, h and a number"
    at = f"frame {frame + 1}" + (f" of {where}" if where else "")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ComponentError(f"{label} returned {_what(result)} for {at}; expected {expected}")
    box, score = result
    try:
        array = np.asarray(box.detach().cpu() if torch.is_tensor(box) else box, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.size != 4:
        raise ComponentError(f"{label} returned as box {_what(box)} for {at}; expected four numbers x, y, w, h")
    array = array.reshape(4)
    if not np.isfinite(array).all() or (array[2:] < 0).any():
        what = "a box that is not finite" if not np.isfinite(array).all() else "a box of negative size"
        raise ComponentError(f"{label} returned {what}, {array.tolist()}, for {at}; stopped there (the sequences "
                             "finished before are kept): fix the tracker so that every box is four finite numbers "
                             "with w, h >= 0")
    try:
        value = float(score.item() if torch.is_tensor(score) or isinstance(score, np.ndarray) else score)
    except (TypeError, ValueError, RuntimeError):
        raise ComponentError(f"{label} returned as score {_what(score)} for {at}; expected a number") from None
    return array, value
