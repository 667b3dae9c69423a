"""``ltr new plugin`` (a scaffold that already works) and ``ltr check-plugin`` (the conformance kit)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from ltr_core.commands.options import device_option


@click.group("new", short_help='Write a new plugin package that already works.')
def new_group():
    """Write new things from templates."""


@new_group.command("plugin")
@click.argument("name")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="The package folder to write (default ./ltr-NAME); it must not exist or be empty.")
def new_plugin_cmd(name, out):
    """Write an installable plugin package NAME: pyproject with the entry point, package data and the core bound;
    a small net, objective, actor, tracker and ONNX export; a config for the demo data; a README; tests that run
    the conformance kit."""
    from ltr_core.scaffold import write_plugin
    from ltr_core.versions import distribution_version

    folder = Path(out or f"ltr-{name.replace('_', '-')}")
    files = write_plugin(name, folder, distribution_version("ltr-core"))
    click.echo(f"wrote plugin {name!r} to {folder} ({len(files)} files)")
    click.echo(f"next: pip install {folder} && ltr check-plugin {name} && ltr train {name}/demo")


@click.command("check-plugin", short_help='Run the conformance checks on an installed plugin.')
@click.argument("name")
@click.option("--config", "configs", multiple=True, metavar="PLUGIN/CONFIG",
              help="Check only these configs of the plugin (repeatable; default: all of them, and the components "
                   "no config uses).")
@click.option("--no-export", is_flag=True, help="Skip the ONNX export checks.")
@click.option("--workdir", type=click.Path(file_okay=False), default=None,
              help="Where the generated data and outputs go (default: a temporary folder, removed afterwards).")
@device_option(what="the train and track checks run (on a CPU, the gpu-ready check also simulates a GPU)")
def check_plugin_cmd(name, configs, no_export, workdir, device):
    """Run the conformance checks on the installed plugin NAME: each config builds, trains two steps, tracks a
    generated sequence through the runner and exports to ONNX as declared. Exit code 1 when a check fails."""
    from ltr_core.device import resolve
    from ltr_core.testing import check_plugin

    resolve(device)

    def run(folder):
        return check_plugin(name, Path(folder), configs=list(configs) or None, export=not no_export,
                            progress=click.echo, device=device)

    if workdir:
        report = run(workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="ltr-check-") as tmp:
            report = run(tmp)
    click.echo(f"check-plugin {name}: {report.counts()}")
    if not report.ok:
        sys.exit(1)


COMMANDS = [new_group, check_plugin_cmd]
