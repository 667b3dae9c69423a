"""Regenerate the ATOM tracker's golden fixture from pytracking's own tracker.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    python plugins/atom/tests/golden/regenerate_atom_tracker.py /tmp/pytracking

pytracking's ``pytracking/tracker/atom/atom.py`` runs with the parameters of its ``parameter/atom/default.py`` on the
CPU in float64, except ``init_CG_iter``: 30 (6 Gauss-Newton steps of 5 CG iterations, not 10; from the sixth CG
iteration of a step on, rounding grows by orders of magnitude per iteration in both codes, see
``regenerate_classifier.py``). Its network is pytracking's ``atom_resnet18`` built as in ``regenerate_pytracking.py``
with that harness's seeded weights, the residual branches of the trunk's BasicBlocks switched off (their last
BatchNorm's scale 0) so that the features stay local (:func:`tracking_weights`). The frames are
``tracking_sequence.py``'s (a border crossing, a look-alike distractor, an out-of-view spell). A second case runs
the same with ``window_output`` and ``perform_hn_without_windowing`` (the cosine window on the scores) and
ATOM's step-length decay in the refinement (``box_refinement_step_decay`` 0.5). The global torch seed is set before
the first frame, so both trackers draw the same augmentation shifts, dropout masks, projection, filter and jittered
boxes.

Stubs: ltr-atom's PrRoIPool for the CUDA one; the removed ``torch.rfft``/``torch.irfft`` (pytracking's Fourier
upsampling of the scores) as the same transforms of ``torch.fft`` in its old real/imaginary layout; packages whose
``__init__`` imports the runners or plotting are bare; ``numpy_to_torch`` returns PyTorch's default dtype (float64
here) and the blur taps follow it; ``load_network`` returns the seeded network; ``TensorList`` refuses dunder
attributes (torch 2's ``__torch_function__`` lookup, see ``regenerate_classifier.py``).

Writes ``pytracking_atom_tracker.json``: per case the boxes, maximum scores and flags of every frame, and the
smallest gaps seen between the score map's two largest cells and between the k-th and (k+1)-th refined IoU (how
far from a tie each discrete choice was).
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
from regenerate_pytracking import pytracking_net, seeded_weights, stub_pytracking  # noqa: E402
from tracking_sequence import SEED, make_sequence  # noqa: E402

OUT = Path(__file__).parent / "pytracking_atom_tracker.json"
# case: pytracking parameters changed from default.py (ltr-atom's tracker takes the same keys, its
# ``displacement_scale`` being pytracking's ``dispalcement_scale``)
CASES = {
    "default": {"init_CG_iter": 30},
    "window": {"init_CG_iter": 30, "window_output": True, "perform_hn_without_windowing": True,
               "box_refinement_step_decay": 0.5},
}


def tracking_weights(shapes: dict[str, list[int]]) -> dict:
    """``regenerate_pytracking``'s seeded weights with the residual branches of the trunk's BasicBlocks off: each
    stage is then its downsampling projection, so features stay local and the online classifier can tell the target
    from the background, as a trained trunk lets it."""
    weights = seeded_weights(shapes)
    for name in weights:
        if name.startswith("feature_extractor.layer") and name.endswith(".bn2.weight"):
            weights[name] = torch.zeros_like(weights[name])
    return weights


def _old_fft_api() -> None:
    """``torch.rfft(x, 2)`` and ``torch.irfft(x, 2, signal_sizes=...)`` of torch < 1.8 (complex numbers as a last
    dimension of two), which pytracking's ``libs/fourier.py`` calls."""
    def rfft(a, signal_ndim, normalized=False, onesided=True):
        assert signal_ndim == 2 and not normalized and onesided
        return torch.view_as_real(torch.fft.rfft2(a))

    def irfft(a, signal_ndim, normalized=False, onesided=True, signal_sizes=None):
        assert signal_ndim == 2 and not normalized and onesided
        return torch.fft.irfft2(torch.view_as_complex(a.contiguous()), s=signal_sizes)

    torch.rfft, torch.irfft = rfft, irfft


_LOADED: dict = {}


