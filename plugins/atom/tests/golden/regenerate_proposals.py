"""Regenerate the golden fixture of ATOM's training proposals and IoU targets from pytracking's own code.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    python plugins/atom/tests/golden/regenerate_proposals.py /tmp/pytracking

pytracking draws a proposal with Python's ``random`` (``random.choice`` of the sigma factor, ``random.gauss``) and
``torch.rand`` (``rand_uniform``); ltr-atom draws with a NumPy generator. To compare the arithmetic and not the
generators, both are fed one replayed stream of standard draws (:class:`Draws`): a choice index, a standard
normal ``z`` for ``gauss(mu, sigma) = mu + z * sigma`` (what Python's ``random.gauss`` computes from its ``z``), a
uniform ``u`` for ``rand_uniform(a, b) = (b - a) * u + a`` (rounded to float32, as ``torch.rand`` makes them).
pytracking's ``ATOMProcessing._generate_proposals`` (through ``processing_utils.perturb_box`` and ``iou``) runs
unchanged on those draws; only its sources of randomness are replaced.

The cases are the hard ones: a box far over the crop's border, a box of about one pixel (sizes <= 1 before and
after rounding), an IoU threshold no draw passes (100 tries, then the last draw is kept), draws that land exactly on
a half pixel (rounded half to even), and an ordinary box with pytracking's ``atom/default`` proposal parameters.
Writes ``pytracking_proposals.json``: per case the proposals, the IoU targets (2 * IoU - 1) and how many draws of
each kind were used.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from regenerate_pytracking import stub_packages, stub_pytracking  # noqa: E402

OUT = Path(__file__).parent / "pytracking_proposals.json"
SEED = 20261205
ATOM_DEFAULT = {"min_iou": 0.1, "boxes_per_frame": 16, "sigma_factor": [0.01, 0.05, 0.1, 0.2, 0.3]}

# name: (box x, y, w, h in crop pixels (float32-exact), proposal parameters, explicit draws or None for seeded ones)
CASES = {
    "atom_default": ([120.25, 110.75, 48.5, 66.0], ATOM_DEFAULT, None),
    "over_the_border": ([-20.5, 250.25, 60.0, 45.75], ATOM_DEFAULT, None),
    "one_pixel": ([140.25, 140.5, 1.25, 0.75], {**ATOM_DEFAULT, "boxes_per_frame": 8}, None),
    "threshold_never_met": ([100.25, 90.5, 30.5, 40.25], {**ATOM_DEFAULT, "min_iou": 0.99, "boxes_per_frame": 2,
                                                        "sigma_factor": [0.3]}, None),
    # z = 0 everywhere: x1 = 20.5 - 10 = 10.5 -> 10, y1 = 25.5 - 14 = 11.5 -> 12 (half to even)
    "half_pixels": ([10.5, 11.5, 20.0, 28.0], {**ATOM_DEFAULT, "boxes_per_frame": 1},
                    {"choices": [2], "normals": [0.0] * 4, "uniforms": []}),
    # widths drawn at exactly 1 (10 - 9 * 1: replaced before rounding) and at 1.4 (rounded to 1: replaced after)
    "size_one": ([50.0, 60.0, 10.0, 10.0], {**ATOM_DEFAULT, "boxes_per_frame": 2, "sigma_factor": [0.1]},
                 {"choices": [0, 0], "normals": [0.0, 0.0, -9.0, 0.0, 0.0, 0.0, -8.6, 0.0], "uniforms": [0.5, 0.25]}),
}


def streams(name: str) -> dict[str, list]:
    """The draws of case ``name``: its explicit ones, or seeded ones (enough for 100 tries of every proposal)."""
    explicit = CASES[name][2]
    if explicit is not None:
        return {k: list(v) for k, v in explicit.items()}
    g = np.random.default_rng([SEED, sorted(CASES).index(name)])
    return {"choices": g.integers(0, 5, 64).tolist(), "normals": g.standard_normal(4000).tolist(),
            "uniforms": g.random(4000).astype(np.float32).astype(np.float64).tolist()}


class Draws:
    """A replayed stream of standard draws with NumPy ``Generator``'s interface (``integers``, ``normal``,
    ``uniform``) for ltr-atom, and Python ``random``'s (``choice``, ``gauss``) plus ``rand_uniform`` for
    pytracking. ``used`` counts what was taken; running past the end of a stream fails."""

    def __init__(self, choices, normals, uniforms):
        self._choices, self._normals, self._uniforms = iter(choices), iter(normals), iter(uniforms)
        self.used = {"choices": 0, "normals": 0, "uniforms": 0}

    def _next(self, kind: str, stream):
        self.used[kind] += 1
        return next(stream)

    def integers(self, n: int) -> int:
        i = self._next("choices", self._choices)
        return i % n

    def choice(self, seq):
        return seq[self.integers(len(seq))]

    def normal(self, loc, scale):
        return loc + self._next("normals", self._normals) * scale

    gauss = normal

    def uniform(self, low, high):
        return (high - low) * self._next("uniforms", self._uniforms) + low

    def rand_uniform(self, a, b, shape=1):
        return (b - a) * torch.tensor([self._next("uniforms", self._uniforms)], dtype=torch.float32) + a


def pytracking_processing(root: Path):
    """pytracking's ``ltr.data.processing`` and ``processing_utils``; the package ``__init__``s, which import the
    loaders and the tracker runner (jpeg4py, ...), are not run."""
    stub_packages(root, ("ltr", "ltr/data"))
    stub_pytracking(root)
    import ltr.data.processing as processing
    import ltr.data.processing_utils as prutils
    return processing, prutils


def main(root: str) -> None:
    processing, prutils = pytracking_processing(Path(root).resolve())
    golden = {"seed": SEED, "cases": {}}
    for name, (box, params, _) in CASES.items():
        draws = Draws(**streams(name))
        prutils.random = draws                    # perturb_box's random.choice and random.gauss
        prutils.rand_uniform = draws.rand_uniform
        proc = processing.ATOMProcessing(search_area_factor=5.0, output_sz=288, center_jitter_factor={},
                                         scale_jitter_factor={}, proposal_params=params)
        proposals, gt_iou = proc._generate_proposals(torch.tensor(box, dtype=torch.float32))
        golden["cases"][name] = {"proposals": proposals.double().tolist(), "iou_target": gt_iou.double().tolist(),
                                 "used": draws.used}
        print(f"{name}: {proposals.shape[0]} proposals, draws used {draws.used}, "
              f"IoU targets {np.round(gt_iou.numpy(), 3).tolist()[:4]}...")
    OUT.write_text(json.dumps(golden, indent=1) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
