"""ATOM's tracker (Danelljan et al., CVPR 2019) as pytracking's ``pytracking/tracker/atom/atom.py`` runs it, so that
its boxes are pytracking's (``tests/golden/regenerate_atom_tracker.py``).

First frame: a crop twice the sample's size around the target is cut into augmented samples (shifts, a flip,
blurs, rotations; :mod:`ltr_atom.sampling`), their layer3 features (normalised) and dropout copies train the
online classifier, projection and filter together (:mod:`ltr_atom.classifier`); the IoU-Net's modulation vector
comes from the plain sample's layer2/layer3.

Each frame: one crop around the last position at the current scale; the filter's scores on the feature grid are
upsampled as a Fourier series to sample pixels (:mod:`ltr_atom.fourier`); ATOM's logic reads the frame as found,
uncertain (a second peak as strong), a hard negative (a weaker one, or a strong one far from the centre) or
target not found; the IoU-Net then refines the box by gradient ascent from the classifier's box and jittered
copies (:func:`ltr_atom.refine.ascend_boxes`) and the mean of the best ``iounet_k`` is kept. Found targets add
their projected features to the memory; the filter takes ``CG_iter`` CG iterations every ``train_skipping``
frames, ``hard_negative_CG_iter`` at once after a hard negative.

Conventions are pytracking's: positions are ``(row, column)`` tensors and a box ``x, y, w, h`` is centred at
``(y + (h - 1) / 2, x + (w - 1) / 2)``; crops are float and resized bilinearly; the tracker works in PyTorch's
default dtype. Kept quirks (docs/fidelity.md): the search crop is centred on the position's integer part while
displacements are measured from its rounded value; an even feature grid's Nyquist frequency counts twice in the
upsampling; a refinement that keeps no box leaves the position where the last kept refinement put it.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ltr_atom.classifier import OnlineClassifier
from ltr_atom.fourier import upsample_scores
from ltr_atom.refine import RefinedTarget
from ltr_atom.sampling import Augmentation, sample_patch
from ltr_core.api import Tracker

STRIDE = 16   # of layer3, the classifier's features

#: pytracking's first-frame augmentation in ``parameter/atom/default.py``
DEFAULT_AUGMENTATION = {
    "fliplr": True,
    "rotate": [5, -5, 10, -10, 20, -20, 30, -30, 45, -45, -60, 60],
    "blur": [[2, 0.2], [0.2, 2], [3, 1], [1, 3], [2, 2]],
    "relativeshift": [[0.6, 0.6], [-0.6, 0.6], [0.6, -0.6], [-0.6, -0.6]],
    "dropout": [7, 0.2],
}
AUGMENTATION_KEYS = ("shift", "relativeshift", "fliplr", "blur", "rotate", "dropout")
FLAGS = ("normal", "not_found", "uncertain", "hard_negative")


def check_augmentation(spec: dict, path: str = "tracker.augmentation") -> dict:
    """Validate an augmentation spec (:data:`DEFAULT_AUGMENTATION`'s keys); raises ``ValueError`` naming the key."""
    for key, value in spec.items():
        if key not in AUGMENTATION_KEYS:
            raise ValueError(f"{path}.{key}: unknown augmentation; choose from {', '.join(AUGMENTATION_KEYS)}")
        pairs = isinstance(value, list) and all(isinstance(v, (list, tuple)) and len(v) == 2 for v in value)
        ok = {
            "fliplr": isinstance(value, bool),
            "rotate": isinstance(value, list) and all(isinstance(a, (int, float)) for a in value),
            "dropout": isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], int)
            and 0 <= value[1] < 1,
        }.get(key, pairs)
        if not ok:
            raise ValueError(f"{path}.{key}: malformed value {value!r} (default: {DEFAULT_AUGMENTATION.get(key)!r}; "
                             "shift: [[rows, columns], ...] pixels, relativeshift: fractions of half the sample, "
                             "blur: [[sigma_rows, sigma_columns], ...], dropout: [copies, probability])")
    return spec


