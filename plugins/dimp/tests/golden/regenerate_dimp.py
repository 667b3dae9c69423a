"""Regenerate the DiMP network's golden fixture from pytracking's own code.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    python plugins/dimp/tests/golden/regenerate_dimp.py /tmp/pytracking

pytracking's ``dimpnet18``/``dimpnet50`` (DiMP) and ``klcedimpnet18``/``klcedimpnet50`` (PrDiMP) are built with the
arguments of its train settings ``ltr/train_settings/dimp/{dimp18,dimp50,prdimp18,prdimp50}.py`` (``dimp50``'s are
also SuperDiMP's), on the CPU in float64, in eval mode, and given seeded weights (:func:`seeded_weights`, under
pytracking's parameter names, loaded with ``strict=True``). Stubs: the CUDA PrRoIPool (filter initialiser and
IoU-Net) is ltr-atom's ``prroi_pool2d`` with the same interface (checked against a numerical integral in ltr-atom's
tests); the packages' ``__init__``s are not run (they import every backbone and dataset); torchvision's removed
``model_urls`` is an empty dict (no pretrained weights are loaded).

Writes ``pytracking_dimp.json``: per network the state's names and shapes, the test scores for the filter before
and after each of the 5 optimiser steps, the optimiser's losses, each filter's sum, norm and dot product with a
seeded probe, and the IoU-Net's predictions for the proposals; and the training loss and its terms that
pytracking's ``DiMPActor`` (objectives and loss weights of ``dimp50.py``) and ``KLDiMPActor`` (of ``prdimp50.py``
and of ``super_dimp.py``) compute on a fixed batch (:func:`loss_batch`) with the 18-layer networks in training
mode.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parents[3] / "atom" / "tests" / "golden"))
from regenerate_pytracking import stub_packages, stub_prroi_pool, stub_pytracking  # noqa: E402  ltr-atom's harness

OUT = Path(__file__).parent / "pytracking_dimp.json"
SEED = 20261207
SIZE = 128                       # images SIZE x SIZE: layer3 is 8 x 8, the 4 x 4 filter's scores 9 x 9
SIGMA = 0.25 / 5.0 * 18          # output_sigma_factor / search_area_factor * feature_sz of the train settings
# name: (pytracking constructor, its arguments as the train settings give them, ltr's build_dimp_net keys)
CASES = {
    "dimp18": ("dimpnet18", dict(filter_size=4, backbone_pretrained=False, optim_iter=5, clf_feat_norm=True,
                                 final_conv=True, optim_init_step=0.9, optim_init_reg=0.1, init_gauss_sigma=SIGMA,
                                 num_dist_bins=100, bin_displacement=0.1, mask_init_factor=3.0,
                                 target_mask_act="sigmoid", score_act="relu"),
               dict(backbone="resnet18", pretrained_backbone=False, init_gauss_sigma=SIGMA)),
    "dimp50": ("dimpnet50", dict(filter_size=4, backbone_pretrained=False, optim_iter=5, clf_feat_norm=True,
                                 clf_feat_blocks=0, final_conv=True, out_feature_dim=512, optim_init_step=0.9,
                                 optim_init_reg=0.1, init_gauss_sigma=SIGMA, num_dist_bins=100, bin_displacement=0.1,
                                 mask_init_factor=3.0, target_mask_act="sigmoid", score_act="relu"),
               dict(backbone="resnet50", pretrained_backbone=False, init_gauss_sigma=SIGMA)),
    "prdimp18": ("klcedimpnet18", dict(filter_size=4, backbone_pretrained=False, optim_iter=5, clf_feat_norm=True,
                                       final_conv=True, optim_init_step=1.0, optim_init_reg=0.05, optim_min_reg=0.05,
                                       gauss_sigma=SIGMA, alpha_eps=0.05, normalize_label=True,
                                       init_initializer="zero"),
                 dict(backbone="resnet18", pretrained_backbone=False, optimizer="newton", optim_init_step=1.0,
                      optim_init_reg=0.05, optim_min_reg=0.05, init_gauss_sigma=SIGMA, alpha_eps=0.05,
                      normalize_label=True, zero_init_initializer=True)),
    "prdimp50": ("klcedimpnet50", dict(filter_size=4, backbone_pretrained=False, optim_iter=5, clf_feat_norm=True,
                                       clf_feat_blocks=0, final_conv=True, out_feature_dim=512, optim_init_step=1.0,
                                       optim_init_reg=0.05, optim_min_reg=0.05, gauss_sigma=SIGMA, alpha_eps=0.05,
                                       normalize_label=True, init_initializer="zero"),
                 dict(backbone="resnet50", pretrained_backbone=False, optimizer="newton", optim_init_step=1.0,
                      optim_init_reg=0.05, optim_min_reg=0.05, init_gauss_sigma=SIGMA, alpha_eps=0.05,
                      normalize_label=True, zero_init_initializer=True)),
}


def seeded_weights(shapes: dict[str, list[int]], seed: int = SEED) -> dict[str, torch.Tensor]:
    """Float64 values for every name of ``shapes`` (sorted, one generator): N(0, 2/fan_in) weights, small biases,
    BatchNorm scales and running variances in [0.5, 1.5]; the optimiser's own parameters near the values the train
    settings start from (step length 0.9, regulariser 0.1, the label, mask and spatial-weight bins as initialised),
    so its steps neither stall nor explode."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in sorted(shapes):
        shape = tuple(shapes[name])
        d = np.arange(int(np.prod(shape))).reshape(shape) * 0.1
        if name.endswith("num_batches_tracked"):
            out[name] = torch.tensor(0, dtype=torch.long)
            continue
        if name.endswith("log_step_length"):
            value = rng.normal(math.log(0.9), 0.05, shape)
        elif name.endswith("filter_optimizer.filter_reg"):
            value = rng.uniform(0.05, 0.15, shape)
        elif name.endswith("label_map_predictor.weight"):
            g = np.exp(-0.5 * (d / SIGMA) ** 2)
            value = g - g.min() + rng.normal(0, 0.02, shape)
        elif name.endswith("target_mask_predictor.0.weight"):
            value = 3.0 * np.tanh(2.0 - d) + rng.normal(0, 0.02, shape)
        elif name.endswith("spatial_weight_predictor.weight"):
            value = 1.0 + rng.normal(0, 0.02, shape)
        elif name.endswith("running_var") or (name.endswith(".weight") and len(shape) == 1):
            value = rng.uniform(0.5, 1.5, shape)
        elif name.endswith("running_mean") or name.endswith(".bias"):
            value = rng.normal(0.0, 0.05, shape)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            value = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        out[name] = torch.from_numpy(np.asarray(value, dtype=np.float64))
    return out


