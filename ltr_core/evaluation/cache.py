"""Scores of unchanged result sets, kept: ``ltr score`` run again on the same files and ground truth answers from
``<workspace>/cache/scores/`` instead of parsing and scoring every file again.

An entry's key is the SHA-256 of everything a score depends on: the cache format and ltr-core's version, the
protocol and box format, and per sequence its name, evaluation rules, ground truth and visibility flags, and
the result file's content (its SHA-256; a zip member's CRC-32 and size). Changing any file, the ground truth
or ltr-core makes a new key; entries are never updated in place, only written whole (a temporary file renamed).
A damaged entry is scored again and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

from ltr_core import __version__
from ltr_core.locking import tmp_name

FORMAT = "ltr-score-cache/1"


def scoring_digest(seqs, protocol: str, box_format: str | None) -> str:
    """What every result set's key shares: the cache format, ltr-core's version, the protocol, the box format and
    each sequence's name, rules, ground truth and flags (hashed once per ``ltr score``, not once per set)."""
    h = hashlib.sha256(f"{FORMAT}\0{__version__}\0{protocol}\0{box_format}\0".encode())
    for seq in seqs:
        h.update(f"{seq.name}\0{seq.rules}\0".encode())
        h.update(seq.gt.tobytes())
        h.update(b"-" if seq.visible is None else seq.visible.tobytes())
    return h.hexdigest()


def cache_key(run, seqs, scoring: str) -> str | None:
    """The key of a run's scores on ``seqs`` (``scoring``: :func:`scoring_digest` of them); None when a result
    file is missing (nothing to cache)."""
    h = hashlib.sha256(scoring.encode())
    for seq in seqs:
        digest = run.digest(seq.name)
        if digest is None:
            return None
        h.update(f"{seq.name}\0{digest}\0".encode())
    return h.hexdigest()


def cached(folder: Path, key: str | None, compute: Callable[[], dict], refresh: bool = False) -> tuple[dict, bool]:
    """``compute()``'s scores, from ``folder/<key>.json`` when it is there (unless ``refresh``: computed and
    written again); (scores, whether from the cache)."""
    if key is None:
        return compute(), False
    path = Path(folder) / f"{key}.json"
    try:
        entry = json.loads(path.read_text(encoding="utf-8")) if not refresh else {}
        if entry.get("format") == FORMAT and isinstance(entry.get("scores"), dict):
            return entry["scores"], True
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    scores = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_name(path)
    tmp.write_text(json.dumps({"format": FORMAT, "scores": scores}), encoding="utf-8")
    os.replace(tmp, path)
    return scores, False
