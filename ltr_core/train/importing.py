"""Weights from elsewhere: ltr checkpoints, plain state dicts and pytracking-style checkpoints.

Foreign files are read with :func:`load_tensors_only`, so pickled objects inside them (pytracking's
``constructor``, ``settings``) never run; only tensors are taken.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ltr_core.errors import UserError
from ltr_core.train.checkpoint import FORMAT, CheckpointError, inference_weights
from ltr_core.train.safe_pickle import load_tensors_only


def read_foreign(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist")
    try:
        return load_tensors_only(path)
    except UserError:
        raise
    except Exception as e:
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise CheckpointError(f"cannot read {path} as a torch checkpoint ({type(e).__name__}: {first}): is it "
                              "truncated, or not a file torch.save wrote?") from None


def extract_state_dict(obj, path) -> dict[str, torch.Tensor]:
    """The network's tensors from an ltr checkpoint, a pytracking checkpoint (``net``) or a state dict."""
    if isinstance(obj, dict):
        for key in ("net", "state_dict", "model"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj or not all(torch.is_tensor(v) for v in obj.values()):
        raise CheckpointError(f"{path}: found no state dict of tensors (looked for keys net, state_dict, model)")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in obj.items()}


def load_net_weights(path: str | Path) -> dict[str, torch.Tensor]:
    obj = read_foreign(path)
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        return inference_weights(obj)
    return extract_state_dict(obj, path)


def adapt_foreign_state(net: torch.nn.Module, state: dict[str, torch.Tensor], source) -> dict[str, torch.Tensor]:
    """``state`` under ``net``'s parameter names: as it is when the names already fit, else through the net
    class's optional ``adapt_foreign_state(state) -> state`` (a plugin's map from the original codebase's names,
    e.g. pytracking's, to its own; plugin API 1.3). What the adapter raises is one line naming the file."""
    own = net.state_dict()
    adapt = getattr(type(net), "adapt_foreign_state", None)
    if adapt is None or set(state) == set(own):
        return state
    try:
        adapted = adapt(dict(state))
    except Exception as e:
        raise CheckpointError(f"{source}: {type(net).__name__}.adapt_foreign_state could not map its names "
                              f"({type(e).__name__}: {e})") from None
    if not isinstance(adapted, dict) or not all(torch.is_tensor(v) for v in adapted.values()):
        raise CheckpointError(f"{source}: {type(net).__name__}.adapt_foreign_state returned "
                              f"{type(adapted).__name__}, not a dict of tensors")
    return adapted
