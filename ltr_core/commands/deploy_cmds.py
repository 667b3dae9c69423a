"""``ltr export``: write the parts of a tracker's network as ONNX files with a manifest."""

from __future__ import annotations

from pathlib import Path

import click

from ltr_core import env as ltr_env
from ltr_core.commands.options import device_option, set_option, workspace_option
from ltr_core.config import load_config, require_sections
from ltr_core.errors import UserError


def onnx_factory(factory, runtime: str, workspace: Path, ort_threads, ort_opt, ort_dtype: str = "fp32",
                 report=click.echo):
    """``factory`` (a TrackerFactory) switched to ONNX Runtime when ``runtime`` is onnx: the export folder is
    ``<workspace>/export/<config>/<checkpoint stem or 'untrained'>[-int8]``, exported on first use."""
    from ltr_core.components import tracker_needs_net
    from ltr_core.deploy.export import ensure_export
    from ltr_core.deploy.runtime import require_onnxruntime

    if runtime != "onnx" or not tracker_needs_net(factory.cfg):
        return factory
    require_onnxruntime()
    stem = (Path(factory.checkpoint).stem if factory.checkpoint else "untrained") + \
        ("" if ort_dtype == "fp32" else f"-{ort_dtype}")
    folder = ensure_export(factory, workspace / "export" / factory.cfg["_name"] / stem, ort_dtype, report=report)
    factory.onnx_dir, factory.ort_threads, factory.ort_opt = str(folder), ort_threads, ort_opt
    return factory


@click.command("export", short_help="Export a tracker's network parts to ONNX, with a manifest.")
@click.argument("config")
@click.option("--checkpoint", type=click.Path(dir_okay=False), default=None,
              help="Default: the latest checkpoint of CONFIG.")
@click.option("--epoch", type=int, default=None, help="Export this epoch's checkpoint of CONFIG.")
@click.option("--untrained", is_flag=True, help="Export the freshly initialised network (for speed tests).")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder for the .onnx files.")
@click.option("--opset", type=click.IntRange(min=13), default=17, show_default=True)
@click.option("--dtype", type=click.Choice(["fp32", "fp16", "int8"]), default="fp32", show_default=True,
              help="fp16 halves the files (ONNX Runtime's CPU provider runs few fp16 kernels: for GPU runtimes); "
                   "int8: static quantisation, calibrated by running the tracker on generated frames.")
@click.option("--check/--no-check", default=True, show_default=True,
              help="Run every part with ONNX Runtime on random inputs and print its difference from PyTorch.")
@device_option(what="the tracker runs to calibrate int8 (the export is traced and checked on the CPU)")
@set_option
@workspace_option
def export_cmd(config, checkpoint, epoch, untrained, out, opset, dtype, check, device, overrides, workspace):
    """Export the network parts CONFIG's tracker runs (as its plugin declares them) to ONNX, with a manifest."""
    from ltr_core.deploy.export import export_config
    from ltr_core.deploy.runtime import ExportError
    from ltr_core.deploy.verify import compare_with_torch
    from ltr_core.track.factory import TrackerFactory
    from ltr_core.train.checkpoint import config_checkpoint

    from ltr_core.device import resolve

    resolve(device)
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise UserError("ltr export needs onnx: pip install 'ltr-core[onnx]'") from None
    cfg = load_config(config, overrides)
    require_sections(cfg, ("tracker", "net"), "export")
    from ltr_core.components import tracker_needs_net

    if not tracker_needs_net(cfg):
        raise UserError(f"{cfg['_name']} tracks with {cfg['tracker']['name']}, which runs no network: "
                                   "there is nothing to export")
    ws = ltr_env.workspace_dir(workspace)
    ckpt = None if untrained else str(config_checkpoint(ws, cfg, checkpoint, epoch))
    factory = TrackerFactory(cfg, ckpt, device=device)
    if factory.version_note():
        click.echo(factory.version_note(), err=True)
    parts, manifest = export_config(factory, Path(out), opset=opset, dtype=dtype, report=click.echo)
    for p in manifest["parts"]:
        ins = ", ".join(f"{i['name']} {tuple(i['shape'])}" for i in p["inputs"])
        outs = ", ".join(f"{o['name']} {tuple(o['shape'])}" for o in p["outputs"])
        click.echo(f"{p['name']}: {ins} -> {outs}" + (f"  ({p['note']})" if p["note"] else ""))
    if check and dtype != "fp16":
        try:
            diffs = compare_with_torch(parts, Path(out))
        except ExportError as e:
            click.echo(f"not checked with ONNX Runtime: {e}")
        else:
            for name, d in diffs.items():
                click.echo(f"{name}: max |onnxruntime - torch| = {d:.2e} on random inputs")
    click.echo(f"manifest: {Path(out) / 'manifest.json'}")


COMMANDS = [export_cmd]
