"""Regenerate the DiMP tracker's golden fixture from pytracking's own tracker.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    python plugins/dimp/tests/golden/regenerate_tracker.py /tmp/pytracking

pytracking's ``pytracking/tracker/dimp/dimp.py`` runs with the parameters of its ``parameter/dimp/dimp18.py`` (DiMP)
and ``prdimp50.py`` (PrDiMP: softmax scores, 352-pixel crops kept inside the image, refinement in log-size space)
on the CPU in float64, its network (``dimpnet18`` / ``klcedimpnet18``) built as in ``regenerate_dimp.py`` and
given that harness's seeded weights with the residual branches off (:func:`tracking_weights`); DiMP-18's
target-not-found threshold is 0.1 (:data:`PARAMS`). The sequence (:func:`make_sequence`, 72 frames of 240 x 320) has
a textured target that runs over the right border, a look-alike distractor that passes close by, and an
out-of-view spell (frames 50-57: the target wholly outside the image). The global torch seed is set before the
first frame, so both trackers draw the same augmentation shifts, dropout masks and jittered boxes.

Stubs: ltr-atom's PrRoIPool for the CUDA one (see ``regenerate_dimp.py``); packages whose ``__init__`` imports the
runners or plotting are bare; ``numpy_to_torch`` returns PyTorch's default dtype (pytracking's casts to float32,
which would make the float64 network refuse the crops); ``load_network`` returns the seeded network.

Writes ``pytracking_tracker.json``: per case the boxes, maximum scores and flags of every frame, and the smallest
gaps seen between the score map's two largest cells and between the k-th and (k+1)-th refined IoU (how far from a
tie each discrete choice was).
"""

from __future__ import annotations

import importlib
import json
import math
import sys
import types
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from regenerate_dimp import CASES, pytracking_dimpnet, seeded_weights  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[3] / "atom" / "tests" / "golden"))
from tracking_sequence import OUT_OF_VIEW, SEED, make_sequence  # noqa: E402,F401  (ltr-atom's tests: the same frames)

OUT = Path(__file__).parent / "pytracking_tracker.json"
# case: (network of regenerate_dimp.CASES, pytracking's parameter file, ltr-dimp tracker keys that differ from the
# tracker's defaults, which are dimp50's)
TRACKERS = {
    "dimp18": ("dimp18", "dimp18", {}),
    # PrDiMP-18's network with prdimp50.py's parameters (prdimp18.py's crops are DiMP's: 288 pixels, 5 times the
    # target, replicated borders), so that the larger sample and the crops kept inside the image are covered too
    "prdimp": ("prdimp18", "prdimp50", {"image_sample_size": 352, "search_area_scale": 6,
                                          "border_mode": "inside_major", "patch_max_scale_change": 1.5,
                                          "score_preprocess": "softmax", "target_not_found_threshold": 0.04,
                                          "box_refinement_space": "relative", "box_refinement_iter": 10,
                                          "box_refinement_step_length": 2.5e-3}),
}


# pytracking's parameters changed for the seeded network: DiMP-18's scores stay under 0.25 on this sequence
PARAMS = {"dimp18": {"target_not_found_threshold": 0.1}, "prdimp": {}}


def tracking_weights(shapes: dict[str, list[int]]) -> dict:
    """regenerate_dimp's seeded weights for pytracking's parameter names and ``shapes``, with the residual branches
    of the trunk's and the classification block's BasicBlocks switched off (their last BatchNorm's scale 0): every
    stage is then its downsampling projection, so features stay local and the online filter can tell the target
    from the background, as a trained one does (with the branches on, every frame's target is lost)."""
    weights = seeded_weights(shapes)
    for name in weights:
        if name.endswith(".bn2.weight") and ("layer" in name or "classifier" in name):
            weights[name] = torch.zeros_like(weights[name])
    return weights


_LOADED: dict = {}


