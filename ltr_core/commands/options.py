"""Options shared by several ``ltr`` commands, and the limits on numbers given on the command line."""

import click

from ltr_core.valuetypes import MAX_PROCESSES  # worker processes or threads (shared with the configs)

#: limits on numbers a command takes, each with its reason: a number past them is a typo or an attack, and
#: honouring it would exhaust the machine (a million worker processes) rather than fail
MAX_BATCH = 4096              # sequences stepped together, or samples in a benchmark batch
MAX_FRAMES = 100_000          # frames of a generated sequence (LaSOT's longest has 11,397)
MAX_ROUNDS = 1000             # repetitions of a benchmark
processes = click.IntRange(1, MAX_PROCESSES)

workspace_option = click.option("--workspace", type=click.Path(file_okay=False), default=None,
                                help="Checkpoints, logs and results go here (default $LTR_WORKSPACE or ./workspace).")
set_option = click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
                          help="Override a config value (YAML-parsed); repeatable.")


def runtime_options(f):
    """``--runtime torch|onnx`` and ONNX Runtime's precision, thread count and graph optimisation level."""
    f = click.option("--ort-dtype", type=click.Choice(["fp32", "int8"]), default="fp32", show_default=True,
                     help="--runtime onnx: fp32, or int8 (static quantisation calibrated on generated frames).")(f)
    f = click.option("--ort-opt", type=click.Choice(["disable", "basic", "extended", "all"]), default="all",
                     show_default=True, help="ONNX Runtime graph optimisation level (--runtime onnx).")(f)
    f = click.option("--ort-threads", type=processes, default=None,
                     help="ONNX Runtime intra-op threads (default: as PyTorch's).")(f)
    f = click.option("--runtime", type=click.Choice(["torch", "onnx"]), default="torch", show_default=True,
                     help="Run the network with PyTorch or its ONNX export through ONNX Runtime "
                          "(exported to <workspace>/export/... on first use; needs ltr-core[onnx]).")(f)
    return f


def _check_device(ctx, param, value):
    if value is None:
        return None
    from ltr_core.device import CHOICES, DeviceError, check_setting

    try:
        return check_setting(value, "--device")
    except DeviceError:
        raise click.BadParameter(f"{value!r}: expected {CHOICES}", param_hint="'--device'") from None


def device_option(default: str | None = "auto", what: str = "the network runs"):
    """``--device auto|cpu|cuda|cuda:N`` (:mod:`ltr_core.device`): ``auto`` takes the GPU when PyTorch sees one."""
    shown = f"Where {what}: auto (the GPU when PyTorch sees one, else the CPU), cpu, cuda or cuda:N."
    return click.option("--device", default=default, show_default=default is not None, metavar="auto|cpu|cuda|cuda:N",
                        callback=_check_device, help=shown)


amp_option = click.option(
    "--amp", type=click.Choice(["auto", "off", "bf16", "fp16"]), default="auto", show_default=True,
    help="The network's precision while tracking (autocast around its calls; the tracker's own arithmetic stays "
         "float32). auto: the config's eval.amp on a GPU, off (float32) on the CPU.")
