"""The DiMP network (Bhat et al., ICCV 2019) and PrDiMP's (Danelljan et al., CVPR 2020): a ResNet trunk, DiMP's
target classifier (:mod:`ltr_dimp.classifier`) on layer3 and ATOM's IoU-Net from ``ltr-atom`` on layer2 and
layer3, the same box estimator the field's code reuses.

Parameter names are pytracking's (``ltr/models/tracking/dimpnet.py``), so its state dicts load as they are; its
trunk's ``layer4`` and ``fc``, which DiMP never runs, are left out of a loaded file
(:meth:`DiMPNet.adapt_foreign_state`).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from ltr_atom.iounet import AtomIoUNet
from ltr_dimp.classifier import (FilterInitializer, SteepestDescentGN, SteepestDescentNewton, TargetClassifier,
                                 feature_block)

TRUNKS = ("resnet18", "resnet50")


class Trunk(nn.Module):
    """conv1..layer3 of a torchvision ResNet under its own names; returns layer2 (stride 8) and layer3 (16)."""

    def __init__(self, name: str, pretrained: bool):
        super().__init__()
        from torchvision import models

        if name not in TRUNKS:
            raise ValueError(f"net.backbone {name!r}: choose from {', '.join(TRUNKS)}")
        resnet = getattr(models, name)(weights=None)
        if pretrained:
            from ltr_core.weights import torchvision_state_dict

            resnet.load_state_dict(torchvision_state_dict(name))
        for part in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3"):
            setattr(self, part, getattr(resnet, part))

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        l2 = self.layer2(self.layer1(x))
        return l2, self.layer3(l2)


class DiMPNet(nn.Module):
    """``net(template_imgs, search_imgs, template_box, proposals)`` with images ``(frames, sequences, 3, H, W)``,
    boxes ``(frames, sequences, 4)``, proposals ``(frames, sequences, P, 4)`` -> (search scores for the filter after
    every optimiser step, predicted IoUs ``(frames, sequences, P)``): pytracking's ``DiMPnet.forward``, whose
    train and test frames are ltr's template and search frames."""

    def __init__(self, feature_extractor: Trunk, classifier: TargetClassifier, bb_regressor: AtomIoUNet,
                 frozen_layers: tuple[str, ...] = ()):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.classifier = classifier
        self.bb_regressor = bb_regressor
        self.frozen_layers = tuple(frozen_layers)
        for name in self.frozen_layers:
            for p in getattr(self.feature_extractor, name).parameters():
                p.requires_grad_(False)

    @staticmethod
    def adapt_foreign_state(state: dict) -> dict:
        """pytracking's state dict as this network's: its trunk's ``layer4.*`` and ``fc.*`` are dropped."""
        return {k: v for k, v in state.items()
                if not k.startswith(("feature_extractor.layer4.", "feature_extractor.fc."))}

    def train(self, mode: bool = True):
        super().train(mode)
        for name in self.frozen_layers:            # frozen layers keep their BatchNorm statistics
            getattr(self.feature_extractor, name).eval()
        return self

    def backbone(self, images: torch.Tensor):
        """(N, 3, H, W) -> layer2, layer3."""
        return self.feature_extractor(images)

    def forward(self, template_imgs, search_imgs, template_box, proposals, **classifier_kw):
        frames, sequences = proposals.shape[:2]
        template2, template3 = self.backbone(template_imgs.reshape(-1, *template_imgs.shape[-3:]))
        search2, search3 = self.backbone(search_imgs.reshape(-1, *search_imgs.shape[-3:]))
        scores = self.classifier(template3, search3, template_box, **classifier_kw)
        # the IoU-Net's reference is the first template frame of each sequence
        first2 = template2.reshape(-1, sequences, *template2.shape[-3:])[0]
        first3 = template3.reshape(-1, sequences, *template3.shape[-3:])[0]
        modulation = self.bb_regressor.get_modulation(first2, first3, template_box[0])
        modulation = tuple(m.repeat(frames, 1, 1, 1) for m in modulation)      # frame-major, as the search frames
        iou_feat = self.bb_regressor.get_iou_feat(search2, search3)
        iou = self.bb_regressor.predict_iou(modulation, iou_feat, proposals.reshape(frames * sequences, -1, 4))
        return scores, iou.reshape(frames, sequences, -1)