def pytracking_atom(root: Path):
    """pytracking's ``ATOM`` tracker class and (stubbed) ``loading`` module, stubs as above."""
    if _LOADED:
        return _LOADED["ATOM"], _LOADED["loading"]
    _old_fft_api()
    net_ctor = pytracking_net(root)            # imports pytracking's ltr.models with the PrRoIPool stub
    del net_ctor
    for name in ("pytracking/tracker", "pytracking/tracker/atom", "pytracking/tracker/base", "pytracking/features",
                 "pytracking/utils", "ltr/data"):
        mod = types.ModuleType(name.replace("/", "."))
        mod.__path__ = [str(root / name)]
        sys.modules[mod.__name__] = mod
    libs = stub_pytracking(root)
    lookup = libs.TensorList.__getattr__

    def no_dunders(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lookup(self, name)

    libs.TensorList.__getattr__ = no_dunders
    pkg = sys.modules["pytracking"]
    for lib in ("complex", "fourier", "dcf", "operation", "optimization"):
        setattr(pkg, lib, importlib.import_module(f"pytracking.libs.{lib}"))
    sys.modules["pytracking.tracker.base"].BaseTracker = \
        importlib.import_module("pytracking.tracker.base.basetracker").BaseTracker
    plotting = types.ModuleType("pytracking.utils.plotting")
    plotting.show_tensor = plotting.plot_graph = lambda *a, **k: None
    sys.modules["pytracking.utils.plotting"] = plotting
    utils = sys.modules["pytracking.utils"]
    params_mod = importlib.import_module("pytracking.utils.params")
    utils.TrackerParams, utils.FeatureParams = params_mod.TrackerParams, params_mod.FeatureParams
    utils.Choice = getattr(params_mod, "Choice", None)
    loading = types.ModuleType("pytracking.utils.loading")
    loading.load_network = lambda path, **kw: loading.nets[path]
    loading.nets = {}
    sys.modules["pytracking.utils.loading"] = loading
    environment = types.ModuleType("pytracking.evaluation.environment")
    environment.env_settings = lambda: types.SimpleNamespace(network_path="")
    sys.modules.setdefault("pytracking.evaluation", types.ModuleType("pytracking.evaluation"))
    sys.modules["pytracking.evaluation.environment"] = environment
    preprocessing = importlib.import_module("pytracking.features.preprocessing")
    preprocessing.numpy_to_torch = lambda a: torch.from_numpy(a).to(torch.get_default_dtype()).permute(2, 0, 1)[None]
    augmentation = importlib.import_module("pytracking.features.augmentation")
    augmentation.numpy_to_torch = preprocessing.numpy_to_torch
    blur_init = augmentation.Blur.__init__

    def blur_in_default_dtype(self, *a, **k):
        blur_init(self, *a, **k)
        self.filter = [f.to(torch.get_default_dtype()) for f in self.filter]

    augmentation.Blur.__init__ = blur_in_default_dtype
    atom = importlib.import_module("pytracking.tracker.atom.atom")
    atom.numpy_to_torch = preprocessing.numpy_to_torch
    _LOADED.update(ATOM=atom.ATOM, loading=loading, root=root)
    return atom.ATOM, loading


def seeded_net(root: Path):
    """pytracking's ``atom_resnet18`` in float64 with :func:`tracking_weights`, loaded ``strict=True``."""
    net = pytracking_net(root).double().eval()
    net.load_state_dict(tracking_weights({k: list(v.shape) for k, v in net.state_dict().items()}), strict=True)
    return net


def run_case(root: Path, name: str, frames, box) -> dict:
    ATOM, loading = pytracking_atom(root)
    loading.nets["atom_default.pth"] = seeded_net(root)
    spec = importlib.util.spec_from_file_location("params_atom_default", root / "pytracking/parameter/atom/default.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    params = module.parameters()
    for key, value in CASES[name].items():
        setattr(params, key, value)
    params.use_gpu = False
    params.features.features[0].use_gpu = False
    params.device = "cpu"
    tracker = ATOM(params)

    gaps = {"score": math.inf, "iou": math.inf}
    localize = tracker.localize_advanced

    def watched_localize(scores):
        flat = scores.reshape(-1).sort(descending=True).values
        gaps["score"] = min(gaps["score"], float(flat[0] - flat[1]))
        return localize(scores)

    optimize = tracker.optimize_boxes

    def watched_optimize(*a):
        boxes, iou = optimize(*a)
        top = iou.sort(descending=True).values
        k = params.iounet_k
        gaps["iou"] = min(gaps["iou"], float(top[k - 1] - top[k]))
        return boxes, iou

    tracker.localize_advanced, tracker.optimize_boxes = watched_localize, watched_optimize
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
    for name in CASES:
        case = run_case(Path(root).resolve(), name, frames, box)
        golden["cases"][name] = case
        flags = {str(f): case["flags"].count(f) for f in set(case["flags"][1:])}
        print(f"{name}: flags {flags}; min gaps {case['min_gaps']}; last box {np.round(case['boxes'][-1], 2)}")
    OUT.write_text(json.dumps(golden, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
