"""What an ATOM tracker needs of its network at inference, for ONNX export.

``trunk`` (since ltr-atom 0.2.7): float crops in [0, 255], any number and size -> layer2 and layer3, the
normalisation inside. It is what ``ltr eval/track/vot --runtime onnx`` runs per frame: the tracker's online
classifier (trained by Gauss-Newton on its features) and the IoU-Net's box refinement (a gradient ascent on the
predicted IoU, which an ONNX Runtime session cannot differentiate) stay in PyTorch on the network beside the parts
(``net.pytorch``, plugin API 1.4).

For other runtimes, the IoU-Net alone: ``reference_branch`` (first frame and target box -> the two modulation
vectors), ``search_features`` (a search frame's IoU features; ``test_features`` before 0.3, a deprecated alias)
and ``iou_predictor`` (modulation, features and P proposals -> P predicted IoUs, PrRoIPool inside), with which
boxes can be refined by scoring candidates.
"""

from __future__ import annotations

import torch

from ltr_core.api import ExportPart


class _Trunk(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, crops):
        return self.net.trunk(crops)


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
    """ATOM's trunk (what the tracker runs under ONNX Runtime), and the IoU-Net's reference branch, search-frame
    features and IoU predictor.

    Any number and size of crops, any number of proposals (dynamic axes)."""
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

    def trunk_inputs(g):
        return {"crops": 255 * torch.rand(2, 3, image_size, image_size, generator=g)}

    samples = {0: "samples", 2: "h8", 3: "w8"}
    return [
        ExportPart("trunk", _Trunk(net), {"crops": image.repeat(2, 1, 1, 1)}, ["layer2", "layer3"],
                   dynamic_axes={"crops": {0: "samples", 2: "height", 3: "width"}, "layer2": samples,
                                 "layer3": {0: "samples", 2: "h16", 3: "w16"}},
                   random_inputs=trunk_inputs,
                   note="the online classifier and the box refinement run in PyTorch on these features"),
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
