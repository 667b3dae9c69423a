"""Components the core itself provides (plugin ``core``): dataset readers, the frame-pair sampler, shared
processing and transforms, the static baseline, optimizers, LR schedulers and evaluation benchmarks.
Registered through the same hooks as any plugin."""

from ltr_core.data import transforms
from ltr_core.data.datasets.coco import COCOSequences
from ltr_core.data.datasets.got10k import GOT10k
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.data.datasets.sequences import Sequences
from ltr_core.data.datasets.trackingnet import TrackingNet
from ltr_core.data.processing import CropPairProcessing
from ltr_core.data.sampler import TrackingSampler
from ltr_core.evaluation.datasets import BENCHMARKS
from ltr_core.hookspecs import PLUGIN_API, hookimpl
from ltr_core.track.baselines import StaticTracker
from ltr_core.train import optim
from ltr_core.train.hooks import JsonLinesMetrics


@hookimpl
def ltr_plugin_api():
    return f"=={PLUGIN_API}"


@hookimpl
def ltr_datasets():
    return {"lasot": LaSOT, "got10k": GOT10k, "trackingnet": TrackingNet, "coco": COCOSequences,
            "sequences": Sequences}


@hookimpl
def ltr_samplers():
    return {"tracking": TrackingSampler}


@hookimpl
def ltr_processings():
    return {"crop_pair": CropPairProcessing}


@hookimpl
def ltr_transforms():
    return {"grayscale": transforms.Grayscale, "brightness": transforms.Brightness, "hflip": transforms.HorizontalFlip,
            "channel_brightness": transforms.ChannelBrightness, "blur": transforms.GaussianBlur}


@hookimpl
def ltr_trackers():
    return {"static": StaticTracker}


@hookimpl
def ltr_optimizers():
    return {"adamw": optim.adamw, "adam": optim.adam, "sgd": optim.sgd}


@hookimpl
def ltr_schedulers():
    return {"none": optim.constant, "step": optim.step, "multistep": optim.multistep, "cosine": optim.cosine}


@hookimpl
def ltr_trainer_hooks():
    return {"jsonl_metrics": JsonLinesMetrics}


@hookimpl
def ltr_benchmarks():
    return dict(BENCHMARKS)