def inputs(seed: int = SEED + 1):
    """Two sequences: two training images and one test image each, the training boxes and 8 test proposals (one
    over the top-left border, one over the bottom-right)."""
    g = np.random.default_rng(seed)
    train = torch.from_numpy(g.normal(0, 1, (2, 2, 3, SIZE, SIZE)))
    test = torch.from_numpy(g.normal(0, 1, (1, 2, 3, SIZE, SIZE)))
    boxes = torch.tensor([[[40.0, 44.0, 48.0, 40.0], [30.5, 52.25, 60.0, 36.0]],
                          [[44.0, 40.0, 44.0, 44.0], [28.0, 50.0, 62.5, 38.0]]], dtype=torch.float64)
    proposals = boxes[:1, :, None, :] + torch.from_numpy(g.normal(0, 6, (1, 2, 8, 4)))
    proposals[..., 2:] = proposals[..., 2:].clamp(min=4)
    proposals[0, 0, 0] = torch.tensor([-10.0, -6.0, 30.0, 24.0], dtype=torch.float64)
    proposals[0, 1, 1] = torch.tensor([100.0, 96.0, 40.0, 50.0], dtype=torch.float64)
    return train, test, boxes, proposals


# the actors' objectives and loss weights as the train settings give them
# case: (network, pytracking's actor, objective: dimp50.py's, prdimp50.py's or super_dimp.py's, loss weights)
DIMP_WEIGHTS = {"iou": 1, "test_clf": 100, "test_init_clf": 100, "test_iter_clf": 400}
PRDIMP_WEIGHTS = {"bb_ce": 0.0025, "clf_ce": 0.25, "clf_ce_init": 0.25, "clf_ce_iter": 1.0}
SUPERDIMP_WEIGHTS = {"bb_ce": 0.01, "test_clf": 100, "test_init_clf": 100, "test_iter_clf": 400}
LOSS_CASES = {"dimp": ("dimp18", "DiMPActor", "dimp", DIMP_WEIGHTS),
              "prdimp": ("prdimp18", "KLDiMPActor", "prdimp", PRDIMP_WEIGHTS),
              "superdimp": ("dimp18", "KLDiMPActor", "superdimp", SUPERDIMP_WEIGHTS)}
HINGE_THRESHOLD = 0.05


def loss_batch(seed: int = SEED + 3) -> dict:
    """A fixed training batch in pytracking's layout (frames, sequences, ...): the images and boxes of
    :func:`inputs`, IoU targets, Gaussian labels with cells under the hinge threshold, proposal and ground-truth
    densities, label densities; the second sequence's test frame has no target (x = 99999 or more)."""
    g = np.random.default_rng(seed)
    train, test, boxes, proposals = inputs()
    rows, cols = np.mgrid[0:9, 0:9]
    label = np.exp(-((rows - 4.2) ** 2 + (cols - 3.6) ** 2) / (2 * 1.2 ** 2))[None, None].repeat(2, 1)
    density = g.uniform(0.5, 1.5, (1, 2, 9, 9))
    return {"train_images": train, "test_images": test, "train_anno": boxes, "test_proposals": proposals,
            "proposal_iou": torch.from_numpy(g.uniform(-1, 1, (1, 2, 8))),
            "test_label": torch.from_numpy(label + g.normal(0, 0.01, label.shape)),
            "test_anno": torch.tensor([[[40.0, 44.0, 48.0, 40.0], [99999.0, 99999.0, 0.0, 0.0]]]),
            "proposal_density": torch.from_numpy(g.uniform(0.01, 0.2, (1, 2, 8))),
            "gt_density": torch.from_numpy(g.uniform(0.0, 0.3, (1, 2, 8))),
            "test_label_density": torch.from_numpy(density / density.sum((-2, -1), keepdims=True))}


