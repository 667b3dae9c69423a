"""Image samples as pytracking's ATOM and DiMP trackers take them: the crop around the target and the first frame's
augmented copies.

Conventions are pytracking's, kept so that boxes come out as its tracker's do: images are float ``(1, 3, H, W)``
tensors in ``[0, 255]``; positions and sizes are ``(row, column)`` / ``(height, width)`` tensors; a pixel's index
is its centre, so a box ``x, y, w, h`` is centred at ``(y + (h - 1) / 2, x + (w - 1) / 2)``.

:func:`sample_patch` crops ``sample_sz`` pixels around ``pos`` (its integer part) and resizes them bilinearly to
``output_sz``; a crop more than 2.1 times larger than its output first keeps every ``df``-th pixel. Borders are
replicated; in the ``inside``/``inside_major`` modes (PrDiMP, SuperDiMP) the crop is shrunk (at most by
``max_scale_change``) and shifted to stay inside the image. It returns the crop and its coordinates ``(top, left,
bottom, right)`` in image pixels, from which the tracker reads the sample's centre and scale, half-pixel quirks
included.

The augmentations (:class:`Augmentation`) work on a crop ``augmentation_expansion_factor`` times larger than the
sample and cut each result to the sample's size around a shift (replicating borders where it reaches outside).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

KINDS = ("identity", "shift", "fliplr", "blur", "rotate")


def sample_patch(im: torch.Tensor, pos: torch.Tensor, sample_sz: torch.Tensor, output_sz: torch.Tensor | None = None,
                 mode: str = "replicate", max_scale_change: float | None = None):
    """-> ``(patch (1, 3, oh, ow), coords (1, 4))``; see the module docstring."""
    centre = pos.long().clone()
    if mode in ("inside", "inside_major"):
        ratio = sample_sz.float() / torch.tensor([im.shape[2], im.shape[3]], dtype=torch.get_default_dtype())
        shrink = ratio.max() if mode == "inside" else ratio.min()
        shrink = shrink.clamp(min=1, max=max_scale_change)
        sample_sz = (sample_sz.float() / shrink).long()
    elif mode != "replicate":
        raise ValueError(f"tracker.border_mode {mode!r}: choose replicate, inside or inside_major")

    step = 1
    if output_sz is not None:                      # keep every step-th pixel when the crop is much larger
        step = max(int(torch.min(sample_sz.float() / output_sz.float()).item() - 0.1), 1)
    size = sample_sz.float() / step
    image = im
    if step > 1:
        offset = centre % step
        centre = (centre - offset) / step
        image = im[..., int(offset[0]):: step, int(offset[1]):: step]

    whole = torch.max(size.round(), torch.tensor([2.0])).long()
    top_left = centre - (whole - 1) / 2
    bottom_right = centre + whole / 2 + 1
    if mode in ("inside", "inside_major"):
        image_sz = torch.tensor([image.shape[2], image.shape[3]])
        move = (-top_left).clamp(0) - (bottom_right - image_sz).clamp(0)
        top_left, bottom_right = top_left + move, bottom_right + move
        over = ((-top_left).clamp(0) + (bottom_right - image_sz).clamp(0)) // 2     # larger than the image: centre it
        move = (-top_left - over) * (over > 0).long()
        top_left, bottom_right = top_left + move, bottom_right + move

    pad = (-int(top_left[1].int()), int(bottom_right[1].int()) - image.shape[3],
           -int(top_left[0].int()), int(bottom_right[0].int()) - image.shape[2])
    patch = F.pad(image, pad, "replicate")
    coords = step * torch.cat((top_left, bottom_right)).view(1, 4)
    if output_sz is None or (patch.shape[-2] == output_sz[0] and patch.shape[-1] == output_sz[1]):
        return patch.clone(), coords
    return F.interpolate(patch, output_sz.long().tolist(), mode="bilinear"), coords


def hann_window(size: tuple[int, int], dtype=None) -> torch.Tensor:
    """(1, 1, H, W) cosine window that is zero just outside the map (pytracking's centred ``hann2d``)."""
    def one(n):
        return 0.5 * (1 - torch.cos((2 * math.pi / (n + 1)) * torch.arange(1, n + 1, dtype=dtype)))
    return one(size[0]).reshape(1, 1, -1, 1) * one(size[1]).reshape(1, 1, 1, -1)


class Augmentation:
    """One of the first frame's samples: ``kind`` (identity, shift, fliplr, blur, rotate) with its parameter
    (shift: ``(rows, columns)`` pixels; blur: ``(sigma_rows, sigma_columns)``; rotate: degrees), cut to
    ``output_sz`` around ``shift`` pixels from the centre."""

    def __init__(self, kind: str, param=None, output_sz: list[int] | None = None, shift=None):
        if kind not in KINDS:
            raise ValueError(f"augmentation {kind!r}: choose from {', '.join(KINDS)}")
        self.kind, self.param, self.output_sz = kind, param, output_sz
        self.shift = (0, 0) if shift is None else tuple(shift)
        if kind == "shift":
            self.shift = (self.shift[0] + param[0], self.shift[1] + param[1])
        if kind == "blur":
            sigma = (param, param) if isinstance(param, (int, float)) else tuple(param)
            self.radius = [math.ceil(2 * s) for s in sigma]
            taps = []
            for r, s in zip(self.radius, sigma):      # float32 taps, as pytracking's (cast to the image's dtype)
                t = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * s ** 2))
                taps.append(t / t.sum())
            self.taps = (taps[0].view(1, 1, -1, 1), taps[1].view(1, 1, 1, -1))

    @property
    def geometric(self) -> bool:
        """True where the target box moves only by :attr:`shift` (what the IoU-Net's modulation may average)."""
        return self.kind in ("identity", "shift", "fliplr", "blur")

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        if self.kind == "fliplr":
            image = image.flip((3,))
        elif self.kind == "blur":
            h, w = image.shape[2:]
            out = F.conv2d(image.reshape(-1, 1, h, w), self.taps[0].to(image.dtype), padding=(self.radius[0], 0))
            image = F.conv2d(out, self.taps[1].to(image.dtype), padding=(0, self.radius[1])).reshape(1, -1, h, w)
        elif self.kind == "rotate":
            image = self._rotate(image)
        return self._cut(image)

    def _rotate(self, image: torch.Tensor) -> torch.Tensor:
        """Rotation about the crop's centre pixel, bilinear, borders replicated (OpenCV's warpAffine)."""
        a = math.radians(self.param)
        array = image[0].permute(1, 2, 0).numpy()
        centre = (np.array(array.shape[:2], dtype=np.float64).reshape(2, 1) - 1) / 2
        rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
        matrix = np.concatenate([rot, centre - rot @ centre], 1)
        out = cv2.warpAffine(array, matrix, array.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)
        return torch.from_numpy(out).to(image.dtype).permute(2, 0, 1)[None]

    def _cut(self, image: torch.Tensor) -> torch.Tensor:
        h, w = image.shape[2:]
        extra_h = 0 if self.output_sz is None else (self.output_sz[0] - h) / 2
        extra_w = 0 if self.output_sz is None else (self.output_sz[1] - w) / 2
        pad = (math.floor(extra_w) + self.shift[1], math.ceil(extra_w) - self.shift[1],
               math.floor(extra_h) + self.shift[0], math.ceil(extra_h) - self.shift[0])
        return F.pad(image, pad, "replicate")
