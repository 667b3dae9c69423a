"""The DiMP tracker (DiMP, PrDiMP and SuperDiMP: pytracking's ``DiMP`` tracker with their parameter files).

First frame: a crop twice the sample's size around the target, cut into augmented samples (shifts, a flip, blurs,
rotations; two dropout copies of the plain sample's features); the filter is initialised from the target region
and refined by ``net_opt_iter`` steps of the network's own optimiser (DiMP's steepest descent, PrDiMP's Newton
steps); the IoU-Net's modulation vector comes from the plain sample.

Each frame: one crop around the last position at the current scale; the filter's scores (a softmax first for
PrDiMP) locate the target, with ATOM's logic for distractors (a second peak masked around the first) and for a
lost target; the IoU-Net then refines the box by gradient ascent from the classifier's box and jittered copies
(``ltr_atom.refine.ascend_boxes``; PrDiMP's in log-size space) and the mean of the best ``iounet_k`` is kept.
Found targets enter the sample memory (``ltr_atom.classifier.SampleMemory``, pytracking's weights), and the filter
takes ``net_opt_update_iter`` steps every ``train_skipping`` frames, ``net_opt_hn_iter`` at once after a hard
negative.

Conventions are pytracking's, so that the boxes equal its tracker's (``tests/golden/regenerate_tracker.py``):
positions are ``(row, column)`` and a box ``x, y, w, h`` is centred at ``(y + (h - 1) / 2, x + (w - 1) / 2)``;
crops are float and resized bilinearly (:mod:`ltr_atom.sampling`); the tracker works in PyTorch's default dtype.

Under ``--runtime onnx`` the per-frame network calls go to ONNX Runtime (the parts of :mod:`ltr_dimp.export`: the
first frame's samples and the search crop to classification and IoU-Net features) and the rest stays in PyTorch
on the network with the export's weights, which the core hands over as ``net.pytorch`` (``onnx_needs_torch``):
the filter's initialiser and optimiser, and the IoU-Net's ``predict_iou`` that the refinement climbs.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ltr_atom.classifier import SampleMemory
from ltr_atom.refine import RefinedTarget
from ltr_atom.sampling import Augmentation, hann_window, sample_patch
from ltr_atom.tracker import max2d
from ltr_core.api import Tracker
from ltr_core.data.batch import IMAGENET_MEAN, IMAGENET_STD
from ltr_dimp.classifier import correlate, softmax_reg

#: pytracking's first-frame augmentation for every DiMP parameter file
DEFAULT_AUGMENTATION = {"fliplr": True, "rotate": [10, -10, 45, -45], "blur": [[3, 1], [1, 3], [2, 2]],
                        "relativeshift": [[0.6, 0.6], [-0.6, 0.6], [0.6, -0.6], [-0.6, -0.6]], "dropout": [2, 0.2]}
AUGMENTATION_KEYS = ("shift", "relativeshift", "fliplr", "blur", "rotate", "dropout")
FLAGS = ("normal", "not_found", "uncertain", "hard_negative")


def check_augmentation(spec: dict) -> dict:
    unknown = set(spec) - set(AUGMENTATION_KEYS)
    if unknown:
        raise ValueError(f"tracker.augmentation: unknown key(s) {sorted(unknown)}; "
                         f"choose from {', '.join(AUGMENTATION_KEYS)}")
    if "dropout" in spec and (len(spec["dropout"]) != 2 or not 0 <= spec["dropout"][1] < 1):
        raise ValueError(f"tracker.augmentation.dropout: expected [copies, probability < 1], got {spec['dropout']!r}")
    return spec


class DiMPTracker(RefinedTarget, Tracker):
    """DiMP / PrDiMP / SuperDiMP with the parameters of pytracking's ``parameter/dimp/*.py`` (defaults: ``dimp50``)."""

    #: under --runtime onnx the filter's optimiser and the box refinement stay in PyTorch (plugin API 1.4)
    onnx_needs_torch = True

    def __init__(self, net, image_sample_size: int | list[int] = 288, search_area_scale: float = 5.0,
                 border_mode: str = "replicate", patch_max_scale_change: float | None = None,
                 sample_memory_size: int = 50, learning_rate: float = 0.01, init_samples_minimum_weight: float = 0.25,
                 train_skipping: int = 20, update_classifier: bool = True, net_opt_iter: int = 10,
                 net_opt_update_iter: int = 2, net_opt_hn_iter: int = 1, window_output: bool = False,
                 perform_hn_without_windowing: bool = False,
                 use_augmentation: bool = True, augmentation: dict = DEFAULT_AUGMENTATION,
                 augmentation_expansion_factor: float = 2.0, random_shift_factor: float = 1 / 3,
                 advanced_localization: bool = True, score_preprocess: str = "none",
                 target_not_found_threshold: float = 0.25, distractor_threshold: float = 0.8,
                 hard_negative_threshold: float = 0.5, target_neighborhood_scale: float = 2.2,
                 displacement_scale: float = 0.8, hard_negative_learning_rate: float = 0.02,
                 update_scale_when_uncertain: bool = True, use_iou_net: bool = True,
                 box_refinement_space: str = "default", iounet_augmentation: bool = False, iounet_k: int = 3,
                 num_init_random_boxes: int = 9, box_jitter_pos: float = 0.1, box_jitter_sz: float = 0.5,
                 maximal_aspect_ratio: float = 6.0, box_refinement_iter: int = 5,
                 box_refinement_step_length: float | list[float] = 1.0, box_refinement_step_decay: float = 1.0,
                 device: str = "cpu"):
        """Every key is pytracking's DiMP parameter of the same name (``displacement_scale`` is its
        ``dispalcement_scale``):

        image_sample_size: the sample's side in network pixels (or [height, width]); search_area_scale: the
            sample covers this many times the target's side; border_mode: replicate, inside or inside_major (crop
            kept inside the image, shrinking it at most by patch_max_scale_change).
        sample_memory_size, learning_rate, init_samples_minimum_weight: the sample memory (slots, a new sample's
            weight, the first frame's minimum share); train_skipping: the filter is updated every n-th frame;
            update_classifier: update it at all; net_opt_iter / net_opt_update_iter / net_opt_hn_iter: optimiser
            steps at the first frame, at an update, after a hard negative.
        window_output, perform_hn_without_windowing: a cosine window on the scores where the maxima are sought,
            applied only with both on (pytracking's logic: the second peak and the confidence are read on the
            unwindowed scores). use_augmentation, augmentation, augmentation_expansion_factor,
            random_shift_factor: the first frame's samples ({shift: [[rows, cols]], relativeshift: [[r, c]] in
            half samples, fliplr: bool, blur: [[sigma_rows, sigma_cols]], rotate: [degrees], dropout: [copies, p]};
            all but the shifts are cut around a random shift of up to random_shift_factor / 2 of the sample).
        advanced_localization, target_not_found_threshold, distractor_threshold, hard_negative_threshold,
            target_neighborhood_scale, displacement_scale, hard_negative_learning_rate, update_scale_when_uncertain:
            ATOM's target-found logic (as in ltr-atom's tracker); score_preprocess: none, exp or softmax (PrDiMP).
        use_iou_net, box_refinement_space (default | relative), iounet_augmentation, iounet_k, num_init_random_boxes,
            box_jitter_pos, box_jitter_sz, maximal_aspect_ratio, box_refinement_iter, box_refinement_step_length,
            box_refinement_step_decay: the IoU-Net's refinement.

        Not keys: ``debug``/``visualization``, ``use_gpu`` (here ``device``), ``net`` (the config's network and
        ``--checkpoint``), ``vot_anno_conversion_type`` (``ltr vot``'s own), ``iounet_use_log_scale`` (read by no
        code), and the optional keys no DiMP parameter file sets (``scale_factors``, ``score_filter_ksz``,
        ``low_score_opt_threshold``, ``output_not_found_box``, ...)."""
        if not isinstance(net, torch.nn.Module) and getattr(net, "pytorch", None) is None:
            raise ValueError("the DiMP tracker learns its filter with the network's optimiser and refines boxes by "
                             "gradients through the IoU-Net, which ONNX Runtime does not give: give it the PyTorch "
                             "network, or ONNX parts with the PyTorch network beside them (net.pytorch, which "
                             "ltr-core 0.3.5 hands over under --runtime onnx)")
        if not isinstance(net, torch.nn.Module):
            net.require("init_features", "search_features", tracker="the DiMP tracker")
        super().__init__(net, device)
        if score_preprocess not in ("none", "exp", "softmax"):
            raise ValueError(f"tracker.score_preprocess {score_preprocess!r}: choose none, exp or softmax")
        if border_mode not in ("replicate", "inside", "inside_major"):
            raise ValueError(f"tracker.border_mode {border_mode!r}: choose replicate, inside or inside_major")
        if box_refinement_space not in ("default", "relative"):
            raise ValueError(f"tracker.box_refinement_space {box_refinement_space!r}: choose default or relative")
        if box_refinement_iter < 1:
            raise ValueError(f"tracker.box_refinement_iter must be at least 1, got {box_refinement_iter}")
        self.p = dict(locals())
        for key in ("self", "net", "__class__"):
            self.p.pop(key, None)
        self.p["augmentation"] = check_augmentation(dict(augmentation or {}))
        self.flag = None
        #: the network for what runs in PyTorch: ``net`` itself, or under ONNX Runtime the one beside the parts
        self.pytorch = net if isinstance(net, torch.nn.Module) else net.pytorch
        self.onnx = self.pytorch is not net

    # -- helpers -----------------------------------------------------------------------------------------
    def _tensor(self, values) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.get_default_dtype())

    def _image(self, image: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(image)).to(torch.get_default_dtype()).permute(2, 0, 1)[None]

    def _backbone(self, patches: torch.Tensor):
        """Float crops in [0, 255] -> layer2, layer3 (ImageNet normalisation as pytracking's ``NetWithBackbone``)."""
        x = patches / 255
        x = (x - torch.tensor(IMAGENET_MEAN, dtype=x.dtype).view(1, 3, 1, 1)) \
            / torch.tensor(IMAGENET_STD, dtype=x.dtype).view(1, 3, 1, 1)
        return self.net.feature_extractor(x.to(self.device))

    def _classification(self, layer3: torch.Tensor) -> torch.Tensor:
        return self.net.classifier.extract_classification_feat(layer3)

    def _search_features(self, patch: torch.Tensor):
        """The search crop -> its classification features and a function giving its IoU-Net features (in
        PyTorch computed only when a box is refined)."""
        if self.onnx:
            feats, feat3, feat4 = self.net.search_features(patch)
            return feats, lambda: (feat3, feat4)
        l2, l3 = self._backbone(patch)
        return self._classification(l3), lambda: self.pytorch.bb_regressor.get_iou_feat(l2, l3)

    # -- first frame -------------------------------------------------------------------------------------
    @torch.no_grad()
    def initialize(self, image: np.ndarray, box) -> None:
        p = self.p
        x, y, w, h = (float(v) for v in box)
        w, h = max(w, 1.0), max(h, 1.0)
        im = self._image(image)
        self.frame_num = 1
        self.flag = None
        self.pos = self._tensor([y + (h - 1) / 2, x + (w - 1) / 2])
        self.target_sz = self._tensor([h, w])
        self.image_sz = self._tensor([im.shape[2], im.shape[3]])
        side = p["image_sample_size"]
        self.img_sample_sz = self._tensor([side, side] if isinstance(side, (int, float)) else list(side))
        search_area = torch.prod(self.target_sz * p["search_area_scale"]).item()
        self.target_scale = math.sqrt(search_area) / self.img_sample_sz.prod().sqrt()
        self.base_target_sz = self.target_sz / self.target_scale
        self.min_scale_factor = torch.max(10 / self.base_target_sz)
        self.max_scale_factor = torch.min(self.image_sz / self.base_target_sz)
        if hasattr(self, "pos_iounet"):
            del self.pos_iounet

        crops = self._init_samples(im)
        if self.onnx:
            boxes = self._iou_reference_boxes()
            padded = torch.cat([boxes, boxes[:1].expand(len(crops) - len(boxes), 4)])
            feats, *modulation = self.net.init_features(crops, padded)
            self._init_classifier(feats)
            self.modulation = tuple(m[:len(boxes)].mean(0, keepdim=True) for m in modulation)
            return
        l2, l3 = self._backbone(crops)
        self._init_classifier(self._classification(l3))
        if p["use_iou_net"]:
            self._init_iou_net(l2, l3)

    def _init_samples(self, im: torch.Tensor) -> torch.Tensor:
        """The first frame's augmented crops (float, in [0, 255])."""
        p = self.p
        if p["border_mode"] == "inside":     # pytracking shrinks the first crop only in this mode, not inside_major
            im_sz = self._tensor([im.shape[2], im.shape[3]])
            sample_sz = self.target_scale * self.img_sample_sz
            shrink = (sample_sz.float() / im_sz).max().clamp(min=1, max=p["patch_max_scale_change"])
            sample_sz = sample_sz.float() / shrink
            self.init_sample_scale = (sample_sz / self.img_sample_sz).prod().sqrt()
            top_left = self.pos - (sample_sz - 1) / 2
            bottom_right = self.pos + sample_sz / 2 + 1
            global_shift = -((-top_left).clamp(0) - (bottom_right - im_sz).clamp(0)) / self.init_sample_scale
        else:
            self.init_sample_scale = self.target_scale
            global_shift = torch.zeros(2)
        self.init_sample_pos = self.pos.round()

        expansion = p["augmentation_expansion_factor"]
        expanded_sz, out_sz = self.img_sample_sz.clone(), None
        if expansion is not None and expansion != 1:
            expanded = (self.img_sample_sz * expansion).long()
            expanded += (expanded - self.img_sample_sz.long()) % 2
            expanded_sz, out_sz = expanded.float(), self.img_sample_sz.long().tolist()
        shift0 = global_shift.long().tolist()

        def random_shift():
            if not p["random_shift_factor"] > 0:
                return None
            return ((torch.rand(2) - 0.5) * self.img_sample_sz * p["random_shift_factor"]
                    + global_shift).long().tolist()

        spec = p["augmentation"] if p["use_augmentation"] else {}
        augs = [Augmentation("identity", None, out_sz, shift0)]
        augs += [Augmentation("shift", s, out_sz, shift0) for s in spec.get("shift", [])]
        augs += [Augmentation("shift", (self._tensor(s) * self.img_sample_sz / 2).long().tolist(), out_sz, shift0)
                 for s in spec.get("relativeshift", [])]
        if spec.get("fliplr"):
            augs.append(Augmentation("fliplr", None, out_sz, random_shift()))
        augs += [Augmentation("blur", s, out_sz, random_shift()) for s in spec.get("blur", [])]
        augs += [Augmentation("rotate", a, out_sz, random_shift()) for a in spec.get("rotate", [])]
        self.augmentations = augs

        patch, _ = sample_patch(im, self.init_sample_pos, self.init_sample_scale * expanded_sz, expanded_sz)
        return torch.cat([a(patch) for a in augs])

    def _init_classifier(self, feats: torch.Tensor) -> None:
        """The filter from the first frame's samples' classification features."""
        p = self.p
        shifts = [a.shift for a in self.augmentations]
        if "dropout" in p["augmentation"] and p["use_augmentation"]:
            copies, prob = p["augmentation"]["dropout"]
            shifts += shifts[:1] * int(copies)
            feats = torch.cat([feats, F.dropout2d(feats[0:1].expand(int(copies), -1, -1, -1), p=prob, training=True)])
        self.feature_sz = self._tensor(list(feats.shape[-2:]))
        k = self.pytorch.classifier.filter_size
        self.kernel_size = self._tensor([k, k] if isinstance(k, (int, float)) else list(k))
        self.output_sz = self.feature_sz + (self.kernel_size + 1) % 2
        self.window = None
        if p["window_output"]:
            self.window = hann_window(tuple(int(v) for v in self.output_sz), feats.dtype).squeeze(0).to(feats.device)

        box = self._box_in_sample(self.pos, self.target_sz, self.init_sample_pos, self.init_sample_scale)
        boxes = torch.stack([box + self._tensor([s[1], s[0], 0, 0]) for s in shifts]).to(feats.device)
        self.target_filter, _, _ = self.pytorch.classifier.get_filter(feats[:, None], boxes[:, None],
                                                                     num_iter=p["net_opt_iter"])
        self.memory = None
        if p["update_classifier"]:
            self.memory = SampleMemory(feats, boxes, p["sample_memory_size"], p["learning_rate"],
                                       p["init_samples_minimum_weight"])

    def _iou_reference_boxes(self) -> torch.Tensor:
        """The target's box in the first samples the IoU-Net's modulation is averaged over (the plain sample, and
        with ``iounet_augmentation`` the shifted ones that follow it)."""
        box = self._box_in_sample(self.pos, self.target_sz, self.init_sample_pos, self.init_sample_scale)
        boxes = []
        for aug in (self.augmentations if self.p["iounet_augmentation"] else self.augmentations[:1]):
            if not aug.geometric:
                break
            boxes.append(box + self._tensor([aug.shift[1], aug.shift[0], 0, 0]))
        return torch.stack(boxes)

    def _init_iou_net(self, l2: torch.Tensor, l3: torch.Tensor) -> None:
        boxes = self._iou_reference_boxes().to(l2.device)
        modulation = self.net.bb_regressor.get_modulation(l2[:len(boxes)], l3[:len(boxes)], boxes)
        self.modulation = tuple(m.mean(0, keepdim=True) for m in modulation)

    # -- each frame --------------------------------------------------------------------------------------
    @torch.no_grad()
    def track(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        p = self.p
        self.frame_num += 1
        im = self._image(image)
        centre = self.pos + ((self.feature_sz + self.kernel_size) % 2) * self.target_scale * \
            self.img_sample_sz / (2 * self.feature_sz)
        patch, coords = sample_patch(im, centre, self.target_scale * self.img_sample_sz, self.img_sample_sz,
                                     mode=p["border_mode"], max_scale_change=p["patch_max_scale_change"])
        feats, iou_features = self._search_features(patch)
        coords = coords.float()
        sample_pos = 0.5 * (coords[0, :2] + coords[0, 2:] - 1)
        sample_scale = ((coords[0, 2:] - coords[0, :2]) / self.img_sample_sz).prod().sqrt()

        scores = correlate(feats[:, None], self.target_filter)[:, 0].cpu()
        translation, flag, scores = self.localize(scores, sample_pos, sample_scale)
        self.flag = flag
        new_pos = sample_pos + translation
        if flag != "not_found":
            if p["use_iou_net"]:
                self._set_position(new_pos)
                self.refine_target_box(iou_features(), sample_pos, sample_scale,
                                       p["update_scale_when_uncertain"] or flag != "uncertain")
            else:
                self._set_position(new_pos, sample_scale)

        if flag not in ("not_found", "uncertain") and self.memory is not None:
            box = self._box_in_sample(self.pos, self.target_sz, sample_pos, sample_scale).to(feats.device)
            self.update_classifier(feats, box, flag == "hard_negative")
        if p["use_iou_net"] and flag != "not_found" and hasattr(self, "pos_iounet"):
            self.pos = self.pos_iounet.clone()

        score = float(scores[0].max())
        h, w = (float(v) for v in self.target_sz)
        out = np.array([float(self.pos[1]) - (w - 1) / 2, float(self.pos[0]) - (h - 1) / 2, w, h])
        return out, score

    def localize(self, scores: torch.Tensor, sample_pos: torch.Tensor, sample_scale: torch.Tensor):
        """(1, H, W) raw scores -> (translation (row, column) from the sample's centre in image pixels, the frame's
        flag, the processed scores)."""
        p = self.p
        if p["score_preprocess"] == "exp":
            scores = scores.exp()
        elif p["score_preprocess"] == "softmax":
            scores = softmax_reg(scores, getattr(self.pytorch.classifier.filter_optimizer, "softmax_reg", None))
        size = scores.shape[-2:]
        score_sz = self._tensor(list(size))
        output_sz = score_sz - (self.kernel_size + 1) % 2
        centre = (score_sz - 1) / 2
        ratio = self.img_sample_sz / output_sz
        if self.window is not None and p["perform_hn_without_windowing"]:
            scores_hn, scores = scores, scores * self.window.cpu()
        else:
            scores_hn = scores

        best1, arg1 = max2d(scores)
        best1, arg1 = best1[0], arg1[0].to(centre.dtype)
        disp1 = arg1 - centre
        translation1 = disp1 * ratio * sample_scale
        if not p["advanced_localization"]:
            return translation1, "normal", scores_hn
        if best1.item() < p["target_not_found_threshold"]:
            return translation1, "not_found", scores_hn

        neigh = p["target_neighborhood_scale"] * (self.target_sz / sample_scale) * (output_sz / self.img_sample_sz)
        top = max(round(arg1[0].item() - neigh[0].item() / 2), 0)
        bottom = min(round(arg1[0].item() + neigh[0].item() / 2 + 1), size[0])
        left = max(round(arg1[1].item() - neigh[1].item() / 2), 0)
        right = min(round(arg1[1].item() + neigh[1].item() / 2 + 1), size[1])
        masked = scores_hn[:1].clone()
        masked[..., top:bottom, left:right] = 0
        best2, arg2 = max2d(masked)
        disp2 = arg2[0].to(centre.dtype) - centre
        translation2 = disp2 * ratio * sample_scale

        previous = (self.pos - sample_pos) / (ratio * sample_scale)
        if best2 > p["distractor_threshold"] * best1:
            far = p["displacement_scale"] * math.sqrt(size[0] * size[1]) / 2
            d1 = torch.sqrt(torch.sum((disp1 - previous) ** 2))
            d2 = torch.sqrt(torch.sum((disp2 - previous) ** 2))
            if d2 > far and d1 < far:
                return translation1, "hard_negative", scores_hn
            if d2 < far and d1 > far:
                return translation2, "hard_negative", scores_hn
            return translation1, "uncertain", scores_hn
        if best2 > p["hard_negative_threshold"] * best1 and best2 > p["target_not_found_threshold"]:
            return translation1, "hard_negative", scores_hn
        return translation1, "normal", scores_hn

    def update_classifier(self, feats: torch.Tensor, box: torch.Tensor, hard_negative: bool) -> None:
        p = self.p
        self.memory.add(feats[0], box, p["hard_negative_learning_rate"] if hard_negative else None)
        if hard_negative:
            steps = p["net_opt_hn_iter"]
        elif (self.frame_num - 1) % p["train_skipping"] == 0:
            steps = p["net_opt_update_iter"]
        else:
            return
        if steps:
            samples, boxes, weights = self.memory.filled()
            self.target_filter, _, _ = self.pytorch.classifier.filter_optimizer(
                self.target_filter, samples[:, None], boxes[:, None].clone(), sample_weight=weights[:, None],
                num_iter=steps)

    def refine_target_box(self, iou_feat, sample_pos, sample_scale, update_scale: bool = True) -> None:
        """The IoU-Net's refinement, in PyTorch on the search crop's IoU-Net features ``iou_feat``, from the current
        box and ``num_init_random_boxes`` jittered copies."""
        self._refine(self.pytorch.bb_regressor, iou_feat, sample_pos, sample_scale, update_scale,
                     space=self.p["box_refinement_space"])