def probe(shape, seed: int = SEED + 2) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).normal(0, 1, shape))


def summary(filters) -> list:
    """Per filter iterate and sequence: sum, L2 norm and dot product with the seeded probe."""
    p = probe(tuple(filters[0].shape[1:]))
    return [[[float(f[s].sum()), float(f[s].norm()), float((f[s] * p).sum())] for s in range(f.shape[0])]
            for f in filters]


def pytracking_dimpnet(root: Path):
    """pytracking's ``ltr.models.tracking.dimpnet`` module, imported with the stubs described above (ltr-atom's
    harness makes them)."""
    import torchvision.models.resnet as tv_resnet

    tv_resnet.model_urls = {}
    stub_packages(root, ("ltr", "ltr/actors", "ltr/models/loss", "ltr/models", "ltr/models/backbone",
                         "ltr/models/bbreg", "ltr/models/meta", "ltr/models/layers", "ltr/models/target_classifier",
                         "ltr/models/tracking", "ltr/external", "ltr/external/PreciseRoIPooling",
                         "ltr/external/PreciseRoIPooling/pytorch", "ltr/admin", "pytracking"))
    stub_pytracking(root)
    stub_prroi_pool()
    sys.modules["ltr"].model_constructor = importlib.import_module("ltr.admin.model_constructor").model_constructor
    resnet = importlib.import_module("ltr.models.backbone.resnet")
    sys.modules["ltr.models.backbone"].resnet18, sys.modules["ltr.models.backbone"].resnet50 = \
        resnet.resnet18, resnet.resnet50
    sys.modules["ltr.models.bbreg"].AtomIoUNet = importlib.import_module("ltr.models.bbreg.atom_iou_net").AtomIoUNet
    sys.modules["ltr.actors"].BaseActor = importlib.import_module("ltr.actors.base_actor").BaseActor
    return importlib.import_module("ltr.models.tracking.dimpnet")


def main(root: str) -> None:
    torch.set_default_dtype(torch.float64)
    dimpnet = pytracking_dimpnet(Path(root).resolve())
    golden = {"seed": SEED, "size": SIZE, "nets": {}}
    train, test, boxes, proposals = inputs()
    for name, (constructor, args, _) in CASES.items():
        net = getattr(dimpnet, constructor)(**args).double().eval()
        shapes = {k: list(v.shape) for k, v in net.state_dict().items()}
        net.load_state_dict(seeded_weights(shapes), strict=True)
        with torch.no_grad():
            scores, iou = net(train, test, boxes, proposals)
            feat = net.extract_backbone_features(train.reshape(-1, 3, SIZE, SIZE))
            clf = net.classifier.extract_classification_feat(feat["layer3"], 2)
            _, filters, losses = net.classifier.get_filter(clf, boxes)
        golden["nets"][name] = {"state": shapes, "scores": [s.tolist() for s in scores], "iou": iou.tolist(),
                                "losses": [float(v) for v in losses], "filters": summary(filters)}
        print(f"{name}: {len(shapes)} state entries; losses {np.round([float(v) for v in losses], 5).tolist()}; "
              f"IoU {np.round(iou.numpy().ravel()[:4], 4).tolist()}...; score range "
              f"{float(scores[-1].min()):.4f}..{float(scores[-1].max()):.4f}")
    actors = importlib.import_module("ltr.actors.tracking")
    losses = importlib.import_module("ltr.models.loss.target_classification")
    klreg = importlib.import_module("ltr.models.loss.kl_regression")
    golden["losses"] = {}
    for name, (net_name, actor_name, kind, weights) in LOSS_CASES.items():
        net = getattr(dimpnet, CASES[net_name][0])(**CASES[net_name][1]).double()
        net.load_state_dict(seeded_weights({k: list(v.shape) for k, v in net.state_dict().items()}), strict=True)
        net.train()                                   # as in training: batch statistics, the training transpose
        objective = {"dimp": {"iou": torch.nn.MSELoss(), "test_clf": losses.LBHinge(threshold=HINGE_THRESHOLD)},
                     "prdimp": {"bb_ce": klreg.KLRegression(), "clf_ce": klreg.KLRegressionGrid()},
                     "superdimp": {"bb_ce": klreg.KLRegression(),
                                   "test_clf": losses.LBHinge(threshold=HINGE_THRESHOLD)}}[kind]
        actor = getattr(actors, actor_name)(net=net, objective=objective, loss_weight=dict(weights))
        loss, stats = actor(loss_batch())
        golden["losses"][name] = {"loss": float(loss.detach()), "stats": stats}
        print(f"{name} {actor_name}: loss {float(loss.detach()):.6f}; {stats}")
    OUT.write_text(json.dumps(golden, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
