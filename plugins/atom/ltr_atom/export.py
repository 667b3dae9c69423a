"""What an ATOM tracker needs of the IoU-Net at inference, for ONNX export.

Three parts: ``reference_branch`` (first frame and target box -> the two modulation vectors, once per
sequence), ``search_features`` (a search frame's IoU features, once per frame; ``test_features`` before 0.3, a
deprecated alias) and ``iou_predictor`` (modulation,
features and P proposals -> P predicted IoUs, PrRoIPool inside). Box refinement climbs the predicted IoU by
its gradient with respect to the boxes, which an ONNX Runtime session does not provide: with these parts
refinement runs by scoring candidate boxes (or in PyTorch); the parts themselves are exact.
"""

from __future__ import annotations

import torch

from ltr_core.api import ExportPart


class _Reference(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image, box):
        f2, f3 = self.net.feature_extractor(image)
        return self.net.bb_regressor.get_modulation(f2, f3, box)


class _SearchFeatures(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        f2, f3 = self.net.feature_extractor(image)
        return self.net.bb_regressor.get_iou_feat(f2, f3)


class _IoUPredictor(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, mod3, mod4, feat3, feat4, proposals):
        return self.net.bb_regressor.predict_iou((mod3, mod4), (feat3, feat4), proposals)


def export_parts(net, image_size: int = 288, proposals: int = 8) -> list[ExportPart]:
    """ATOM's IoU-Net: reference branch, search-frame features and IoU predictor.

    Any image size and number of proposals (dynamic axes)."""
    net = net.eval()
    image = torch.zeros(1, 3, image_size, image_size)
    box = torch.tensor([[image_size / 3, image_size / 3, image_size / 3, image_size / 3]])
    with torch.no_grad():
        mod3, mod4 = _Reference(net)(image, box)
        feat3, feat4 = _SearchFeatures(net)(image)
    props = box[:, None, :].repeat(1, proposals, 1)
    hw = {2: "height", 3: "width"}

    def boxes(g, n):   # x, y, w, h inside the image
        wh = image_size * (0.1 + 0.4 * torch.rand(1, n, 2, generator=g))
        return torch.cat([(image_size - wh) * torch.rand(1, n, 2, generator=g), wh], -1)

    def reference_inputs(g):
        return {"image": torch.randn(image.shape, generator=g), "box": boxes(g, 1)[0]}

    def predictor_inputs(g):
        return {"mod3": torch.randn(mod3.shape, generator=g), "mod4": torch.randn(mod4.shape, generator=g),
                "feat3": torch.randn(feat3.shape, generator=g), "feat4": torch.randn(feat4.shape, generator=g),
                "proposals": boxes(g, proposals)}

    return [
        ExportPart("reference_branch", _Reference(net), {"image": image, "box": box}, ["mod3", "mod4"],
                   dynamic_axes={"image": hw}, random_inputs=reference_inputs),
        ExportPart("search_features", _SearchFeatures(net), {"image": image}, ["feat3", "feat4"],
                   dynamic_axes={"image": hw, "feat3": {2: "h8", 3: "w8"}, "feat4": {2: "h16", 3: "w16"}},
                   aliases=("test_features",)),
        ExportPart("iou_predictor", _IoUPredictor(net),
                   {"mod3": mod3, "mod4": mod4, "feat3": feat3, "feat4": feat4, "proposals": props}, ["iou"],
                   dynamic_axes={"feat3": {2: "h8", 3: "w8"}, "feat4": {2: "h16", 3: "w16"},
                                 "proposals": {1: "proposals"}, "iou": {1: "proposals"}},
                   note="box refinement by gradient needs PyTorch: ONNX Runtime gives no d(IoU)/d(box)",
                   random_inputs=predictor_inputs),
    ]
