"""The whole contract between the core and a plugin (plugin API version :data:`PLUGIN_API`).

A plugin is a module (or object) that implements some of these hooks and is announced with an entry point
in the group ``ltr``::

    [project.entry-points.ltr]
    mytracker = "ltr_mytracker.plugin"

The entry-point name (``mytracker``) is the plugin's name. Any function of the plugin whose name starts with
``ltr_`` is taken as a hook implementation (the ``@hookimpl`` marker is optional); one that is not a hook below
fails the plugin's load with a "did you mean". Loading is all or nothing: a plugin whose hooks break the
contract registers no component at all and is listed as FAILED by ``ltr list`` with the reason.

``ltr_plugin_api`` (required) returns the range of plugin API versions the plugin was written for, as
comma-separated clauses such as ``">=1.0,<2"``; a core whose :data:`PLUGIN_API` is outside it does not load it.
The API's major version changes when a hook, a batch key or a config key changes meaning or goes away; its
minor version when something is added.

Each ``ltr_<kind>s`` hook returns a mapping from a component name (a string without ``/``) to a factory: a class
or a plain function whose keyword arguments are the component's config keys (their defaults and annotations
validate configs; a class whose ``__init__`` forwards ``**kwargs`` also accepts its parents' keys), and whose
docstring's first line is the description ``ltr list`` shows. Components are addressed ``<plugin>/<name>``
(``core/<name>`` for the core's own); a short ``<name>`` works wherever only one plugin registers it, and a
config that uses a short name two plugins register stops naming both. ``ltr_configs`` returns a mapping from
config name to the YAML file (shipped as package data); configs are always addressed ``<plugin>/<config>``.

Component kinds and what their factories build:

* dataset    -- ``factory(root, **kw) -> ltr_core.api.VideoDataset``
* sampler    -- ``factory(datasets, processing, **kw) -> torch Dataset`` drawing training samples
* processing -- ``factory(**kw) -> ltr_core.data.Processing`` turning frames + boxes into network inputs (the
  keys the core's processing produces are :data:`ltr_core.data.processing.BATCH_CONTRACT`)
* transform  -- ``factory(**kw) -> ltr_core.data.Transform`` (joint or per-frame augmentation)
* net        -- ``factory(**kw) -> torch.nn.Module``; its class may define ``adapt_foreign_state(state) -> state``
  (a static or class method) mapping another codebase's parameter names to its own, which ``ltr import`` uses
  when a file's names do not fit (plugin API 1.3)
* objective  -- ``factory(**kw) -> torch.nn.Module`` computing named loss terms
* actor      -- ``factory(net, objective, **kw) -> ltr_core.api.Actor``; its ``__call__(batch)`` returns
  ``(loss, stats)``: a one-element floating tensor and a dict of str to numbers or one-element tensors
* tracker    -- ``factory(net, **kw) -> ltr_core.api.Tracker``; ``track(image)`` returns ``(box, score)``: four
  numbers ``x, y, w, h`` and a number. A factory (class or function) with ``onnx_needs_torch = True`` gets under
  ``--runtime onnx`` an ``OnnxNet`` whose ``pytorch`` is the network with the export's weights, for the parts it
  keeps in PyTorch (plugin API 1.4; checked at load: its plugin's API range must start at 1.4 or later)
* export     -- ``factory(net) -> list[ltr_core.api.ExportPart]``, keyed by the *net's* name (a short
  name means the plugin's own net, ``<plugin>/<net>`` another plugin's): the network methods its tracker calls
  at inference, which ``ltr export`` writes as ONNX files and ``--runtime onnx`` replaces with ONNX Runtime
  sessions
* optimizer  -- ``factory(params, **kw) -> torch.optim.Optimizer``; ``params`` is a list of parameter groups
  (dicts with ``params`` and optional per-group ``lr``, ``weight_decay``)
* scheduler  -- ``factory(optimizer, epochs, **kw) -> torch.optim.lr_scheduler.LRScheduler``, stepped once per
  epoch; ``epochs`` is ``trainer.epochs``
* benchmark  -- an :class:`ltr_core.evaluation.benchmark.Benchmark`: an evaluation dataset by name
  (``ltr eval --dataset NAME``), with its root variable, splits and scoring rules; its reader's optional
  ``eval_attributes()`` gives the per-sequence attributes ``ltr score --attributes`` scores by (plugin API 1.3)
* trainer_hook -- ``factory(**kw) -> ltr_core.api.TrainerHook``, called before training, after each step, after
  each epoch and at the end (:mod:`ltr_core.train.hooks`); a config lists them under ``trainer.hooks`` (plugin
  API 1.1; the step, epoch-training and close points 1.2)
* config     -- a path to a YAML file
"""

