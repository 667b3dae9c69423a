"""The causal frame sampling against pytracking's own sampler (its DiMPSampler's and OSTrack's rule).

Golden: ``golden/sampler_causal.json`` holds the template and search frame ids pytracking's
``TrackingSampler(frame_sample_mode='causal')`` draws from replayed uniforms on sequences with absent spells, a
target visible only at the start, and windows that must widen several times. Regenerate it with
``python tests/golden/regenerate_sampler.py /path/to/pytracking``.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from ltr_core.data.sampler import TrackingSampler

GOLDEN_DIR = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))
import regenerate_sampler as harness  # noqa: E402  the cases and the replayed uniforms

GOLDEN = json.loads((GOLDEN_DIR / "sampler_causal.json").read_text())


@pytest.mark.parametrize("name", list(harness.CASES))
def test_causal_sampling_draws_pytrackings_frames_from_the_same_uniforms(name):
    visible, n_template, n_search, gap = harness.CASES[name]
    sampler = TrackingSampler([object()], processing=None, max_gap=gap, num_template_frames=n_template,
                              num_search_frames=n_search, mode="causal")
    draws = harness.Draws(harness.SEED + list(harness.CASES).index(name))
    visible_idx = np.flatnonzero(visible)
    for i, want in enumerate(GOLDEN["cases"][name]):
        template, search = sampler._frame_ids(visible_idx, len(visible), draws)
        assert (template.tolist(), search.tolist(), draws.used) == (want["template"], want["search"], want["used"]), i
        assert template[0] == template.max() < search.min()          # the base is the latest template frame


def test_a_sequence_without_frames_after_any_base_is_skipped_not_looped_on():
    sampler = TrackingSampler([object()], processing=None, max_gap=5, num_template_frames=1, num_search_frames=1,
                              mode="causal")
    assert sampler._frame_ids(np.array([7]), 30, np.random.default_rng(0)) is None     # one visible frame
