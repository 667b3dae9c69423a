"""ATOM's IoU-Net: a reference branch turns the template frame's target into modulation vectors, a search branch
pools modulated features inside each proposal box and predicts its IoU with the target (pytracking's names for
the two frames are train and test; the parameter names stay pytracking's, so its weights load)."""

from __future__ import annotations

import torch
from torch import nn

from ltr_atom.prroi_pool import PrRoIPool2D


def conv(cin: int, cout: int, kernel_size: int = 3, padding: int = 1) -> nn.Sequential:
    """Conv (with bias) + BatchNorm + ReLU."""
    return nn.Sequential(nn.Conv2d(cin, cout, kernel_size, padding=padding, bias=True), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class LinearBlock(nn.Module):
    """Flatten a pooled k x k map, Linear, BatchNorm, ReLU."""

    def __init__(self, cin: int, cout: int, size: int):
        super().__init__()
        self.linear = nn.Linear(cin * size * size, cout)
        self.bn = nn.BatchNorm1d(cout)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.linear(x.flatten(1))))


class AtomIoUNet(nn.Module):
    def __init__(self, input_dim=(128, 256), pred_input_dim=(256, 256), pred_inter_dim=(256, 256)):
        super().__init__()
        self.conv3_1r = conv(input_dim[0], 128)
        self.conv3_1t = conv(input_dim[0], 256)
        self.conv3_2t = conv(256, pred_input_dim[0])
        self.prroi_pool3r = PrRoIPool2D(3, 3, 1 / 8)
        self.prroi_pool3t = PrRoIPool2D(5, 5, 1 / 8)
        self.fc3_1r = conv(128, 256, kernel_size=3, padding=0)
        self.conv4_1r = conv(input_dim[1], 256)
        self.conv4_1t = conv(input_dim[1], 256)
        self.conv4_2t = conv(256, pred_input_dim[1])
        self.prroi_pool4r = PrRoIPool2D(1, 1, 1 / 16)
        self.prroi_pool4t = PrRoIPool2D(3, 3, 1 / 16)
        self.fc34_3r = conv(256 + 256, pred_input_dim[0], kernel_size=1, padding=0)
        self.fc34_4r = conv(256 + 256, pred_input_dim[1], kernel_size=1, padding=0)
        self.fc3_rt = LinearBlock(pred_input_dim[0], pred_inter_dim[0], 5)
        self.fc4_rt = LinearBlock(pred_input_dim[1], pred_inter_dim[1], 3)
        self.iou_predictor = nn.Linear(pred_inter_dim[0] + pred_inter_dim[1], 1)
        self._init_weights()

    def _init_weights(self):
        """The original IoU-Net's initialisation: Kaiming (fan-in) weights, zero biases, BN scales U(0, 1)."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, mode="fan_in")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                nn.init.uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def get_modulation(self, feat2: torch.Tensor, feat3: torch.Tensor, box: torch.Tensor):
        """Reference branch: (B, 4) target box on the template frame -> two (B, C, 1, 1) modulation vectors."""
        pooled3 = self.prroi_pool3r(self.conv3_1r(feat2), box[:, None, :])
        pooled4 = self.prroi_pool4r(self.conv4_1r(feat3), box[:, None, :])
        fc34 = torch.cat([self.fc3_1r(pooled3), pooled4], dim=1)
        return self.fc34_3r(fc34), self.fc34_4r(fc34)

    def get_iou_feat(self, feat2: torch.Tensor, feat3: torch.Tensor):
        """Test branch features, computed once per frame and reused for every proposal."""
        return self.conv3_2t(self.conv3_1t(feat2)), self.conv4_2t(self.conv4_1t(feat3))

    def predict_iou(self, modulation, iou_feat, proposals: torch.Tensor) -> torch.Tensor:
        """(B, P, 4) ``x, y, w, h`` proposals -> (B, P) predicted IoU (in [-1, 1] training space)."""
        B, P, _ = proposals.shape
        mod3, mod4 = modulation
        feat3, feat4 = iou_feat
        pooled3 = self.prroi_pool3t(feat3 * mod3, proposals)
        pooled4 = self.prroi_pool4t(feat4 * mod4, proposals)
        fc = torch.cat([self.fc3_rt(pooled3), self.fc4_rt(pooled4)], dim=1)
        return self.iou_predictor(fc).reshape(B, P)
