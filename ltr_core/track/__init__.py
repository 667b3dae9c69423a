"""Tracking: the tracker interface plugins implement, and the sequence runner."""

from ltr_core.track.tracker import Tracker

__all__ = ["Tracker"]
