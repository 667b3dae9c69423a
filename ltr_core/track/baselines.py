"""Reference trackers that need no network, for sanity checks and tables."""

from __future__ import annotations

import numpy as np

from ltr_core.track.tracker import Tracker


class StaticTracker(Tracker):
    """The trivial baseline: the box never moves from the first frame's."""

    reads_images = False
    needs_net = False

    def __init__(self, net=None):
        self.box = None

    def initialize(self, image, box) -> None:
        self.box = np.asarray(box, dtype=np.float64)

    def track(self, image):
        return self.box.copy(), 1.0
