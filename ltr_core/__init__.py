"""ltr_core: the tracker-agnostic core of ltr (registry, configs, data, training, tracking, evaluation)."""

__version__ = "0.1.0"
