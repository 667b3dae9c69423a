"""Frame-pair sampler: draws (template, search) frames from weighted datasets, then processes them.

Each sample's randomness comes from its own generator seeded by ``(seed, epoch, index)``, so the stream of
samples is the same whichever worker or rank draws an index, differs across epochs, and is reproducible from
the run's seed alone. Frame choice works on each sequence's precomputed array of visible frames (binary
search for a gap window), never with a Python loop over a sequence's frames.
"""

from __future__ import annotations

import logging
from typing import Literal, Union

import numpy as np
import torch

from ltr_core.valuetypes import NonNegativeInt, PositiveInt
from ltr_core.data.dataset import DataError, VideoDataset

log = logging.getLogger(__name__)

MIN_ATTEMPTS_BEFORE_FAILING = 20
MAX_DRAWS = 10_000           # draws in a row without a usable sequence before the sampler gives up


class TooManyFailures(DataError):
    """More than the allowed fraction of drawn samples were unreadable."""


class TrackingSampler(torch.utils.data.Dataset):
    """Template/search frame pairs from video and image datasets (pytracking's vocabulary)."""

    def __init__(self, datasets: list, processing, weights: Union[list, None] = None,
                 samples_per_epoch: PositiveInt = 1000, max_gap: NonNegativeInt = 100,
                 num_template_frames: PositiveInt = 1, num_search_frames: PositiveInt = 1,
                 mode: Literal["interval", "causal", "causal_spread"] = "interval", min_visible: PositiveInt = 5,
                 min_length: PositiveInt = 20, gap_increase: PositiveInt = 5, seed: int = 0,
                 max_failure_fraction: float = 0.05):
        """``max_gap``: largest frame distance between template and search frames; widened by
        ``gap_increase`` until frames are found. ``mode``: ``interval`` draws all frames around a visible base
        frame; ``causal`` draws a base frame, the other template frames before it and the search frames after it,
        as pytracking's sampler does (the first template frame is the base, the one nearest the search frames);
        ``causal_spread`` (ltr's causal rule before 0.3.3, kept for configs tuned with it) draws the template frames
        anywhere within ``max_gap`` before the base. A video sequence is used when it has at least ``min_length``
        frames and ``min_visible`` visible ones (pytracking's rule: more than twice a sample's frames)."""
        if not datasets:
            raise ValueError("TrackingSampler needs at least one dataset")
        self.datasets: list[VideoDataset] = list(datasets)
        w = np.asarray(weights if weights is not None else [1.0] * len(datasets), dtype=np.float64)
        if len(w) != len(self.datasets) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"dataset weights {list(w)} must be non-negative, one per dataset, not all zero")
        self.probs = w / w.sum()
        self.processing = processing
        self.samples_per_epoch = samples_per_epoch
        self.max_gap = max_gap
        self.num_template = num_template_frames
        self.num_search = num_search_frames
        self.mode = mode
        self.min_visible = min_visible
        self.min_length = min_length
        self.gap_increase = gap_increase
        self.seed = seed
        self.max_failure_fraction = max_failure_fraction
        self.epoch = 0
        self.attempts = 0
        self.failures = 0

    def __len__(self) -> int:
        return self.samples_per_epoch

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, key) -> dict:
        epoch, index = key if isinstance(key, tuple) else (self.epoch, key)
        rng = np.random.default_rng([self.seed, epoch, index])
        while True:
            raw = self.draw(rng)
            self.attempts += 1
            try:
                return self.processing(raw, rng)
            except DataError as e:
                self._record_failure(e)

    def _record_failure(self, error: Exception) -> None:
        self.failures += 1
        log.warning("skipping unreadable sample (%d of %d so far): %s", self.failures, self.attempts, error)
        if (self.attempts >= MIN_ATTEMPTS_BEFORE_FAILING
                and self.failures / self.attempts > self.max_failure_fraction):
            raise TooManyFailures(
                f"{self.failures} of {self.attempts} samples could not be read (more than "
                f"{self.max_failure_fraction:.0%}); last error: {error}. Check the dataset files, or raise "
                "data.train.loader.max_failure_fraction.")

    # -- frame selection ------------------------------------------------------------------------------
    def draw(self, rng: np.random.Generator) -> dict:
        """Pick a dataset, a usable sequence and its frames; annotations come from the reader's cache. After
        :data:`MAX_DRAWS` draws in a row that find no usable sequence, stop naming the keys that decide it."""
        for _ in range(MAX_DRAWS):
            dataset = self.datasets[rng.choice(len(self.datasets), p=self.probs)]
            seq_id = int(rng.integers(len(dataset)))
            try:
                info = dataset.sequence_info(seq_id)
            except DataError as e:
                self.attempts += 1
                self._record_failure(e)
                continue
            if dataset.is_video:
                if len(info) < self.min_length or len(info.visible_idx) < self.min_visible:
                    continue
                ids = self._frame_ids(info.visible_idx, len(info), rng)
                if ids is None:
                    continue
                t_ids, s_ids = ids
            else:
                if len(info.visible_idx) == 0:
                    continue
                t_ids = np.zeros(self.num_template, dtype=np.int64)
                s_ids = np.zeros(self.num_search, dtype=np.int64)
            return {
                "dataset": dataset.name,
                "sequence": seq_id,
                "template_frames": dataset.frames(seq_id, t_ids),
                "template_boxes": info.bbox[t_ids],
                "search_frames": dataset.frames(seq_id, s_ids),
                "search_boxes": info.bbox[s_ids],
            }
        sizes = ", ".join(f"{d.name}: {len(d)} sequences" for d in self.datasets)
        raise DataError(f"no usable sequence in {MAX_DRAWS} draws ({sizes}): a video sequence needs at least "
                        f"min_length ({self.min_length}) frames and min_visible ({self.min_visible}) visible ones "
                        f"with frames within max_gap ({self.max_gap}) of each other; lower data.train.sampler."
                        "min_length / min_visible, or check the datasets' annotations (`ltr data check`)")

    def _frame_ids(self, visible: np.ndarray, length: int, rng):
        """Template and search frame ids among the ``visible`` ones of a ``length``-frame sequence, or None."""
        gap = self.max_gap
        if self.mode == "interval":
            base = int(visible[rng.integers(len(visible))])
            window = _in_range(visible, base - gap, base + gap)   # never empty: it holds base
            extra_t = rng.choice(window, self.num_template - 1) if self.num_template > 1 else window[:0]
            t_ids = np.concatenate([[base], extra_t]).astype(np.int64)
            return t_ids, rng.choice(window, self.num_search).astype(np.int64)
        if self.mode == "causal_spread":
            # ltr's causal rule before 0.3.3: template frames anywhere within max_gap before a base frame (the base
            # not necessarily among them), search frames within max_gap after it; the gap widens around that base
            last = int(visible[-1])
            candidates = _in_range(visible, self.num_template - 1, last - self.num_search)
            if len(candidates) == 0:
                return None
            base = int(candidates[rng.integers(len(candidates))])
            while True:
                before = _in_range(visible, base - gap, base)
                after = _in_range(visible, base + 1, base + gap)
                if len(before) > 0 and len(after) > 0:
                    return (np.sort(rng.choice(before, self.num_template)).astype(np.int64),
                            np.sort(rng.choice(after, self.num_search)).astype(np.int64))
                if gap > last:
                    return None
                gap += self.gap_increase
        # causal, as pytracking's sampler draws: a base frame (the first template frame), the other
        # template frames within max_gap before it, the search frames within max_gap after it; when the window
        # before or after holds no visible frame, the gap widens by gap_increase and a new base is drawn
        extra = 0
        while extra <= length + self.gap_increase:          # beyond that the windows hold the whole sequence
            base = _draw(visible, 1, self.num_template - 1, length - self.num_search, rng)
            if base is None:
                return None
            before = _draw(visible, self.num_template - 1, int(base[0]) - gap - extra, int(base[0]), rng)
            if before is None:
                extra += self.gap_increase
                continue
            after = _draw(visible, self.num_search, int(base[0]) + 1, int(base[0]) + gap + extra, rng)
            extra += self.gap_increase
            if after is not None:
                return np.concatenate([base, before]).astype(np.int64), after.astype(np.int64)
        return None


def _draw(visible: np.ndarray, count: int, lo: int, hi: int, rng):
    """``count`` draws with replacement among the visible frame ids in ``[lo, hi)`` (clipped to the sequence);
    None when there is none, no draw for ``count`` 0 (pytracking's ``_sample_visible_ids``)."""
    if count == 0:
        return visible[:0]
    ids = _in_range(visible, max(lo, 0), hi - 1)
    if len(ids) == 0:
        return None
    return np.asarray(rng.choice(ids, count))


def _in_range(sorted_ids: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The entries of a sorted index array within [lo, hi], by binary search."""
    return sorted_ids[np.searchsorted(sorted_ids, lo, "left"):np.searchsorted(sorted_ids, hi, "right")]
