"""ATOM's tracker (Danelljan et al., CVPR 2019): an online classifier finds the target, the IoU-Net fits its box.

Per frame: crop the search sample around the last position (5x the target, resized so the target keeps the
size it had in training), run the backbone once, score the sample with the online classifier (upsampled to
sample pixels), classify the situation (target found, a distractor near or far, target not found), then refine
the box by gradient ascent on the IoU-Net's predicted IoU from the classifier's box and jittered copies,
keeping the mean of the best few. Found targets add a sample to the classifier's memory; the filter is
retrained every few frames, at once after a hard negative.

The parameters and their defaults are those of pytracking's ``parameter/atom/default.py`` (same names, except
``displacement_scale``, spelt ``dispalcement_scale`` there). Boxes use ltr's continuous pixel convention
(centre ``x + w/2``), not pytracking's ``x + (w-1)/2``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ltr_core.data.geometry import crop_square
from ltr_core.track.online import gaussian_label
from ltr_core.api import Tracker
from ltr_atom.augment import DEFAULT_AUGMENTATION, augment_first_frame, check_augmentation
from ltr_atom.classifier import OnlineClassifier
from ltr_atom.refine import refine_boxes

STRIDE = 16   # of layer3, the classifier's features


def rms_normalise(features: torch.Tensor, power: float | None) -> torch.Tensor:
    """Divide each sample by its ``power``-mean magnitude over all channels and cells."""
    if not power:
        return features
    norm = features.abs().pow(power).flatten(1).mean(1).add(1e-10).pow(1 / power)
    return features / norm.view(-1, 1, 1, 1)


def max2d(scores: torch.Tensor) -> tuple[float, int, int]:
    """Value, row and column of the (first) maximum of an (H, W) map, read back in one copy."""
    flat = scores.flatten()
    idx = torch.argmax(flat)
    value, idx = torch.stack([flat[idx].double(), idx.double()]).tolist()
    idx = int(idx)
    return value, idx // scores.shape[1], idx % scores.shape[1]


class ATOMTracker(Tracker):
    """ATOM: online target classifier on ResNet layer3 + IoU-Net box refinement."""

    def __init__(self, net, search_area_scale: float = 5.0, max_image_sample_size: int = 288 ** 2,
                 min_image_sample_size: int = 288 ** 2, feature_size_odd: bool = False,
                 normalize_power: float = 2.0,
                 CG_iter: int = 5, init_CG_iter: int = 60, init_GN_iter: int = 6, post_init_CG_iter: int = 0,
                 fletcher_reeves: bool = False, standard_alpha: bool = True,
                 learning_rate: float = 0.01, init_samples_minimum_weight: float = 0.25,
                 output_sigma_factor: float = 0.25, sample_memory_size: int = 250, train_skipping: int = 10,
                 kernel_size: list[int] = [4, 4], compressed_dim: int = 64, filter_reg: float = 0.1,
                 projection_reg: float = 1e-4,
                 window_output: bool = False, score_upsample_factor: float = 1.0,
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
                 use_iou_net: bool = True, iounet_augmentation: bool = False, iounet_k: int = 3, num_init_random_boxes: int = 9,
                 box_jitter_pos: float = 0.1, box_jitter_sz: float = 0.5, maximal_aspect_ratio: float = 6.0,
                 box_refinement_iter: int = 5, box_refinement_step_length: float = 1.0,
                 box_refinement_step_decay: float = 1.0, device: str = "cpu"):
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
            regularisation weights. window_output: Hann window on the scores; score_upsample_factor: score
            map resolution relative to sample pixels.
        augmentation, augmentation_expansion_factor, random_shift_factor, use_augmentation: the first frame's
            augmented samples (``ltr_atom.augment``). update_projection_matrix: learn the projection at the
            first frame (else random/PCA fixed); proj_init_method: randn|pca; filter_init_method: randn|zeros;
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
            (else the plain sample's); iounet_k: average of the
            k best refined boxes; num_init_random_boxes, box_jitter_pos, box_jitter_sz: extra starting boxes
            jittered around the classifier's box (x sqrt(area)); maximal_aspect_ratio: refined boxes beyond it
            are dropped; box_refinement_iter / _step_length / _step_decay: the gradient ascent.

        Not keys: pytracking's ``debug``/``visualization`` (its plots), ``use_gpu`` (here ``device``),
        ``features`` (the config's net), ``scale_factors`` (one scale, as ATOM uses with the IoU-Net),
        ``feature_window`` (off in ATOM's parameters) and ``CG_forgetting_rate`` (unset in ATOM's parameters,
        meaning that CG starts afresh at every update, which is what ltr does).
        """
        if not isinstance(net, torch.nn.Module):
            raise ValueError("the ATOM tracker refines boxes by gradients through the IoU-Net, which ONNX Runtime "
                             "does not give: run it with --runtime torch")
        super().__init__(net, device)
        if len(kernel_size) != 2:
            raise ValueError(f"tracker.kernel_size: expected [height, width], got {kernel_size!r}")
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

    # -- geometry ---------------------------------------------------------------------------------------
    def _sample_sizes(self, target_sz: np.ndarray) -> None:
        p = self.p
        area = float(np.prod(target_sz * p["search_area_scale"]))
        self.target_scale = 1.0
        if area > p["max_image_sample_size"]:
            self.target_scale = math.sqrt(area / p["max_image_sample_size"])
        elif area < p["min_image_sample_size"]:
            self.target_scale = math.sqrt(area / p["min_image_sample_size"])
        self.base_target_sz = target_sz / self.target_scale
        side = round(math.sqrt(float(np.prod(self.base_target_sz * p["search_area_scale"]))))
        if p["feature_size_odd"]:
            side += STRIDE - side % (2 * STRIDE)
        else:
            side += STRIDE - (side + STRIDE) % (2 * STRIDE)
        self.sample_sz = int(side)                      # network pixels, a multiple of the stride
        self.feature_sz = self.sample_sz // STRIDE
        self.output_sz = int(round(self.sample_sz * p["score_upsample_factor"]))

    def _features(self, batch: torch.Tensor):
        l2, l3 = self.net.feature_extractor(batch)
        return l2, l3, rms_normalise(l3, self.p["normalize_power"])

    def _label(self, center_in_sample: np.ndarray) -> torch.Tensor:
        """Gaussian label (1, 1, H, W) peaking at a point given in sample pixels (score ``m`` sits at pixel
        ``m * stride``, see ``conv_same``)."""
        c = center_in_sample / STRIDE
        return gaussian_label((self.feature_sz, self.feature_sz), self.sigma, (float(c[0]), float(c[1])),
                              self.device)[None, None]

    def _box_in_sample(self, pos, size, sample_pos, scale) -> torch.Tensor:
        center = (pos - sample_pos) / scale + self.sample_sz / 2
        sz = size / scale
        return torch.tensor([*(center - sz / 2), *sz], dtype=torch.float32, device=self.device)

    # -- first frame ------------------------------------------------------------------------------------
    @torch.no_grad()
    def initialize(self, image: np.ndarray, box) -> None:
        p = self.p
        x, y, w, h = (float(v) for v in box)
        self.pos = np.array([x + w / 2, y + h / 2])
        self.target_sz = np.array([max(w, 1.0), max(h, 1.0)])
        self._sample_sizes(self.target_sz)
        self.image_sz = np.array([image.shape[1], image.shape[0]], dtype=np.float64)
        self.min_scale_factor = float(np.max(10 / self.base_target_sz))
        self.max_scale_factor = float(np.min(self.image_sz / self.base_target_sz))
        self.sigma = math.sqrt(float(np.prod(self.base_target_sz))) / STRIDE * p["output_sigma_factor"]
        self.pad_value = tuple(float(v) for v in image.reshape(-1, 3).mean(0))
        self.frame_num = 1
        self.flag = None

        sample_pos = np.round(self.pos)
        side = self.target_scale * self.sample_sz
        spec = p["augmentation"] if p["use_augmentation"] else {}
        samples = augment_first_frame(image, tuple(sample_pos), side, self.sample_sz, spec,
                                      p["augmentation_expansion_factor"], p["random_shift_factor"], self.pad_value)
        l2, l3, feats = self._features(self.to_network([s for s, _, _ in samples]))
        offset = (self.pos - sample_pos) / self.target_scale + self.sample_sz / 2
        labels = torch.cat([self._label(offset + np.array(shift)) for _, shift, _ in samples])
        if "dropout" in spec:
            count, prob = spec["dropout"]
            feats = torch.cat([feats, F.dropout2d(feats[:1].expand(count, -1, -1, -1), p=prob, training=True)])
            labels = torch.cat([labels, labels[:1].expand(count, -1, -1, -1)])

        self.classifier = OnlineClassifier(**self.classifier_args)
        self.classifier.initialize(feats, labels, p["init_GN_iter"], p["init_CG_iter"], p["post_init_CG_iter"])
        if p["use_iou_net"]:
            target_box = self._box_in_sample(self.pos, self.target_sz, sample_pos, self.target_scale)
            use = [i for i, (_, _, kept) in enumerate(samples) if kept] if p["iounet_augmentation"] else [0]
            shifts = torch.tensor([[*samples[i][1], 0, 0] for i in use], dtype=torch.float32, device=self.device)
            modulation = self.net.bb_regressor.get_modulation(l2[use], l3[use], target_box[None] + shifts)
            self.modulation = tuple(m.mean(0, keepdim=True) for m in modulation)
        self._grid = None
        self.window = None
        if p["window_output"]:
            hann = torch.hann_window(self.output_sz + 2, periodic=False, device=self.device)[1:-1]
            self.window = hann[:, None] * hann[None, :]

    # -- each frame -------------------------------------------------------------------------------------
    @torch.no_grad()
    def track(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        p = self.p
        self.frame_num += 1
        sample_pos = np.round(self.pos)
        scale = self.target_scale
        crop = crop_square(image, tuple(sample_pos), scale * self.sample_sz, self.sample_sz, pad_value=self.pad_value)
        l2, l3, feats = self._features(self.to_network([crop]))
        compressed = self.classifier.project(feats)
        scores = self._upsample(self.classifier.scores(compressed)[0, 0])
        disp, flag, max_score = self.localize(scores)
        self.flag = flag

        if flag != "not_found":
            self._set_position(sample_pos + disp * scale)
            if p["use_iou_net"]:
                iou_feat = self.net.bb_regressor.get_iou_feat(l2, l3)
                self.refine_target_box(iou_feat, sample_pos, scale,
                                       update_scale=p["update_scale_when_uncertain"] or flag != "uncertain")

        if flag not in ("not_found", "uncertain"):
            label = self._label((self.pos - sample_pos) / scale + self.sample_sz / 2)
            lr = p["hard_negative_learning_rate"] if flag == "hard_negative" else None
            self.classifier.add_sample(compressed, label, lr)
        if flag == "hard_negative":
            self.classifier.train(p["hard_negative_CG_iter"])
        elif (self.frame_num - 1) % p["train_skipping"] == 0:
            self.classifier.train(p["CG_iter"])

        box = np.array([*(self.pos - self.target_sz / 2), *self.target_sz], dtype=np.float64)
        return box, max_score

    def _upsample(self, scores: torch.Tensor) -> torch.Tensor:
        """Scores on the feature grid -> (output_sz, output_sz) map whose pixel ``u`` lies at sample pixel
        ``u * sample_sz / output_sz`` (bicubic)."""
        n = scores.shape[-1]
        if self._grid is None or self._grid[0] != n:      # the same for every frame of a sequence
            m = torch.arange(self.output_sz, dtype=torch.float32, device=scores.device) * (n / self.output_sz)
            g = 2 * m / (n - 1) - 1
            self._grid = n, torch.stack(torch.meshgrid(g, g, indexing="xy"), -1)[None]
        up = F.grid_sample(scores[None, None], self._grid[1], mode="bicubic", padding_mode="border",
                           align_corners=True)[0, 0]
        return up if self.window is None else up * self.window

    def localize(self, scores: torch.Tensor) -> tuple[np.ndarray, str | None, float]:
        """Displacement of the target from the sample centre (sample pixels), the frame's flag (None,
        ``not_found``, ``uncertain``, ``hard_negative``) and the maximum score."""
        p = self.p
        to_sample = self.sample_sz / self.output_sz
        centre = self.output_sz / 2
        score1, r1, c1 = max2d(scores)
        disp1 = np.array([c1 - centre, r1 - centre]) * to_sample
        if not p["advanced_localization"]:
            return disp1, None, score1
        if score1 < p["target_not_found_threshold"]:
            return disp1, "not_found", score1
        neigh = p["target_neighborhood_scale"] * self.target_sz / self.target_scale / to_sample   # (w, h) cells
        masked = scores.clone()
        masked[max(round(r1 - neigh[1] / 2), 0):round(r1 + neigh[1] / 2 + 1),
               max(round(c1 - neigh[0] / 2), 0):round(c1 + neigh[0] / 2 + 1)] = 0
        score2, r2, c2 = max2d(masked)
        disp2 = np.array([c2 - centre, r2 - centre]) * to_sample
        if score2 > p["distractor_threshold"] * score1:
            far = p["displacement_scale"] * self.sample_sz / 2
            near1, near2 = np.hypot(*disp1) < far, np.hypot(*disp2) < far
            if near1 and not near2:
                return disp1, "hard_negative", score1
            if near2 and not near1:
                return disp2, "hard_negative", score1
            return disp1, "uncertain", score1
        if score2 > p["hard_negative_threshold"] * score1 and score2 > p["target_not_found_threshold"]:
            return disp1, "hard_negative", score1
        return disp1, None, score1

    def _set_position(self, pos: np.ndarray) -> None:
        """Keep at least a fifth of the target inside the image."""
        inside = (0.2 - 0.5) * self.target_sz
        self.pos = np.minimum(np.maximum(pos, inside), self.image_sz - inside)

    @torch.no_grad()
    def refine_target_box(self, iou_feat, sample_pos: np.ndarray, scale: float, update_scale: bool = True) -> None:
        """IoU-Net refinement from the current box and jittered copies; the result's predicted IoU is never below
        the starting box's (the mean of the k best is replaced by the single best when it would be)."""
        p = self.p
        bb = self.net.bb_regressor
        start = self._box_in_sample(self.pos, self.target_sz, sample_pos, scale)
        boxes = start[None]
        if p["num_init_random_boxes"] > 0:
            side = float(start[2:].prod().sqrt())
            spread = side * torch.tensor([p["box_jitter_pos"]] * 2 + [p["box_jitter_sz"]] * 2, device=self.device)
            jitter = (torch.rand(p["num_init_random_boxes"], 4).to(self.device) - 0.5) * spread
            size = (start[2:] + jitter[:, 2:]).clamp(min=float(start[2:].min()) / 3)
            center = start[:2] + start[2:] / 2 + jitter[:, :2]
            boxes = torch.cat([boxes, torch.cat([center - size / 2, size], 1)])
        refined, iou = refine_boxes(bb, self.modulation, iou_feat, boxes[None], p["box_refinement_iter"],
                                    p["box_refinement_step_length"], p["box_refinement_step_decay"])
        refined, iou = refined[0], iou[0]
        aspect = refined[:, 2] / refined[:, 3]
        keep = (aspect < p["maximal_aspect_ratio"]) & (aspect > 1 / p["maximal_aspect_ratio"])
        if not bool(keep.any()):
            return
        refined, iou = refined[keep], iou[keep]
        top = torch.topk(iou, min(p["iounet_k"], len(iou))).indices
        kept = refined[top].mean(0)
        kept_iou = bb.predict_iou(self.modulation, iou_feat, kept[None, None])[0, 0]
        start_iou = bb.predict_iou(self.modulation, iou_feat, start[None, None])[0, 0]
        if kept_iou < start_iou:       # the mean of the best can fall between peaks: take the best alone
            kept, kept_iou = refined[top[0]], iou[top[0]]
            if kept_iou < start_iou:   # the start box itself was dropped for its aspect ratio
                kept, kept_iou = start, start_iou
        self.kept_iou, self.start_iou = float(kept_iou), float(start_iou)

        kept = kept.cpu().numpy().astype(np.float64)
        centre = kept[:2] + kept[2:] / 2
        self.pos = sample_pos + (centre - self.sample_sz / 2) * scale
        self.target_sz = np.clip(kept[2:] * scale, 1.0, self.image_sz)
        if update_scale:
            new_scale = math.sqrt(float(np.prod(self.target_sz) / np.prod(self.base_target_sz)))
            self.target_scale = float(np.clip(new_scale, self.min_scale_factor, self.max_scale_factor))