import pluggy

#: The plugin API this core implements (see the module docstring for what its numbers mean).
PLUGIN_API = "1.4"

hookspec = pluggy.HookspecMarker("ltr")
hookimpl = pluggy.HookimplMarker("ltr")

KINDS = ("dataset", "sampler", "processing", "transform", "net", "objective", "actor", "tracker", "export",
         "optimizer", "scheduler", "benchmark", "trainer_hook", "config")


@hookspec
def ltr_plugin_api():
    """Return the plugin API versions this plugin supports, e.g. ``">=1.0,<2"`` (required)."""


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
def ltr_optimizers():
    """Return ``{name: factory(params, **kw) -> torch.optim.Optimizer}``."""


@hookspec
def ltr_schedulers():
    """Return ``{name: factory(optimizer, epochs, **kw) -> LRScheduler}`` (stepped once per epoch)."""


@hookspec
def ltr_benchmarks():
    """Return ``{name: Benchmark}`` of evaluation datasets (``ltr eval --dataset NAME``)."""


@hookspec
def ltr_trainer_hooks():
    """Return ``{name: factory(**kw) -> ltr_core.api.TrainerHook}`` (``trainer.hooks`` entries; API 1.1)."""


@hookspec
def ltr_configs():
    """Return ``{config_name: path_to_yaml}``; addressed as ``<plugin>/<config_name>``."""


#: the attribute :func:`follows` sets on a factory
FOLLOWS_ATTR = "__ltr_follows__"


def follows(base):
    """Declare that a function factory forwards its ``**kwargs`` to ``base`` (another factory: a class or a
    function, perhaps another plugin's)::

        @follows(build_base_net)
        def build_with_quality(quality_pool: bool = True, **kwargs):
            return WithQuality(build_base_net(**kwargs), quality_pool)

    A config section then takes this factory's own keywords and ``base``'s, each checked against its own
    annotation and with ``base``'s defaults filled in (and ``base``'s own ``follows``, further down). Without it,
    the keywords behind ``**kwargs`` are unknown to the config checker and refused."""
    if not callable(base):
        raise TypeError(f"follows({base!r}): give the factory the keywords are forwarded to")

    def mark(factory):
        setattr(factory, FOLLOWS_ATTR, base)
        return factory

    return mark


#: the attribute :func:`renamed_keys` sets on a factory
RENAMED_ATTR = "__ltr_renamed__"


def renamed_keys(**old_to_new: str):
    """Declare config keys a factory has renamed: ``@renamed_keys(test_center_jitter="search_center_jitter")``.
    A config (or a checkpoint's) that still writes the old key loads, with a warning naming the new one, for one
    minor release of ltr-core (the deprecation policy in docs/plugins.md)."""
    if not all(isinstance(v, str) for v in old_to_new.values()):
        raise TypeError("renamed_keys(old='new', ...): give each new name as a string")

    def mark(factory):
        setattr(factory, RENAMED_ATTR, {**getattr(factory, RENAMED_ATTR, {}), **old_to_new})
        return factory

    return mark