def pytracking_tracker(root: Path):
    """pytracking's ``dimpnet`` module, ``DiMP`` tracker class and (stubbed) ``loading`` module, stubs as above."""
    if _LOADED:
        return _LOADED["dimpnet"], _LOADED["DiMP"], _LOADED["loading"]
    dimpnet = pytracking_dimpnet(root)
    pkg = sys.modules["pytracking"]
    for name in ("pytracking/tracker", "pytracking/tracker/dimp", "pytracking/tracker/base", "pytracking/features",
                 "pytracking/utils", "ltr/data"):
        mod = types.ModuleType(name.replace("/", "."))
        mod.__path__ = [str(root / name)]
        sys.modules[mod.__name__] = mod
    for lib in ("complex", "fourier", "dcf"):      # dcf's max2d and hann2d are the ones the tracker calls
        setattr(pkg, lib, importlib.import_module(f"pytracking.libs.{lib}"))
    sys.modules["pytracking.tracker.base"].BaseTracker = \
        importlib.import_module("pytracking.tracker.base.basetracker").BaseTracker
    plotting = types.ModuleType("pytracking.utils.plotting")
    plotting.show_tensor = plotting.plot_graph = lambda *a, **k: None
    sys.modules["pytracking.utils.plotting"] = plotting
    sys.modules["pytracking.utils"].TrackerParams = importlib.import_module("pytracking.utils.params").TrackerParams
    loading = types.ModuleType("pytracking.utils.loading")
    loading.load_network = lambda path, **kw: loading.nets[path]
    loading.nets = {}
    sys.modules["pytracking.utils.loading"] = loading
    preprocessing = importlib.import_module("pytracking.features.preprocessing")
    preprocessing.numpy_to_torch = lambda a: torch.from_numpy(a).to(torch.get_default_dtype()).permute(2, 0, 1)[None]
    augmentation = importlib.import_module("pytracking.features.augmentation")
    augmentation.numpy_to_torch = preprocessing.numpy_to_torch
    blur_init = augmentation.Blur.__init__

    def blur_in_default_dtype(self, *a, **k):       # its float32 taps cast to the crops' dtype
        blur_init(self, *a, **k)
        self.filter = [f.to(torch.get_default_dtype()) for f in self.filter]

    augmentation.Blur.__init__ = blur_in_default_dtype
    dimp = importlib.import_module("pytracking.tracker.dimp.dimp")
    dimp.numpy_to_torch = preprocessing.numpy_to_torch
    _LOADED.update(dimpnet=dimpnet, DiMP=dimp.DiMP, loading=loading)
    return dimpnet, dimp.DiMP, loading


def run_case(root: Path, name: str, frames, box) -> dict:
    dimpnet, DiMP, loading = pytracking_tracker(root)
    net_case, param_file, _ = TRACKERS[name]
    constructor, args, _ = CASES[net_case]
    net = getattr(dimpnet, constructor)(**args).double().eval()
    net.load_state_dict(tracking_weights({k: list(v.shape) for k, v in net.state_dict().items()}), strict=True)
    spec = importlib.util.spec_from_file_location(f"params_{name}", root / "pytracking/parameter/dimp" /
                                                  f"{param_file}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    loading.nets[f"{param_file}.pth"] = loading.nets[f"{param_file}.pth.tar"] = net
    params = module.parameters()
    for key, value in PARAMS[name].items():
        setattr(params, key, value)
    params.use_gpu = params.net.use_gpu = False
    params.device = "cpu"
    tracker = DiMP(params)

    gaps = {"score": math.inf, "iou": math.inf}
    localize = tracker.localize_target

    def watched_localize(scores, *a):
        flat = scores.reshape(-1).sort(descending=True).values
        gaps["score"] = min(gaps["score"], float(flat[0] - flat[1]))
        return localize(scores, *a)

    optimize = tracker.optimize_boxes

    def watched_optimize(*a):
        boxes, iou = optimize(*a)
        top = iou.sort(descending=True).values
        k = params.iounet_k
        gaps["iou"] = min(gaps["iou"], float(top[k - 1] - top[k]))
        return boxes, iou

    tracker.localize_target, tracker.optimize_boxes = watched_localize, watched_optimize
    torch.manual_seed(SEED)
    tracker.initialize(frames[0], {"init_bbox": list(box)})
    out = {"boxes": [list(box)], "scores": [None], "flags": [None]}
    for image in frames[1:]:
        state = tracker.track(image)["target_bbox"]
        out["boxes"].append([float(v) for v in state])
        out["scores"].append(tracker.debug_info["max_score"])
        out["flags"].append(tracker.debug_info["flag"])
    out["min_gaps"] = gaps
    return out


def main(root: str) -> None:
    torch.set_default_dtype(torch.float64)
    frames, box, _ = make_sequence()
    golden = {"seed": SEED, "cases": {}}
    for name in TRACKERS:
        case = run_case(Path(root).resolve(), name, frames, box)
        golden["cases"][name] = case
        flags = {f: case["flags"].count(f) for f in set(case["flags"][1:])}
        print(f"{name}: flags {flags}; min gaps {case['min_gaps']}; last box {np.round(case['boxes'][-1], 2)}")
    OUT.write_text(json.dumps(golden, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
