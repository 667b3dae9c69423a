"""Submission packs for the evaluation servers whose ground truth is not public.

- GOT-10k test: a zip whose root holds one folder per sequence, ``GOT-10k_Test_000001/`` with
  ``GOT-10k_Test_000001_001.txt`` (one ``x,y,w,h`` line per frame, comma separated, ``%f``; ``_002`` and
  ``_003`` for the second and third run of a stochastic tracker) and ``GOT-10k_Test_000001_time.txt`` (seconds
  per frame, one per line). The server averages over the runs it finds.
- TrackingNet test: a zip whose root holds ``<video>.txt`` per test video (comma separated, ``%.2f``).

The inputs are ltr result folders (``<sequence>.txt`` and ``<sequence>_time.txt``, as ``ltr eval`` writes them),
one per run. Every file is checked before anything is written: same sequences in every run, the line count of
the dataset's frames where the dataset is at hand, finite non-negative sizes.
"""

from __future__ import annotations

import os
import zipfile
from io import StringIO
from pathlib import Path

import numpy as np

from ltr_core.errors import UserError
from ltr_core.evaluation.metrics import ResultError, read_result_file
from ltr_core.locking import tmp_name
from ltr_core.paths import check_name

SERVERS = ("got10k", "trackingnet")
MAX_RUNS = {"got10k": 3, "trackingnet": 1}


def _result_names(folder: Path) -> list[str]:
    """Sequence names of the result files; each becomes a path inside the zip, so each is checked."""
    names = sorted(p.name[:-len(".txt")] for p in folder.glob("*.txt") if not p.name.endswith("_time.txt"))
    for name in names:
        try:
            check_name(name, f"{folder}: result file {name}.txt names the sequence", nested=False)
        except UserError as e:
            raise ResultError(str(e)) from None
    return names


def _check_boxes(path: Path, frames: int | None) -> np.ndarray:
    boxes = read_result_file(path).boxes
    if frames is not None and len(boxes) != frames:
        raise ResultError(f"{path}: {len(boxes)} lines, but the sequence has {frames} frames")
    bad = ~np.isfinite(boxes).all(1) | (boxes[:, 2:] < 0).any(1)
    if bad.any():
        raise ResultError(f"{path}:{int(np.argmax(bad)) + 1}: NaN, infinite or negative width/height")
    return boxes


def _check_times(path: Path, frames: int) -> np.ndarray:
    if not path.is_file():
        raise ResultError(f"{path}: missing (GOT-10k wants per-frame times; `ltr eval` writes them)")
    try:
        times = np.loadtxt(path, dtype=np.float64, ndmin=1)
    except ValueError as e:
        raise ResultError(f"{path}: not one number per line ({e})") from None
    if len(times) != frames or not np.isfinite(times).all():
        raise ResultError(f"{path}: {len(times)} finite times expected {frames}")
    return times


def collect(server: str, run_dirs: list[Path], frames: dict[str, int] | None = None) -> dict:
    """Read and check every run's results: ``{sequence: {"runs": [boxes...], "times": array}}``.

    ``frames``: frame count per sequence from the dataset, when it is available (names must then match)."""
    if server not in SERVERS:
        raise ResultError(f"unknown server {server!r}; use one of {', '.join(SERVERS)}")
    run_dirs = [Path(d) for d in run_dirs]
    if not 1 <= len(run_dirs) <= MAX_RUNS[server]:
        raise ResultError(f"{server} takes 1 to {MAX_RUNS[server]} runs, got {len(run_dirs)} folders")
    names = None
    for d in run_dirs:
        if not d.is_dir():
            raise ResultError(f"results folder {d} does not exist")
        here = _result_names(d)
        if frames is not None:
            missing = sorted(set(frames) - set(here))
            if missing:
                raise ResultError(f"{d}: no result for {len(missing)} of {len(frames)} sequences "
                                  f"(first: {missing[0]}); run `ltr eval` to finish them")
            here = sorted(frames)
        if names is None:
            names = here
        elif here != names:
            raise ResultError(f"{d}: its sequences differ from those of {run_dirs[0]}")
    if not names:
        raise ResultError(f"{run_dirs[0]}: no result files (<sequence>.txt)")
    out = {}
    for name in names:
        runs = [_check_boxes(d / f"{name}.txt", frames.get(name) if frames else None) for d in run_dirs]
        if any(len(r) != len(runs[0]) for r in runs):
            raise ResultError(f"{name}: the runs have different lengths")
        times = _check_times(run_dirs[0] / f"{name}_time.txt", len(runs[0])) if server == "got10k" else None
        out[name] = {"runs": runs, "times": times}
    return out


def _text(array: np.ndarray, fmt: str, delimiter: str = ",") -> str:
    buf = StringIO()
    np.savetxt(buf, array, fmt=fmt, delimiter=delimiter)
    return buf.getvalue()


def member_files(server: str, results: dict) -> dict[str, str]:
    """The pack's files, ``{path inside the zip: text}``."""
    files = {}
    for name, r in results.items():
        if server == "got10k":
            for i, boxes in enumerate(r["runs"], start=1):
                files[f"{name}/{name}_{i:03d}.txt"] = _text(boxes, "%f")
            files[f"{name}/{name}_time.txt"] = _text(r["times"], "%f")
        else:
            files[f"{name}.txt"] = _text(r["runs"][0], "%.2f")
    return files


def write_layout(server: str, results: dict, folder: Path) -> None:
    """The pack's files as a folder (what ``ltr eval --dataset got10k --split test`` leaves next to its results)."""
    for rel, text in member_files(server, results).items():
        path = Path(folder) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def write_zip(server: str, results: dict, out: Path) -> Path:
    """Write the zip atomically (a temporary file renamed into place); returns its path."""
    out = Path(out)
    tmp = tmp_name(out)
    members = sorted(member_files(server, results).items())
    for rel, _ in members:       # the names were checked; the entries are built from them: check those too
        check_name(rel, "zip entry")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for rel, text in members:
                info = zipfile.ZipInfo(rel, date_time=(2020, 1, 1, 0, 0, 0))   # fixed: same results, same zip
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, text)
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ResultError(f"cannot write {out}: {e.strerror or e}") from None
    return out
