"""Regenerate the ATOM network's golden fixture from pytracking's own code.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    python plugins/atom/tests/golden/regenerate_pytracking.py /tmp/pytracking

pytracking's ``atom_resnet18`` (``ltr/models/bbreg/atom.py``: ResNet-18 trunk and ``AtomIoUNet``) is built on the
CPU in float64 and given seeded weights (:func:`seeded_weights`, under pytracking's parameter names, loaded with
``strict=True``). Its PrRoIPool is a CUDA extension: ltr-atom's ``prroi_pool2d`` stands in for it with the same
interface (rois ``(K, 5)`` = batch index, x1, y1, x2, y2); ltr-atom's operator is checked against a numerical
integral of the bilinear interpolation in ``test_atom_prroi_pool.py``. torchvision's removed ``model_urls``,
which pytracking's ResNet module imports, is stubbed (no pretrained weights are loaded).

Writes ``pytracking_atom.json``:

* ``state``: every entry of pytracking's state dict, name and shape (what ``atom_default.pth`` holds under
  ``net``: layer4 and fc included);
* ``forward``: the inputs' seeds and shapes and pytracking's ``ATOMnet.forward`` output (the predicted IoU of each
  proposal), and the two modulation vectors and IoU feature maps' sums of the IoU-Net's steps.

The test builds the same inputs and weights from the seeds, so the fixture stays small.
"""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).parent / "pytracking_atom.json"
SEED = 20261204
SIZE = 144           # input images, SIZE x SIZE
PROPOSALS = 8


def seeded_weights(shapes: dict[str, list[int]], seed: int = SEED) -> dict[str, torch.Tensor]:
    """Float64 weights for every name of ``shapes`` (in name order, one generator): N(0, 1/fan_in) for weights,
    small values for biases, running variances in [0.5, 1.5], BatchNorm scales in [0.5, 1.5]. Peaked enough that
    the IoU prediction does not vanish behind ReLUs, identical wherever it is computed."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in sorted(shapes):
        shape = tuple(shapes[name])
        if name.endswith("num_batches_tracked"):
            out[name] = torch.tensor(0, dtype=torch.long)
            continue
        if name.endswith("running_var") or (name.endswith(".weight") and len(shape) == 1):
            value = rng.uniform(0.5, 1.5, shape)
        elif name.endswith("running_mean") or name.endswith(".bias"):
            value = rng.normal(0.0, 0.05, shape)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            value = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        out[name] = torch.from_numpy(value)
    return out


def inputs(seed: int = SEED + 1):
    """Two sequences of one template and one search image each, a target box and proposals around it."""
    g = np.random.default_rng(seed)
    template = torch.from_numpy(g.normal(0, 1, (2, 3, SIZE, SIZE)))
    search = torch.from_numpy(g.normal(0, 1, (2, 3, SIZE, SIZE)))
    box = torch.tensor([[40.0, 44.0, 56.0, 48.0], [30.5, 52.25, 70.0, 36.0]], dtype=torch.float64)
    proposals = box[:, None, :] + torch.from_numpy(g.normal(0, 6, (2, PROPOSALS, 4)))
    proposals[..., 2:] = proposals[..., 2:].clamp(min=4)
    proposals[0, 0] = torch.tensor([-10.0, -6.0, 30.0, 24.0], dtype=torch.float64)    # over the top-left border
    proposals[1, 1] = torch.tensor([120.0, 110.0, 40.0, 50.0], dtype=torch.float64)   # over the bottom-right one
    return template, search, box, proposals


def _stub(name: str, path: Path | None = None) -> types.ModuleType:
    """An empty module (a package rooted at ``path``) in place of one whose ``__init__`` must not run."""
    mod = types.ModuleType(name)
    if path is not None:
        mod.__path__ = [str(path)]
    sys.modules[name] = mod
    return mod


def stub_packages(root: Path, packages) -> None:
    """pytracking's checkout on ``sys.path`` with ``packages`` (``"ltr/models"``, ...) as bare packages."""
    sys.path.insert(0, str(root))
    for pkg in packages:
        _stub(pkg.replace("/", "."), root / pkg)


def stub_pytracking(root: Path):
    """The ``pytracking`` package without its ``__init__`` (which imports the runners), giving ``TensorList`` and
    ``TensorDict`` as the modules under it import them; returns ``pytracking.libs``."""
    if "pytracking" not in sys.modules:
        _stub("pytracking", root / "pytracking")
    libs = importlib.import_module("pytracking.libs")
    sys.modules["pytracking"].TensorList, sys.modules["pytracking"].TensorDict = libs.TensorList, libs.TensorDict
    return libs


def stub_prroi_pool() -> None:
    """pytracking's CUDA ``PrRoIPool2D`` replaced by ltr-atom's ``prroi_pool2d`` with the same interface."""
    from ltr_atom.prroi_pool import prroi_pool2d

    class PrRoIPool2D(torch.nn.Module):
        def __init__(self, pooled_height, pooled_width, spatial_scale):
            super().__init__()
            self.args = (pooled_height, pooled_width, spatial_scale)

        def forward(self, features, rois):
            return prroi_pool2d(features, rois, *self.args)

    _stub("ltr.external.PreciseRoIPooling.pytorch.prroi_pool").PrRoIPool2D = PrRoIPool2D


def pytracking_net(root: Path):
    """pytracking's ``atom_resnet18(backbone_pretrained=False)``, imported with the stubs described above."""
    import torchvision.models.resnet as tv_resnet

    tv_resnet.model_urls = {}                                   # removed from torchvision; never used here
    stub_packages(root, ("ltr", "ltr/models", "ltr/models/backbone", "ltr/external", "ltr/external/PreciseRoIPooling",
                         "ltr/external/PreciseRoIPooling/pytorch", "ltr/admin"))
    stub_prroi_pool()
    sys.modules["ltr"].model_constructor = importlib.import_module("ltr.admin.model_constructor").model_constructor
    sys.modules["ltr.models.backbone"].resnet18 = importlib.import_module("ltr.models.backbone.resnet").resnet18
    atom = importlib.import_module("ltr.models.bbreg.atom")
    return atom.atom_resnet18(backbone_pretrained=False)


def main(root: str) -> None:
    net = pytracking_net(Path(root).resolve()).double().eval()
    shapes = {k: list(v.shape) for k, v in net.state_dict().items()}
    net.load_state_dict(seeded_weights(shapes), strict=True)
    template, search, box, proposals = inputs()
    with torch.no_grad():
        iou = net(template[None], search[None], box[None], proposals[None])[0]          # (sequences, proposals)
        feats_t = list(net.extract_backbone_features(template).values())
        feats_s = list(net.extract_backbone_features(search).values())
        modulation = net.bb_regressor.get_modulation(feats_t, box)
        iou_feat = net.bb_regressor.get_iou_feat(feats_s)
    golden = {"state": shapes, "seed": SEED, "size": SIZE, "proposals": PROPOSALS,
              "iou": iou.tolist(),
              "modulation_sums": [m.sum(1).tolist() for m in modulation],
              "iou_feat_sums": [f.sum((1, 2, 3)).tolist() for f in iou_feat]}
    OUT.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"{len(shapes)} state entries; IoU predictions {np.round(iou.numpy(), 4).tolist()}")


if __name__ == "__main__":
    main(*sys.argv[1:])
