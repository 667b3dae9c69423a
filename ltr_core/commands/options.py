"""Options shared by several ``ltr`` commands."""

import click

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
    f = click.option("--ort-threads", type=click.IntRange(min=1), default=None,
                     help="ONNX Runtime intra-op threads (default: as PyTorch's).")(f)
    f = click.option("--runtime", type=click.Choice(["torch", "onnx"]), default="torch", show_default=True,
                     help="Run the network with PyTorch or its ONNX export through ONNX Runtime "
                          "(exported to <workspace>/export/... on first use; needs ltr-core[onnx]).")(f)
    return f
