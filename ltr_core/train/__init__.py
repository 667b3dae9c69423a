"""Training: the actor interface, one trainer for every plugin, checkpoints and distributed setup."""

from ltr_core.train.actor import Actor

__all__ = ["Actor"]
