"""The whole contract between the core and a plugin.

A plugin is a module (or object) that implements some of these hooks and is announced with an entry point
in the group ``ltr``::

    [project.entry-points.ltr]
    mytracker = "ltr_mytracker.plugin"

Each ``ltr_<kind>s`` hook returns a mapping from a component name to a factory: a class or a plain
function whose keyword arguments are the component's config keys (their defaults and annotations are
used to validate configs), and whose docstring's first line is the description shown by ``ltr list``.
``ltr_configs`` returns a mapping from config name to the YAML file; configs are addressed as
``<plugin>/<config>`` where ``<plugin>`` is the entry-point name.

Component kinds and what their factories build:

* dataset    -- ``factory(root, **kw) -> ltr_core.data.VideoDataset``
* sampler    -- ``factory(datasets, processing, **kw) -> torch Dataset`` drawing training samples
* processing -- ``factory(**kw) -> ltr_core.data.Processing`` turning frames + boxes into network inputs
* transform  -- ``factory(**kw) -> ltr_core.data.Transform`` (joint or per-frame augmentation)
* net        -- ``factory(**kw) -> torch.nn.Module``
* objective  -- ``factory(**kw) -> torch.nn.Module`` computing named loss terms
* actor      -- ``factory(net, objective, **kw) -> ltr_core.train.Actor``
* tracker    -- ``factory(net, **kw) -> ltr_core.track.Tracker``
* export     -- ``factory(net) -> list[ltr_core.deploy.onnx.ExportPart]``, keyed by the *net's* component name:
  the network methods its tracker calls at inference, which ``ltr export`` writes as ONNX files and
  ``--runtime onnx`` replaces with ONNX Runtime sessions
"""

import pluggy

hookspec = pluggy.HookspecMarker("ltr")
hookimpl = pluggy.HookimplMarker("ltr")

KINDS = ("dataset", "sampler", "processing", "transform", "net", "objective", "actor", "tracker", "export", "config")


@hookspec
def ltr_datasets():
    """Return ``{name: factory}`` of video/image datasets."""


@hookspec
def ltr_samplers():
    """Return ``{name: factory}`` of training-pair samplers."""


@hookspec
def ltr_processings():
    """Return ``{name: factory}`` of processing steps (crops, targets)."""


@hookspec
def ltr_transforms():
    """Return ``{name: factory}`` of data augmentations."""


@hookspec
def ltr_nets():
    """Return ``{name: factory}`` of networks."""


@hookspec
def ltr_objectives():
    """Return ``{name: factory}`` of training objectives (losses)."""


@hookspec
def ltr_actors():
    """Return ``{name: factory}`` of actors (run the net on a batch, return loss and stats)."""


@hookspec
def ltr_trackers():
    """Return ``{name: factory}`` of inference trackers."""


@hookspec
def ltr_exports():
    """Return ``{net_name: factory(net) -> list[ExportPart]}``: what of that net a tracker runs at inference."""


@hookspec
def ltr_configs():
    """Return ``{config_name: path_to_yaml}``; addressed as ``<plugin>/<config_name>``."""
