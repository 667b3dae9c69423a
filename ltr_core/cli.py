"""The ``ltr`` command line."""

from __future__ import annotations

import json
import os
import sys
import traceback

import click

from ltr_core.commands.options import device_option, processes, set_option, workspace_option

from ltr_core import env as ltr_env
from ltr_core.config import dump_config, load_config, require_sections
from ltr_core.errors import UserError, debug_enabled, one_line
from ltr_core.registry import RegistryError, get_registry
from ltr_core.versions import distribution_version

#: ``ltr --help`` lists the commands in these sections, in this order.
SECTIONS = {
    "Train": ["train", "config", "import", "bench"],
    "Evaluate": ["eval", "score", "report", "track", "vot", "pack"],
    "Deploy": ["export"],
    "Data": ["data", "env"],
    "Plugins": ["list", "new", "check-plugin"],
}


class LtrGroup(click.Group):
    """Turns the known user errors into one clear line and their exit code (2 for bad input and misbehaving
    plugins), instead of a traceback; ``LTR_DEBUG=1`` prints the traceback too. Its help lists the commands in
    :data:`SECTIONS`."""

    def format_commands(self, ctx, formatter):
        listed = set()
        for title, names in SECTIONS.items():
            rows = [(n, self.commands[n].get_short_help_str(limit=100)) for n in names
                    if n in self.commands]
            listed.update(names)
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        others = [(n, c.get_short_help_str(limit=100)) for n, c in sorted(self.commands.items())
                  if n not in listed]
        if others:
            with formatter.section("Other"):
                formatter.write_dl(others)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as e:
            if debug_enabled():
                traceback.print_exc()
            click.echo(f"error: {one_line(str(e))}", err=True)
            sys.exit(e.exit_code)


def _print_version(ctx, param, value):
    """``ltr --version``: the core, its plugin API, and every plugin with its distribution and version."""
    if not value or ctx.resilient_parsing:
        return
    from ltr_core import PLUGIN_API_VERSION, __version__

    reg = get_registry()
    click.echo(f"ltr-core {distribution_version('ltr-core')} (package {__version__}, plugin API "
               f"{PLUGIN_API_VERSION})")
    for info in reg.plugins.values():
        if info.name != "core":
            click.echo(f"plugin {info.name}: {info.distribution} {info.version} (plugin API {info.api})")
    for f in reg.failures:
        click.echo(f"FAILED plugin {f.plugin!r} ({f.distribution} {f.version}): {f.error}")
    ctx.exit()


