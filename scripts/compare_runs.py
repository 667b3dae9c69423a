"""Whether two training runs wrote the same thing: checkpoints, train.log, metrics.jsonl and TensorBoard scalars.

    python3 scripts/compare_runs.py WORKSPACE_A WORKSPACE_B [--ignore versions]

For a change that should not change training (such as moving the loop's work into trainer hooks): train the
same config with both versions into two workspaces, then compare. Every checkpoint tensor must be bit-equal and
every other value equal with the same key order, except the measured timings (``samples_per_s``, ``data_ms``,
``compute_ms``; no two runs share them, so no two checkpoints share bytes) and the workspace path; log lines are
compared without their time stamps and timings. ``--ignore KEY`` skips a top-level checkpoint entry (``versions``
when the two sides are different releases). Exits 1 naming the first difference.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import torch

TIMING = re.compile(r"(samples_per_s|data_ms|compute_ms)$")


def _plain(x, root: str):
    if isinstance(x, torch.Tensor):
        return ("tensor", str(x.dtype), tuple(x.shape), x.detach().float().numpy().tobytes())
    if isinstance(x, dict):
        return [(k, _plain(v, root)) for k, v in x.items() if not TIMING.search(str(k))]
    if isinstance(x, (list, tuple)):
        return [_plain(v, root) for v in x]
    if isinstance(x, str):
        return x.replace(root, "<workspace>")
    return x


def _log_lines(text: str, jsonl: bool = False) -> list:
    if jsonl:
        return [{k: v for k, v in json.loads(line).items() if not TIMING.search(k)} for line in text.splitlines()]
    text = re.sub(r"(samples_per_s|data_ms|compute_ms) \S+", r"\1", text)
    return [re.sub(r"^\S+ \S+ ", "", line) for line in text.splitlines()]


def _scalars(ws: Path) -> dict:
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:
        return {}
    out: dict = {}
    for events in sorted(ws.glob("tensorboard/**/events.*")):
        acc = EventAccumulator(str(events))
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            if not TIMING.search(tag):
                out.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
    return out


def compare(a: Path, b: Path, ignore: tuple[str, ...] = ()) -> list[str]:
    a, b = Path(a).resolve(), Path(b).resolve()
    said = []
    ckpts = sorted(p.relative_to(a) for p in a.glob("checkpoints/**/*.pth"))
    if ckpts != sorted(p.relative_to(b) for p in b.glob("checkpoints/**/*.pth")):
        return ["the two workspaces hold different checkpoint files"]
    for rel in ckpts:
        sa = torch.load(a / rel, weights_only=True, map_location="cpu")
        sb = torch.load(b / rel, weights_only=True, map_location="cpu")
        for key in sorted(set(sa) | set(sb)):
            if key not in ignore and _plain(sa.get(key), str(a)) != _plain(sb.get(key), str(b)):
                return [f"{rel}: {key} differs"]
        if [k for k in sa if k not in ignore] != [k for k in sb if k not in ignore]:
            return [f"{rel}: the order of its entries differs"]
    said.append(f"{len(ckpts)} checkpoints equal")
    for pattern in ("logs/**/train.log", "logs/**/*.jsonl"):
        for pa in sorted(a.glob(pattern)):
            pb = b / pa.relative_to(a)
            jsonl = pa.suffix == ".jsonl"
            if not pb.is_file() or _log_lines(pa.read_text(), jsonl) != _log_lines(pb.read_text(), jsonl):
                return [f"{pa.relative_to(a)}: differs"]
            said.append(f"{pa.relative_to(a)} equal")
    ta, tb = _scalars(a), _scalars(b)
    if ta != tb:
        return ["TensorBoard scalars differ"]
    said.append(f"{len(ta)} TensorBoard scalar tags equal")
    return said


if __name__ == "__main__":
    args = sys.argv[1:]
    ignored = tuple(args[i + 1] for i, a in enumerate(args) if a == "--ignore")
    paths = [a for i, a in enumerate(args) if a != "--ignore" and (i == 0 or args[i - 1] != "--ignore")]
    lines = compare(Path(paths[0]), Path(paths[1]), ignored)
    print("\n".join(lines))
    sys.exit(0 if lines and "differ" not in lines[0] else 1)
