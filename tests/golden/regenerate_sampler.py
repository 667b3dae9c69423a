"""Regenerate the golden fixture of the causal frame sampling from pytracking's own sampler.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    python tests/golden/regenerate_sampler.py /tmp/pytracking

pytracking's ``TrackingSampler.__getitem__`` (``ltr/data/sampler.py``, ``frame_sample_mode='causal'``, as its
``DiMPSampler`` and OSTrack's sampler use it) runs on one-sequence datasets whose visibility flags are given
(:data:`CASES`: targets absent for long spells, visible only at the start, a window that must widen several times).
Its module's ``random`` is replaced by :class:`Draws`: ``random.choices(ids, k=k)`` takes ``ids[floor(u * len)]``
for ``k`` replayed uniforms ``u`` (what Python's own ``choices`` computes from ``random()``), the dataset and
sequence draws take the only one; ltr's sampler gets the same uniforms through ``rng.choice(ids, k)``. The
processing returns the frame ids it is given.

Writes ``sampler_causal.json``: per case and draw the template (pytracking: train) and search (test) frame ids and
how many uniforms were used.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "sampler_causal.json"
SEED = 20261209
DRAWS = 12                       # samples per case


def _visible(length: int, absent: list[tuple[int, int]]) -> list[bool]:
    flags = [True] * length
    for a, b in absent:
        for i in range(a, min(b, length)):
            flags[i] = False
    return flags


# name: (visibility flags, template frames, search frames, max_gap)
CASES = {
    "dimp_dense": (_visible(120, []), 3, 3, 30),
    "dimp_absent_spells": (_visible(200, [(10, 60), (90, 150)]), 3, 3, 30),
    "dimp_widening": (_visible(150, [(5, 140)]), 3, 3, 4),                 # visible only at both ends
    "ostrack_one_one": (_visible(80, [(30, 50)]), 1, 1, 200),
    "short_visible_start": (_visible(40, [(14, 40)]), 2, 2, 10),
}


class Draws:
    """Replayed uniforms, for pytracking's ``random`` module and ltr's generator alike."""

    def __init__(self, seed: int):
        self.u = np.random.default_rng(seed).random(100_000)
        self.used = 0

    def _take(self, ids, k):
        out = [ids[int(self.u[self.used + i] * len(ids))] for i in range(k)]
        self.used += k
        return out

    # pytracking: random.choices(population, weights, k), random.randint(a, b)
    def choices(self, population, weights=None, k=1):
        if weights is not None:                      # the dataset draw: one dataset
            return [population[0]]
        return self._take(list(population), k)

    def randint(self, a, b):                         # the sequence draw: one sequence
        return a

    # ltr: rng.choice(ids, k)
    def choice(self, ids, size):
        return np.asarray(self._take(list(ids), int(size)))


def pytracking_sampler(root: Path):
    """pytracking's ``ltr.data.sampler``, its packages' ``__init__``s (datasets, runners) not run."""
    from regenerate_scores import _namespace                 # the scoring harness's bare packages

    sys.path.insert(0, str(root))
    for pkg in ("ltr", "ltr/data", "pytracking"):
        _namespace(pkg.replace("/", "."), root / pkg)
    libs = importlib.import_module("pytracking.libs")
    sys.modules["pytracking"].TensorList, sys.modules["pytracking"].TensorDict = libs.TensorList, libs.TensorDict
    return importlib.import_module("ltr.data.sampler")


class OneSequence:
    """pytracking's dataset interface for one sequence with the given visibility."""

    def __init__(self, visible):
        import torch
        self.visible = torch.tensor(visible)

    def is_video_sequence(self):
        return True

    def get_name(self):
        return "one"

    def get_num_sequences(self):
        return 1

    def get_sequence_info(self, seq_id):
        import torch
        return {"bbox": torch.zeros(len(self.visible), 4), "valid": self.visible, "visible": self.visible}

    def get_frames(self, seq_id, frame_ids, info):
        return list(frame_ids), {"bbox": [None] * len(frame_ids)}, {}


def main(root: str) -> None:
    sampler = pytracking_sampler(Path(root).resolve())
    golden = {"seed": SEED, "cases": {}}
    for i, (name, (visible, n_train, n_test, gap)) in enumerate(CASES.items()):
        draws = Draws(SEED + i)
        sampler.random = draws
        s = sampler.TrackingSampler([OneSequence(visible)], [1], samples_per_epoch=DRAWS, max_gap=gap,
                                    num_test_frames=n_test, num_train_frames=n_train,
                                    processing=lambda data: data, frame_sample_mode="causal")
        out = []
        for _ in range(DRAWS):
            data = s[0]
            out.append({"template": [int(v) for v in data["train_images"]],
                        "search": [int(v) for v in data["test_images"]], "used": draws.used})
        golden["cases"][name] = out
        print(f"{name}: first {out[0]['template']} -> {out[0]['search']}; {draws.used} uniforms")
    OUT.write_text(json.dumps(golden) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