@click.group(cls=LtrGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the versions of ltr-core and of every plugin, and exit.")
def main():
    """ltr: train, evaluate and run single-object visual trackers provided by plugins."""


# -- ltr list -------------------------------------------------------------------------------------------
@main.command("list", short_help='List registered components and plugins that failed to load.')
@click.argument("kind", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--strict", is_flag=True, help="Exit with code 2 when any plugin failed to load or registers a short "
                                              "name the core has (its component is then reached by its qualified "
                                              "name only).")
def list_cmd(kind, as_json, strict):
    """List registered components (datasets, nets, actors, configs, ...) and broken plugins."""
    from ltr_core.hookspecs import KINDS

    reg = get_registry()
    if kind is not None and kind not in KINDS:
        kind = kind[:-1] if kind.endswith("s") and kind[:-1] in KINDS else kind
        if kind not in KINDS:
            raise RegistryError(f"unknown component kind {kind!r}; kinds are: {', '.join(KINDS)}")
    comps = reg.all(kind)
    if as_json:
        click.echo(json.dumps({
            "components": [{"kind": c.kind, "name": c.qualname,
                            "short_name": None if reg.is_shadowed(c) else c.short, "plugin": c.plugin,
                            "distribution": c.distribution, "version": c.version, "description": c.description}
                           for c in comps],
            "failed_plugins": [{k: v for k, v in vars(f).items() if k != "traceback"} for f in reg.failures]},
            indent=2))
    else:
        rows = [(c.kind, c.qualname, f"{c.distribution} {c.version}".strip(), c.description) for c in comps]
        widths = [max([len(r[i]) for r in rows] + [len(h)]) for i, h in enumerate(("KIND", "NAME", "PROVIDED BY"))]
        click.echo(f"{'KIND':<{widths[0]}}  {'NAME':<{widths[1]}}  {'PROVIDED BY':<{widths[2]}}  DESCRIPTION")
        for r in rows:
            click.echo(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
        for f in reg.failures:
            click.echo(f"FAILED plugin {f.plugin!r} ({f.distribution} {f.version}): {one_line(f.error)}")
            if debug_enabled():
                click.echo(f.traceback, err=True)
    shadowed = [(mine, core) for mine, core in reg.shadowed() if kind is None or mine.kind == kind]
    for mine, core in shadowed:
        click.echo(f"warning: {mine.label} has the short name of the core's {core.qualname!r}; {mine.short!r} keeps "
                   f"meaning {core.qualname!r}, and this one is reached as {mine.qualname!r} only", err=True)
    if strict and reg.failures:
        click.echo(f"error: {len(reg.failures)} plugin(s) failed to load: "
                   f"{', '.join(f.plugin for f in reg.failures)}", err=True)
        sys.exit(2)
    if strict and shadowed:
        click.echo(f"error: {len(shadowed)} component(s) of plugins share a short name with the core's (see the "
                   "warnings above): rename them in their plugins", err=True)
        sys.exit(2)


# -- ltr config -----------------------------------------------------------------------------------------
@main.group("config", short_help='Show configs resolved (bases, overrides and defaults).')
def config_group():
    """Inspect configs."""


@config_group.command("show")
@click.argument("config")
@set_option
def config_show(config, overrides):
    """Print the resolved config (bases merged, overrides applied, defaults filled in)."""
    cfg = load_config(config, overrides)
    click.echo(f"# {cfg.pop('_name')}")
    click.echo(dump_config(cfg), nl=False)


# -- ltr env --------------------------------------------------------------------------------------------
@main.command("env", short_help='Show the workspace and dataset roots as resolved.')
@workspace_option
def env_cmd(workspace):
    """Show the resolved workspace and dataset roots."""
    ws = ltr_env.workspace_dir(workspace)
    for name, value, source in ltr_env.describe(ws):
        click.echo(f"{name:<20} {value}   ({source})")


# -- ltr train ------------------------------------------------------------------------------------------
@main.command("train", short_help='Train a config; resumes its run from the latest checkpoint.')
@click.argument("config")
@set_option
@workspace_option
@click.option("--init-from", type=click.Path(dir_okay=False), default=None,
              help="Initialise the network's weights from a checkpoint (ltr or pytracking format); weights only.")
@click.option("--init-partial", is_flag=True,
              help="With --init-from: load the parameters that fit even when they are under half of the network's.")
@click.option("--no-resume", is_flag=True,
              help="Start from scratch; an earlier run's checkpoints and logs are moved aside, not deleted.")
@click.option("--nproc", type=processes, default=None,
              help="Launch N processes on this machine through torchrun.")
@device_option(default=None, what="training runs (default: the config's trainer.device, auto); sets trainer.device")
def train_cmd(config, overrides, workspace, init_from, init_partial, no_resume, nproc, device):
    """Train CONFIG (<plugin>/<config> or a YAML file). Resumes from the latest checkpoint by default."""
    if nproc and nproc > 1 and "LOCAL_RANK" not in os.environ:
        _launch_torchrun(nproc)
        return
    if device is not None:
        overrides = (*overrides, f"trainer.device={device}")
    import contextlib
    import gc

    from ltr_core.locking import FolderLock
    from ltr_core.train import distributed as D
    from ltr_core.train.checkpoint import checkpoint_dir
    from ltr_core.train.trainer import Trainer

    cfg = load_config(config, overrides)
    require_sections(cfg, ("net", "objective", "actor", "data.train"), "train")
    ws = ltr_env.workspace_dir(workspace)
    ctx = D.setup(cfg["trainer"]["device"])
    lock = FolderLock(checkpoint_dir(ws, cfg["_name"]), "ltr train") if ctx.is_main else contextlib.nullcontext()
    finished = False
    try:
        with lock:
            if getattr(lock, "took_over", ""):
                click.echo(f"note: took over the lock left by {lock.took_over}, which is no longer running"
                           + (f"; removed its {len(lock.removed)} half-written temporary file(s)" if lock.removed
                              else ""), err=True)
            trainer = Trainer(cfg, ws, ctx, init_from=init_from, resume=not no_resume, init_partial=init_partial)
            trainer.train()
            # the DDP module and its loaders go before the process group: freed after it (at exit), gloo's
            # threads could abort a finished run ("terminate called without an active exception": 4 of 60
            # two-rank CPU runs under load before this, 0 of 60 after)
            del trainer
            gc.collect()
        finished = True
    finally:
        D.teardown(synchronize=finished)


def _launch_torchrun(nproc: int) -> None:
    args = sys.argv[1:]
    cleaned, skip = [], False
    for i, a in enumerate(args):
        if skip:
            skip = False
            continue
        if a == "--nproc":
            skip = True
            continue
        if a.startswith("--nproc="):
            continue
        cleaned.append(a)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "ltr_core"] + cleaned
    click.echo("launching: " + " ".join(cmd))
    os.execv(sys.executable, cmd)


def _register_optional_commands():
    """Command groups that live in their own modules."""
    from ltr_core.commands import data_cmds, deploy_cmds, eval_cmds, plugin_cmds, tool_cmds, vot_cmds

    main.add_command(data_cmds.data_group)
    for cmd in (eval_cmds.COMMANDS + vot_cmds.COMMANDS + tool_cmds.COMMANDS + deploy_cmds.COMMANDS
                + plugin_cmds.COMMANDS):
        main.add_command(cmd)


_register_optional_commands()