def normalise(features: torch.Tensor, power: float | None) -> torch.Tensor:
    """Divide each sample by its ``power``-mean magnitude over all channels and cells (pytracking's
    ``normalize_power``)."""
    if not power:
        return features
    n = features[0].numel()
    norm = (features.abs().reshape(features.shape[0], 1, 1, -1) ** power).sum(3, keepdim=True) / n + 1e-10
    return features / norm ** (1 / power)


def max2d(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(..., H, W) -> the maximum of each map and its (row, column): the first maximum of the row-wise maxima."""
    row_max, row_arg = scores.max(dim=-2)
    best, col = row_max.max(dim=-1)
    row = row_arg.gather(-1, col[..., None])[..., 0]
    return best, torch.stack([row, col], -1)


def gaussian_label(size: torch.Tensor, sigma: float, centre: torch.Tensor) -> torch.Tensor:
    """(1, 1, H, W) Gaussian at ``centre`` (row, column) measured from the map's middle, ``(size - 1) / 2``."""
    axes = []
    for n, c in zip((int(size[0]), int(size[1])), centre):
        k = torch.arange(-(n - 1) / 2, (n + 1) / 2)
        axes.append(torch.exp(-1.0 / (2 * sigma ** 2) * (k - c) ** 2))
    return axes[0].reshape(1, 1, -1, 1) * axes[1].reshape(1, 1, 1, -1)


def uncentred_hann(size: tuple[int, int]) -> torch.Tensor:
    """(1, 1, H, W) cosine window peaking at pixel (0, 0) and wrapping around (the upsampled scores' layout)."""
    def one(n):
        w = 0.5 * (1 + torch.cos((2 * math.pi / (n + 2)) * torch.arange(0, n // 2 + 1).float()))
        return torch.cat([w, w[1:n - n // 2].flip((0,))])
    return one(size[0]).reshape(1, 1, -1, 1) * one(size[1]).reshape(1, 1, 1, -1)


class ATOMTracker(RefinedTarget, Tracker):
    """ATOM: online target classifier on ResNet layer3 + IoU-Net box refinement."""

    #: under --runtime onnx the trunk runs in ONNX Runtime; the classifier and the IoU-Net stay in PyTorch (API 1.4)
    onnx_needs_torch = True

    def __init__(self, net, search_area_scale: float = 5.0, max_image_sample_size: int = 288 ** 2,
                 min_image_sample_size: int = 288 ** 2, feature_size_odd: bool = False,
                 normalize_power: float = 2.0,
                 CG_iter: int = 5, init_CG_iter: int = 60, init_GN_iter: int = 6, post_init_CG_iter: int = 0,
                 fletcher_reeves: bool = False, standard_alpha: bool = True,
                 learning_rate: float = 0.01, init_samples_minimum_weight: float = 0.25,
                 output_sigma_factor: float = 0.25, sample_memory_size: int = 250, train_skipping: int = 10,
                 kernel_size: list[int] = [4, 4], compressed_dim: int = 64, filter_reg: float = 0.1,
                 projection_reg: float = 1e-4,
                 window_output: bool = False, perform_hn_without_windowing: bool = False,
                 score_upsample_factor: float = 1.0,
                 augmentation: dict = DEFAULT_AUGMENTATION, augmentation_expansion_factor: float = 2.0,
                 random_shift_factor: float = 1 / 3, use_augmentation: bool = True,
                 update_projection_matrix: bool = True, proj_init_method: str = "randn",
                 filter_init_method: str = "randn", projection_activation: list = ["none", 1.0],
                 response_activation: list = ["mlu", 0.05],
                 advanced_localization: bool = True, target_not_found_threshold: float = 0.25,
                 distractor_threshold: float = 0.8, hard_negative_threshold: float = 0.5,
                 target_neighborhood_scale: float = 2.2, displacement_scale: float = 0.8,
                 hard_negative_learning_rate: float = 0.02, hard_negative_CG_iter: int = 5,
                 update_scale_when_uncertain: bool = True,
                 use_iou_net: bool = True, iounet_augmentation: bool = False, iounet_k: int = 3,
                 num_init_random_boxes: int = 9, box_jitter_pos: float = 0.1, box_jitter_sz: float = 0.5,
                 maximal_aspect_ratio: float = 6.0, box_refinement_iter: int = 5,
                 box_refinement_step_length: float = 1.0, box_refinement_step_decay: float = 1.0,
                 device: str = "cpu"):
        """Every key is pytracking's ATOM parameter of the same name (see its ``default.py``):

        search_area_scale: sample side / sqrt(target area); max/min_image_sample_size: bounds on the sample's
            area in network pixels (the target is resized to stay within them); feature_size_odd: make the
            feature grid odd (else even) by growing the sample; normalize_power: features divided by their
            power-mean magnitude (2: RMS).
        CG_iter: CG iterations per filter update; init_CG_iter: total CG iterations at the first frame, spread
            over init_GN_iter Gauss-Newton iterations; post_init_CG_iter: filter-only iterations after them;
            fletcher_reeves: CG's beta formula (else Polak-Ribiere); standard_alpha: CG's step formula.
        learning_rate: weight of a new sample in memory; init_samples_minimum_weight: the first frame's
            minimum share; output_sigma_factor: label sigma / sqrt(target area); sample_memory_size: slots;
            train_skipping: retrain the filter every n-th frame.
        kernel_size, compressed_dim, filter_reg, projection_reg: filter size, projected channels and the two
            regularisation weights. window_output: a cosine window on the upsampled scores, where the maxima are
            sought; perform_hn_without_windowing: read the second peak on the unwindowed scores instead;
            score_upsample_factor: score map resolution relative to sample pixels (Fourier upsampling,
            :mod:`ltr_atom.fourier`).
        augmentation, augmentation_expansion_factor, random_shift_factor, use_augmentation: the first frame's
            augmented samples (:mod:`ltr_atom.sampling`; keys as :data:`DEFAULT_AUGMENTATION`).
            update_projection_matrix: learn the projection at the first frame (else random/PCA fixed); proj_init_method: randn|pca; filter_init_method: randn|zeros;
            projection_activation / response_activation: [name, parameter], name none|relu|elu|mlu.
        advanced_localization: detect distractors and a lost target (else take the maximum);
            target_not_found_threshold: below this maximum score the target is lost (no update);
            distractor_threshold, hard_negative_threshold: a second peak's score relative to the first that makes
            the frame uncertain / a hard negative; target_neighborhood_scale: size of the first peak's region
            (x target) masked before looking for a second; displacement_scale: how far from the sample centre
            (x half the map) a peak counts as far; hard_negative_learning_rate, hard_negative_CG_iter: update
            after a hard negative; update_scale_when_uncertain: let the IoU-Net change scale when uncertain.
        use_iou_net: refine boxes with the IoU-Net (else keep the first frame's size); iounet_augmentation: the
            IoU-Net's modulation vector is the mean over the shifted, flipped and blurred first-frame samples
            (else the plain sample's); iounet_k: average of the k best refined boxes;
            num_init_random_boxes, box_jitter_pos, box_jitter_sz: extra starting boxes jittered around the
            classifier's box (x sqrt(area)); maximal_aspect_ratio: refined boxes beyond it are dropped; box_refinement_iter / _step_length / _step_decay: the gradient ascent (a box whose
            predicted IoU fell takes its step back and shortens it by the decay).

        Not keys: pytracking's ``debug``/``visualization`` (its plots), ``use_gpu`` (here ``device``),
        ``features`` (the config's net), ``scale_factors`` (one scale, as ATOM uses with the IoU-Net),
        ``feature_window`` (off in ATOM's parameters), ``CG_forgetting_rate`` (unset in ATOM's parameters,
        meaning that CG starts afresh at every update, which is what ltr does), ``use_classifier`` and
        ``use_iounet_pos_for_learning`` (on in every parameter file), ``search_area_shape`` (square).
        """
        if not isinstance(net, torch.nn.Module) and getattr(net, "pytorch", None) is None:
            raise ValueError("the ATOM tracker trains its classifier online and refines boxes by gradients through "
                             "the IoU-Net, which ONNX Runtime does not give: give it the PyTorch network, or ONNX "
                             "parts with the PyTorch network beside them (net.pytorch, which ltr-core 0.3.5 hands "
                             "over under --runtime onnx)")
        if not isinstance(net, torch.nn.Module):
            net.require("trunk", tracker="the ATOM tracker (ltr-atom 0.2.7)")
        super().__init__(net, device)
        #: the network for what stays in PyTorch (the IoU-Net): ``net``, or under ONNX Runtime the one beside the parts
        self.pytorch = net if isinstance(net, torch.nn.Module) else net.pytorch
        if len(kernel_size) != 2:
            raise ValueError(f"tracker.kernel_size: expected [height, width], got {kernel_size!r}")
        if score_upsample_factor <= 0:
            raise ValueError(f"tracker.score_upsample_factor must be positive, got {score_upsample_factor}")
        self.p = dict(locals())
        for key in ("self", "net", "__class__"):
            self.p.pop(key, None)
        self.p["augmentation"] = check_augmentation(dict(augmentation))
        self.classifier_args = dict(
            kernel_size=tuple(kernel_size), compressed_dim=compressed_dim, filter_reg=filter_reg,
            projection_reg=projection_reg, learning_rate=learning_rate,
            init_samples_minimum_weight=init_samples_minimum_weight, sample_memory_size=sample_memory_size,
            projection_activation=tuple(projection_activation), response_activation=tuple(response_activation),
            proj_init_method=proj_init_method, filter_init_method=filter_init_method,
            update_projection_matrix=update_projection_matrix, fletcher_reeves=fletcher_reeves,
            standard_alpha=standard_alpha)
        OnlineClassifier(**self.classifier_args)          # fail on a bad option now, not at the first sequence
        self.flag = None

    # -- helpers ------------------------------------------------------------------------------------------
    @staticmethod
    def _tensor(values) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.get_default_dtype())

    def _image(self, image: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(image)).to(torch.get_default_dtype()).permute(2, 0, 1)[None]

    def _features(self, patches: torch.Tensor):
        """Crops (N, 3, H, W) in [0, 255] -> (layer2, layer3, normalised layer3); the trunk runs in ONNX Runtime
        under --runtime onnx."""
        l2, l3 = self.net.trunk(patches.to(self.device))
        return l2, l3, normalise(l3, self.p["normalize_power"])

    def _label(self, centre: torch.Tensor) -> torch.Tensor:
        """The classifier's Gaussian label for a target centred ``centre`` (row, column) sample pixels from the
        sample's centre; an even kernel's scores sit half a cell early."""
        cell = self.feature_sz * centre / self.img_sample_sz + 0.5 * ((self.kernel_size + 1) % 2)
        return gaussian_label(self.feature_sz, self.sigma, cell)

    # -- first frame --------------------------------------------------------------------------------------
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
        area = torch.prod(self.target_sz * p["search_area_scale"]).item()
        self.target_scale = 1.0
        if area > p["max_image_sample_size"]:
            self.target_scale = math.sqrt(area / p["max_image_sample_size"])
        elif area < p["min_image_sample_size"]:
            self.target_scale = math.sqrt(area / p["min_image_sample_size"])
        self.base_target_sz = self.target_sz / self.target_scale
        side = torch.round(torch.sqrt(torch.prod(self.base_target_sz * p["search_area_scale"]))) * torch.ones(2)
        if p["feature_size_odd"]:
            side += STRIDE - side % (2 * STRIDE)
        else:
            side += STRIDE - (side + STRIDE) % (2 * STRIDE)
        self.img_sample_sz = side
        self.feature_sz = side // STRIDE
        self.output_sz = p["score_upsample_factor"] * side
        self.kernel_size = self._tensor(list(p["kernel_size"]))
        self.sigma = (self.feature_sz / side * self.base_target_sz).prod().sqrt().item() * p["output_sigma_factor"]
        self.window = None
        if p["window_output"]:
            self.window = uncentred_hann(tuple(int(v) for v in self.output_sz))[0]
        self.image_sz = self._tensor([im.shape[2], im.shape[3]])
        self.min_scale_factor = torch.max(10 / self.base_target_sz)
        self.max_scale_factor = torch.min(self.image_sz / self.base_target_sz)

        augs, l2, l3, feats = self._init_samples(im)
        if p["use_iou_net"]:
            self._init_iou_net(augs, l2, l3)
        shifts = [a.shift for a in augs]
        spec = p["augmentation"] if p["use_augmentation"] else {}
        if "dropout" in spec:
            copies, prob = spec["dropout"]
            shifts += shifts[:1] * int(copies)
            feats = torch.cat([feats, F.dropout2d(feats[0:1].expand(int(copies), -1, -1, -1), p=prob, training=True)])
        offset = (self.pos - self.pos.round()) / self.target_scale
        labels = torch.cat([self._label(offset + self._tensor(list(s))) for s in shifts]).to(feats.device)
        self.classifier = OnlineClassifier(**self.classifier_args)
        self.classifier.initialize(feats, labels, p["init_GN_iter"], p["init_CG_iter"], p["post_init_CG_iter"])
        self.pos_iounet = self.pos.clone()

    def _init_samples(self, im: torch.Tensor):
        """The first frame's augmented crops -> (their augmentations, layer2, layer3, normalised layer3)."""
        p = self.p
        expansion = p["augmentation_expansion_factor"]
        expanded_sz, out_sz = self.img_sample_sz.clone(), None
        if expansion is not None and expansion != 1:
            expanded = (self.img_sample_sz * expansion).long()
            expanded += (expanded - self.img_sample_sz.long()) % 2
            expanded_sz, out_sz = expanded.float(), self.img_sample_sz.long().tolist()

        def random_shift():
            if not p["random_shift_factor"] > 0:
                return None
            return ((torch.rand(2) - 0.5) * self.img_sample_sz * p["random_shift_factor"]).long().tolist()

        spec = p["augmentation"] if p["use_augmentation"] else {}
        augs = [Augmentation("identity", None, out_sz)]
        augs += [Augmentation("shift", s, out_sz) for s in spec.get("shift", [])]
        augs += [Augmentation("shift", (self._tensor(s) * self.img_sample_sz / 2).long().tolist(), out_sz)
                 for s in spec.get("relativeshift", [])]
        if spec.get("fliplr"):
            augs.append(Augmentation("fliplr", None, out_sz, random_shift()))
        augs += [Augmentation("blur", s, out_sz, random_shift()) for s in spec.get("blur", [])]
        augs += [Augmentation("rotate", a, out_sz, random_shift()) for a in spec.get("rotate", [])]
        # pytracking crops around the unrounded position here (its integer part), the later crops too
        patch, _ = sample_patch(im, self.pos, self.target_scale * expanded_sz, expanded_sz)
        return (augs, *self._features(torch.cat([a(patch) for a in augs])))

    def _init_iou_net(self, augs, l2: torch.Tensor, l3: torch.Tensor) -> None:
        box = self._box_in_sample(self.pos, self.target_sz, self.pos.round(), self.target_scale)
        boxes = []
        for aug in (augs if self.p["iounet_augmentation"] else augs[:1]):
            if not aug.geometric:
                break
            boxes.append(box + self._tensor([aug.shift[1], aug.shift[0], 0, 0]))
        boxes = torch.stack(boxes).to(l2.device)
        modulation = self.pytorch.bb_regressor.get_modulation(l2[:len(boxes)], l3[:len(boxes)], boxes)
        self.modulation = tuple(m.mean(0, keepdim=True) for m in modulation)

    # -- each frame ---------------------------------------------------------------------------------------
    @torch.no_grad()
    def track(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        p = self.p
        self.frame_num += 1
        im = self._image(image)
        sample_pos = self.pos.round()
        sample_scale = self.target_scale
        patch, _ = sample_patch(im, self.pos, sample_scale * self.img_sample_sz, self.img_sample_sz)
        l2, l3, feats = self._features(patch)
        compressed = self.classifier.project(feats)
        scores = upsample_scores(self.classifier.scores(compressed), self.kernel_size, self.output_sz).cpu()
        if self.window is not None and not p["perform_hn_without_windowing"]:
            scores = scores * self.window
        translation, flag, scores = self.localize(scores[0])
        self.flag = flag

        if flag != "not_found":
            if p["use_iou_net"]:
                self._set_position(sample_pos + translation)
                self.refine_target_box(l2, l3, sample_pos, sample_scale,
                                       p["update_scale_when_uncertain"] or flag != "uncertain")
            else:
                self._set_position(sample_pos + translation, sample_scale)
        max_score = float(scores.max())

        if flag not in ("not_found", "uncertain"):
            label = self._label((self.pos - sample_pos) / sample_scale).to(compressed.device)
            self.classifier.add_sample(compressed, label,
                                       p["hard_negative_learning_rate"] if flag == "hard_negative" else None)
        if flag == "hard_negative":
            self.classifier.train(p["hard_negative_CG_iter"])
        elif (self.frame_num - 1) % p["train_skipping"] == 0:
            self.classifier.train(p["CG_iter"])
        if p["use_iou_net"] and flag != "not_found":
            self.pos = self.pos_iounet.clone()

        h, w = (float(v) for v in self.target_sz)
        return np.array([float(self.pos[1]) - (w - 1) / 2, float(self.pos[0]) - (h - 1) / 2, w, h]), max_score

    def localize(self, scores: torch.Tensor):
        """(1, H, W) upsampled scores, pixel (0, 0) at the sample's centre -> (translation (row, column) from the
        sample's centre in image pixels, the frame's flag, the scores with their centre in the middle)."""
        p = self.p
        size = scores.shape[-2:]
        to_image = self.img_sample_sz / self.output_sz * self.target_scale
        if not p["advanced_localization"]:
            _, arg = max2d(scores)
            disp = (arg[0].to(self.output_sz.dtype) + self.output_sz / 2) % self.output_sz - self.output_sz / 2
            return disp * to_image, "normal", self._centred(scores)
        windowed_hn = self.window is not None and p["perform_hn_without_windowing"]
        if windowed_hn:
            unwindowed = self._centred(scores)
            scores = scores * self.window
        scores = self._centred(scores)
        best1, arg1 = max2d(scores)
        best1, arg1 = best1[0], arg1[0].to(self.output_sz.dtype)
        disp1 = arg1 - self.output_sz // 2
        translation1 = disp1 * to_image
        if best1.item() < p["target_not_found_threshold"]:
            return translation1, "not_found", scores
        if windowed_hn:
            scores = unwindowed

        neigh = p["target_neighborhood_scale"] * self.target_sz / self.target_scale
        top = max(round(arg1[0].item() - neigh[0].item() / 2), 0)
        bottom = min(round(arg1[0].item() + neigh[0].item() / 2 + 1), size[0])
        left = max(round(arg1[1].item() - neigh[1].item() / 2), 0)
        right = min(round(arg1[1].item() + neigh[1].item() / 2 + 1), size[1])
        masked = scores.clone()
        masked[..., top:bottom, left:right] = 0
        best2, arg2 = max2d(masked)
        disp2 = arg2[0].to(self.output_sz.dtype) - self.output_sz // 2
        translation2 = disp2 * to_image

        if best2 > p["distractor_threshold"] * best1:
            far = p["displacement_scale"] * math.sqrt(size[0] * size[1]) / 2
            d1, d2 = torch.sqrt(torch.sum(disp1 ** 2)), torch.sqrt(torch.sum(disp2 ** 2))
            if d2 > far and d1 < far:
                return translation1, "hard_negative", scores
            if d2 < far and d1 > far:
                return translation2, "hard_negative", scores
            return translation1, "uncertain", scores
        if best2 > p["hard_negative_threshold"] * best1 and best2 > p["target_not_found_threshold"]:
            return translation1, "hard_negative", scores
        return translation1, "normal", scores

    @staticmethod
    def _centred(scores: torch.Tensor) -> torch.Tensor:
        """Scores whose pixel (0, 0) is the sample's centre -> the centre at pixel ``size // 2``."""
        h, w = scores.shape[-2:]
        scores = torch.cat([scores[..., (h + 1) // 2:, :], scores[..., :(h + 1) // 2, :]], -2)
        return torch.cat([scores[..., :, (w + 1) // 2:], scores[..., :, :(w + 1) // 2]], -1)

    def refine_target_box(self, l2, l3, sample_pos, sample_scale, update_scale: bool = True) -> None:
        """The IoU-Net's refinement with ATOM's step back-off (:meth:`RefinedTarget._refine`)."""
        iou_feat = self.pytorch.bb_regressor.get_iou_feat(l2, l3)
        self._refine(self.pytorch.bb_regressor, iou_feat, sample_pos, sample_scale, update_scale, backtrack=True)