def build_dimp_net(backbone: Literal["resnet18", "resnet50"] = "resnet50", pretrained_backbone: bool = True,
                   filter_size: int = 4, optimizer: Literal["steepest_descent_gn", "newton"] = "steepest_descent_gn",
                   optim_iter: int = 5, optim_init_step: float = 0.9,
                   optim_init_reg: float = 0.1, optim_min_reg: float = 1e-3, clf_feat_blocks: int | None = None,
                   out_feature_dim: int | None = None, init_gauss_sigma: float = 1.0, num_dist_bins: int = 100,
                   bin_displacement: float = 0.1, mask_init_factor: float = 3.0, alpha_eps: float = 0.0,
                   normalize_label: bool = False, init_uni_weight: float | None = None, label_shrink: float = 0.0,
                   softmax_reg: float | None = None, label_threshold: float = 0.0, zero_init_initializer: bool = False,
                   frozen_backbone_layers: list[str] = []) -> DiMPNet:
    """DiMP or PrDiMP network on ResNet-18/50 (pytracking's names and weights).

    DiMP with ``optimizer: steepest_descent_gn``, PrDiMP with ``newton``; the keys are those of pytracking's
    ``dimpnet18``/``dimpnet50``/``klcedimpnet18``/``klcedimpnet50`` (defaults: its DiMP-50 train
    settings). ``clf_feat_blocks`` defaults to 1 on ResNet-18 and 0 on ResNet-50, ``out_feature_dim`` to 256 and
    512; ``init_gauss_sigma`` is the label's initial sigma in feature cells (DiMP), also PrDiMP's label sigma."""
    if optimizer not in ("steepest_descent_gn", "newton"):
        raise ValueError(f"net.optimizer {optimizer!r}: choose steepest_descent_gn (DiMP) or newton (PrDiMP)")
    unknown = set(frozen_backbone_layers) - {"conv1", "bn1", "layer1", "layer2", "layer3"}
    if unknown:
        raise ValueError(f"net.frozen_backbone_layers: unknown layer(s) {sorted(unknown)}; "
                         "choose from conv1, bn1, layer1, layer2, layer3")
    small = backbone == "resnet18"
    blocks = (1 if small else 0) if clf_feat_blocks is None else clf_feat_blocks
    out_dim = (256 if small else 512) if out_feature_dim is None else out_feature_dim
    trunk = Trunk(backbone, pretrained_backbone)
    features = feature_block(backbone, out_dim, filter_size, blocks)
    initializer = FilterInitializer(filter_size, out_dim, zero_init=zero_init_initializer)
    if optimizer == "steepest_descent_gn":
        steps: nn.Module = SteepestDescentGN(optim_iter, 16, optim_init_step, optim_init_reg, init_gauss_sigma,
                                             num_dist_bins, bin_displacement, mask_init_factor, optim_min_reg,
                                             alpha_eps)
    else:
        steps = SteepestDescentNewton(optim_iter, 16, optim_init_step, optim_init_reg, init_gauss_sigma,
                                      optim_min_reg, alpha_eps, init_uni_weight, normalize_label, label_shrink,
                                      softmax_reg, label_threshold)
    classifier = TargetClassifier(filter_size, features, initializer, steps)
    iounet = AtomIoUNet(input_dim=(128, 256) if small else (512, 1024))
    return DiMPNet(trunk, classifier, iounet, tuple(frozen_backbone_layers))


def sigma_in_cells(output_sigma_factor: float = 0.25, search_area_factor: float = 5.0, feature_sz: int = 18) -> float:
    """The label sigma pytracking's DiMP settings pass (``output_sigma_factor / search_area_factor * feature_sz``)."""
    return output_sigma_factor / search_area_factor * feature_sz

