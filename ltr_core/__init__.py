"""ltr_core: the tracker-agnostic core of ltr (registry, configs, data, training, tracking, evaluation)."""

__version__ = "0.3.6"

from ltr_core.hookspecs import PLUGIN_API as PLUGIN_API_VERSION  # noqa: E402  the plugin API this core implements
